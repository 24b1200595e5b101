// An API 400 shown where it belongs: each message beside the field it names (`events.2` is the events field),
// that field marked invalid and described by its message, for sighted users and screen readers alike.
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../../client/jobs-client.ts';

/** The messages of `error` by field, its item-level names (`events.2`) folded into their field's. */
export function fieldMessages(error: unknown): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  if (!(error instanceof ApiError)) return byField;
  for (const { field, message } of error.errors) {
    const name = field.split('.')[0] ?? field;
    byField.set(name, [...(byField.get(name) ?? []), message]);
  }
  return byField;
}

/** The attributes of an input whose field has `messages`: invalid, and described by them (and by `hint`). */
export function invalidProps(
  id: string,
  messages: string[] | undefined,
  hint?: string,
): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  const describedBy = [hint, messages?.length ? `${id}-error` : undefined].filter(Boolean).join(' ');
  return {
    ...(messages?.length ? { 'aria-invalid': true as const } : {}),
    ...(describedBy ? { 'aria-describedby': describedBy } : {}),
  };
}

/** The messages of one field, beside it (with a symbol, not colour alone), after its name if given; nothing when it has none. */
export function FieldMessages({ id, field, messages }: { id: string; field?: string; messages: string[] | undefined }) {
  if (!messages?.length) return null;
  return (
    <p id={`${id}-error`} class="field-message">
      <span aria-hidden="true">✗ </span>
      {field ? `${field} ` : ''}
      {messages.join('; ')}
    </p>
  );
}

/**
 * After each error, the first field of the form it marked invalid takes the focus, so a keyboard user lands where
 * the fix is. The ref goes on the form.
 */
export function useFocusOnFirstInvalid(error: unknown) {
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [error]);
  return form;
}
