// How a run's output is kept on disk: a file of JSON records, one a line (<data>/logs/<job id>/<run id>.jsonl). A
// record holds the lines one read of the run's raw output found, in one stream, stamped once:
//   {"t":"<stamp>","s":"stdout","l":["line", …],"o":<raw offset after the last line>,"g":"<generation>","a":<attempt>,"k":<task>}
// so a short line costs its own bytes and three more, not a whole JSON object (`yes` kept 2 bytes for each of its
// 2-byte lines, where one object a line kept 85). Records of one line (`m` instead of `l`) are read too: they
// are what earlier versions wrote, and what marker lines are.
//
// A line's position in the log is (stamp, run, seq), where seq is where it sits in its run's file: its record's
// byte offset and its index in the record. Positions are the same whoever reads and from where, so a read may
// start anywhere in a file (at a cursor's record, or found by its stamp) and still agree with every other read.
import type { FileHandle } from 'node:fs/promises';
import type { LogStream } from '../../core/ports.ts';

export interface StoredRecord {
  t: string;
  s: LogStream;
  /** The lines of one read. */
  l?: string[];
  /** One line: a marker, or a record of an earlier version. */
  m?: string;
  /** The byte offset in the raw stream the record's last line ends at; absent on marker lines. */
  o?: number;
  /** Which raw files `o` counts in: one generation per attempt (its process id). */
  g?: string;
  /** The attempt that wrote it; absent on lines stored before attempts were recorded (the first). */
  a?: number;
  /** The task that wrote it; absent for task 0. */
  k?: number;
  /** What a marker line marks: the cap reached, or output that could not be stored. */
  x?: 'cap' | 'lost';
}

/** A record's index slots in a seq: more lines than one read of 64 KiB can hold. */
export const LINE_SLOTS = 131_072;

export function seqOf(recordOffset: number, index: number): number {
  return recordOffset * LINE_SLOTS + index;
}

export function recordOffsetOf(seq: number): number {
  return Math.floor(seq / LINE_SLOTS);
}

export function linesOf(record: StoredRecord): string[] {
  return record.l ?? (typeof record.m === 'string' ? [record.m] : []);
}

/** A record as stored: its JSON and the newline that ends it. */
export function recordText(record: StoredRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** The bytes a line adds to a record's `l` (its JSON string and a comma). */
export function lineCost(line: string): number {
  return Buffer.byteLength(JSON.stringify(line)) + 1;
}

export function parseRecord(text: string): StoredRecord | null {
  try {
    const record = JSON.parse(text) as StoredRecord;
    return typeof record?.t === 'string' ? record : null;
  } catch {
    return null;
  }
}

/** What a read may still spend: bytes read from disk and time. A read that runs out stops where it is. */
export class ScanBudget {
  #bytes: number;
  readonly #deadline: number;
  #checks = 0;
  #spent = false;

  constructor(bytes: number, ms: number) {
    this.#bytes = bytes;
    this.#deadline = Date.now() + ms;
  }

  spend(bytes: number): void {
    this.#bytes -= bytes;
  }

  get spent(): boolean {
    // The clock is read every 256th look: a look happens for every line.
    if (!this.#spent && (this.#bytes <= 0 || ((this.#checks++ & 255) === 0 && Date.now() > this.#deadline)))
      this.#spent = true;
    return this.#spent;
  }
}

const CHUNK = 64 * 1024;

/**
 * The records of an open file from a byte offset, each with its offset; only whole records (one being appended is
 * left for a later read). A record cut short by a crash mid-write is yielded as null.
 */
export async function* readRecords(
  handle: FileHandle,
  from: number,
  budget: ScanBudget,
): AsyncGenerator<{ record: StoredRecord | null; offset: number }> {
  let position = from;
  let rest = Buffer.alloc(0);
  for (;;) {
    const chunk = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await handle.read(chunk, 0, CHUNK, position);
    if (bytesRead === 0) return;
    budget.spend(bytesRead);
    position += bytesRead;
    const data = rest.length ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    const base = position - data.length;
    let start = 0;
    for (let newline = data.indexOf(0x0a, start); newline !== -1; newline = data.indexOf(0x0a, start)) {
      const text = data.subarray(start, newline).toString('utf8');
      const offset = base + start;
      start = newline + 1;
      if (text) yield { record: parseRecord(text), offset };
    }
    rest = Buffer.from(data.subarray(start));
  }
}

/** The first record starting after byte `from` and before `before`: its offset and stamp. */
async function recordAfter(
  handle: FileHandle,
  from: number,
  before: number,
  budget: ScanBudget,
): Promise<{ offset: number; t: string } | null> {
  const buffer = Buffer.allocUnsafe(4096);
  for (let position = from; position < before; ) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return null;
    budget.spend(bytesRead);
    const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (newline === -1) {
      position += bytesRead;
      continue;
    }
    const offset = position + newline + 1;
    if (offset >= before) return null;
    const head = Buffer.allocUnsafe(64);
    const { bytesRead: headBytes } = await handle.read(head, 0, 64, offset);
    const t = /^\{"t":"([^"]+)"/.exec(head.subarray(0, headBytes).toString('utf8'))?.[1];
    return t ? { offset, t } : null;
  }
  return null;
}

/**
 * An offset to read a run's file from when only lines stamped at or after `t` are wanted: every record before it
 * is stamped before `t`. Stamps only grow within a file, so a binary search finds it in a few small reads.
 */
export async function seekStamp(handle: FileHandle, size: number, t: string, budget: ScanBudget): Promise<number> {
  let low = 0;
  let high = size;
  while (high - low > CHUNK) {
    const middle = Math.floor((low + high) / 2);
    const found = await recordAfter(handle, middle, high, budget);
    if (found && found.t < t) low = found.offset;
    else high = middle;
  }
  return low;
}
