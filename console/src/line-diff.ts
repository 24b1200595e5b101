// Two texts side by side, line against line: the lines both share stay level, and a run of changed lines sits
// across from the run it replaced (a line one side lacks leaves a gap), so each changed line reads beside its
// counterpart.

export type Mark = 'same' | 'removed' | 'added';
export interface Side {
  text: string;
  mark: Mark;
}
/** One row of the comparison: null where that side has no line. */
export interface Row {
  before: Side | null;
  after: Side | null;
}

/** The rows of `before` beside `after`, by their longest common run of lines. */
export function sideBySide(before: readonly string[], after: readonly string[]): Row[] {
  const n = before.length;
  const m = after.length;
  // common[i][j]: how many lines before[i..] and after[j..] share, in order.
  const common = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      common[i]![j] =
        before[i] === after[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);

  const rows: Row[] = [];
  let removed: string[] = [];
  let added: string[] = [];
  const pairUp = () => {
    for (let k = 0; k < Math.max(removed.length, added.length); k++)
      rows.push({
        before: k < removed.length ? { text: removed[k]!, mark: 'removed' } : null,
        after: k < added.length ? { text: added[k]!, mark: 'added' } : null,
      });
    removed = [];
    added = [];
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      pairUp();
      rows.push({ before: { text: before[i]!, mark: 'same' }, after: { text: after[j]!, mark: 'same' } });
      i++;
      j++;
    } else if (j >= m || (i < n && common[i + 1]![j]! >= common[i]![j + 1]!)) removed.push(before[i++]!);
    else added.push(after[j++]!);
  }
  pairUp();
  return rows;
}

/** A spec value as lines: text as it is, anything else as indented JSON; nothing for a value not set. */
export function valueLines(value: unknown): string[] {
  if (value === undefined) return [];
  return (typeof value === 'string' ? value : JSON.stringify(value, null, 2)).split('\n');
}
