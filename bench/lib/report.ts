// Benchmark output: each suite returns tables; they are printed and written to bench/RESULTS.md.
export interface Table {
  caption: string;
  head: string[];
  rows: string[][];
}

export interface Section {
  title: string;
  tables: Table[];
  notes?: string[];
}

export function markdown(table: Table): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [`*${table.caption}*`, '', line(table.head), line(table.head.map(() => '---')), ...table.rows.map(line)].join(
    '\n',
  );
}

export function renderSection(section: Section): string {
  return [
    `## ${section.title}`,
    '',
    ...section.tables.map((t) => `${markdown(t)}\n`),
    ...(section.notes ?? []).map((n) => `- ${n}`),
  ].join('\n');
}
