// The side-by-side comparison's lines: shared lines level, a changed run across from the run it replaced, a line
// one side lacks left as a gap.
import { describe, expect, it } from 'vitest';
import { sideBySide, valueLines } from '../../console/src/line-diff.ts';

const read = (before: string[], after: string[]) =>
  sideBySide(before, after).map(({ before: b, after: a }) => [
    b ? `${b.mark[0]} ${b.text}` : null,
    a ? `${a.mark[0]} ${a.text}` : null,
  ]);

describe('two texts side by side', () => {
  it('keeps shared lines level and sets a changed line across from the one it replaced', () => {
    expect(read(['[', 'a', 'b', ']'], ['[', 'a', 'c', ']'])).toEqual([
      ['s [', 's ['],
      ['s a', 's a'],
      ['r b', 'a c'],
      ['s ]', 's ]'],
    ]);
  });

  it('leaves a gap across from a line only one side has', () => {
    expect(read(['a', 'c'], ['a', 'b', 'c'])).toEqual([
      ['s a', 's a'],
      [null, 'a b'],
      ['s c', 's c'],
    ]);
    expect(read(['x'], [])).toEqual([['r x', null]]);
    expect(read([], [])).toEqual([]);
  });

  it('pairs a run of changed lines with the run that replaced it, the longer one against gaps', () => {
    expect(read(['a', 'b', 'z'], ['c', 'd', 'e', 'z'])).toEqual([
      ['r a', 'a c'],
      ['r b', 'a d'],
      [null, 'a e'],
      ['s z', 's z'],
    ]);
  });

  it('reads a value as its lines: text as it is, anything else as indented JSON, nothing when not set', () => {
    expect(valueLines('two\nlines')).toEqual(['two', 'lines']);
    expect(valueLines(['sh', '-c'])).toEqual(['[', '  "sh",', '  "-c"', ']']);
    expect(valueLines(3600)).toEqual(['3600']);
    expect(valueLines(undefined)).toEqual([]);
  });
});
