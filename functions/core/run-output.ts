// Run output: a run's code sets its output by printing one line `::output::<JSON>` on stdout (the last such line
// of a task's attempt wins), at most 4 KiB of JSON. It is read from the task's log when the attempt ends, in both
// hosts (masked like any line), and kept on the task and, for a run of one task, on the run. An output that is
// not JSON, or is too large, is named in a line of the run's log; it never fails the run.
import type { LogLine } from './ports.ts';

export const OUTPUT_PREFIX = '::output::';
export const MAX_OUTPUT_BYTES = 4096;

export type OutputFound = { value: unknown } | { invalid: string };

/** The output a `::output::` line sets, or why it sets none. */
export function parseOutput(message: string): OutputFound {
  const text = message.slice(message.indexOf(OUTPUT_PREFIX) + OUTPUT_PREFIX.length).trim();
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_OUTPUT_BYTES)
    return { invalid: `the output is ${bytes} bytes of JSON, more than ${MAX_OUTPUT_BYTES}: it was not kept` };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { invalid: `the output is not JSON (${(error as Error).message}): it was not kept` };
  }
}

/** A page of one attempt's lines that contain the prefix, and where to read on. */
export type OutputLines = (cursor: string | undefined) => Promise<{ items: LogLine[]; cursor: string; more: boolean }>;

/** The last `::output::` line on stdout of the lines read, parsed; null when the attempt printed none. */
export async function lastOutput(read: OutputLines): Promise<OutputFound | null> {
  let last: LogLine | undefined;
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await read(cursor);
    for (const line of page.items) if (line.stream === 'stdout' && line.message.startsWith(OUTPUT_PREFIX)) last = line;
    if (!page.more || page.cursor === cursor) break;
    cursor = page.cursor;
  }
  return last ? parseOutput(last.message) : null;
}
