// A field-level diff of two job specs as a reviewer reads it in a terminal or a CI log: `~ field: before → after`,
// `+ field: value` for one added, `- field: value` for one removed; colour only on a terminal.
import { changeText, type FieldChange } from '../client/jobs-client.ts';
import { colors } from './output.ts';

const COLOR = { '+': colors.green, '-': colors.red, '~': colors.yellow } as const;

export function diffLines(changes: FieldChange[]): string[] {
  return changes.map((change) => {
    const { sign, values } = changeText(change);
    return COLOR[sign](`${sign} ${change.field}: ${values}`);
  });
}
