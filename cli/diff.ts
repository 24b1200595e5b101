// A field-level diff of two job specs as a reviewer reads it in a terminal or a CI log: `~ field: before → after`,
// `+ field: value` for one added, `- field: value` for one removed; colour only on a terminal.
import type { FieldChange } from '../client/jobs-client.ts';
import { colors } from './output.ts';

/** A value on one line: text as it is, anything else as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function diffLines(changes: FieldChange[]): string[] {
  return changes.map(({ field, before, after }) => {
    if (before === undefined) return colors.green(`+ ${field}: ${shown(after)}`);
    if (after === undefined) return colors.red(`- ${field}: ${shown(before)}`);
    return colors.yellow(`~ ${field}: ${shown(before)} → ${shown(after)}`);
  });
}
