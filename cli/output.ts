// How the CLI prints: aligned tables for people (status in colour on a terminal, times relative), the API's
// data as JSON for scripts. No colour when stdout is not a terminal or NO_COLOR is set.
import { createColors } from 'picocolors';

export type Format = 'table' | 'json';

export const colors = createColors(
  Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb',
);

const STATUS_COLOR: Record<string, (text: string) => string> = {
  pending: colors.yellow,
  running: colors.cyan,
  succeeded: colors.green,
  failed: colors.red,
  cancelled: colors.magenta,
};

export function status(text: string): string {
  return (STATUS_COLOR[text] ?? ((t: string) => t))(text);
}

/** "12s ago", "5m ago", "3h ago", "2d ago"; "-" for none. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** "850ms", "12.3s", "4m05s"; "-" for none. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

// Escape sequences take no room on screen: widths are measured without them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what this matches
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (text: string) => text.replace(ANSI, '').length;

/** Columns aligned under upper-case headers, two spaces apart. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(head.map((h) => colors.bold(h.toUpperCase()))), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
