// Opaque list cursors. A cursor names only the last item returned (never a raw table key), and the adapter
// rebuilds the start key inside the caller's own scope, so a cursor cannot reach into another project.
import { ValidationError } from '../../core/errors.ts';

export function encodeCursor(fields: Record<string, string>): string {
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

export function decodeCursor<K extends string>(
  cursor: string,
  fields: readonly K[],
  valid: (value: string) => boolean,
): Record<K, string> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  const record = decoded as Record<string, unknown> | null;
  if (
    !record ||
    typeof record !== 'object' ||
    !fields.every((f) => typeof record[f] === 'string' && valid(record[f] as string))
  ) {
    throw ValidationError.field('cursor', 'is not a cursor this list returned');
  }
  return record as Record<K, string>;
}
