// The local log store: a run's output, line by line with timestamps, kept as JSON lines under the data dir
// (<data>/logs/<job id>/<run id>.jsonl), and the LogSource that reads it. A run's process writes raw output to
// files (so it can outlive the service); a follower tails those files into the store. Each stored line records
// how far into its raw stream it reaches, so a follower resumed after a restart neither loses nor repeats lines.
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { appendFile, open, rm, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { ValidationError } from '../../core/errors.ts';
import type { JobRef } from '../../core/jobs.ts';
import type { LogLine, LogQuery, LogSource, LogStream, Page } from '../../core/ports.ts';

/** A run's stored output is capped; beyond it a marker line says what was dropped. */
export const DEFAULT_MAX_RUN_LOG_BYTES = 10 * 1024 * 1024;
/** A line longer than this is split (CloudWatch's event limit is 256 KiB too). */
const MAX_LINE_BYTES = 256 * 1024;
const READ_CHUNK = 64 * 1024;
/** How long one pass of a follower may read before it lets the event loop serve others. */
const SLICE_MS = 2;
const POLL_MS = 100;
/**
 * File times come from the kernel's coarse clock, a few milliseconds behind the clock that stamps lines: a run
 * is skipped only when its file was last written well before the window.
 */
const MTIME_SLACK_MS = 2_000;
export const TRUNCATION_MARKER = '[jobs] output truncated: this run wrote more than';

interface StoredLine {
  t: string;
  s: LogStream;
  m: string;
  /** The byte offset in the raw stream this line ends at; absent on marker lines. */
  o?: number;
  /** Which raw files `o` counts in: one generation per attempt (its process id). */
  g?: string;
}

export interface RawOutput {
  stdout: string;
  stderr: string;
}

export interface Follower {
  /** Reads whatever is left, stores it (a last unterminated line included), and stops following. */
  stop(): Promise<void>;
}

export class LocalLogStore implements LogSource {
  readonly #dir: string;
  readonly #maxRunBytes: number;

  constructor(dataDir: string, options: { maxRunBytes?: number } = {}) {
    this.#dir = join(dataDir, 'logs');
    this.#maxRunBytes = options.maxRunBytes ?? DEFAULT_MAX_RUN_LOG_BYTES;
  }

  #file(jobId: string, runId: string): string {
    return join(this.#dir, jobId, `${runId}.jsonl`);
  }

  /**
   * Starts tailing one attempt's raw output files into the store. `generation` names those files (one per
   * attempt); following the same generation again (after a restart) resumes where the last follower stopped.
   */
  async follow(jobId: string, runId: string, raw: RawOutput, generation: string): Promise<Follower> {
    const file = this.#file(jobId, runId);
    mkdirSync(dirname(file), { recursive: true });
    const resumed = await resumePoint(file, generation);
    return new RunFollower(file, raw, resumed, this.#maxRunBytes, generation);
  }

  async query(query: LogQuery): Promise<Page<LogLine>> {
    const after = query.cursor ? decodeLogCursor(query.cursor) : undefined;
    const dir = join(this.#dir, query.job.job_id);
    const runIds = query.run_id
      ? [query.run_id]
      : existsSync(dir)
        ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -6)).sort()
        : [];
    const startMs = query.start?.getTime() ?? -Infinity;
    const endMs = query.end?.getTime() ?? Infinity;
    const wanted = (line: Ordered) => {
      const ms = Date.parse(line.timestamp);
      return ms >= startMs && ms <= endMs && (!query.filter || line.message.includes(query.filter)) && (!after || compare(line, after) > 0);
    };
    const found: Ordered[] = [];
    /** Once a page is full, a line (or a whole run) later than its last line cannot belong on it. */
    const threshold = () => (found.length > query.limit ? found[query.limit]! : undefined);
    for (const runId of runIds) {
      const file = this.#file(query.job.job_id, runId);
      if (!existsSync(file)) continue;
      // A run whose first line comes after a full page's last cannot add to the page (lines are in time order
      // within a run, but a run created earlier may start later: every run is checked, none ends the search).
      const limit = threshold();
      if (limit && (await firstTimestamp(file)) > limit.timestamp) continue;
      // A run whose file was last written before the window (or the cursor) holds nothing wanted.
      const lastWrite = statSync(file).mtimeMs;
      if (lastWrite + MTIME_SLACK_MS < startMs || (after && lastWrite + MTIME_SLACK_MS < Date.parse(after.timestamp))) continue;
      let seq = 0;
      for await (const line of readLines(file)) {
        const ordered: Ordered = { timestamp: line.t, run_id: runId, stream: line.s, message: line.m, seq: seq++ };
        const cap = threshold();
        if (cap && compare(ordered, cap) > 0) break;
        if (!wanted(ordered)) continue;
        insertSorted(found, ordered);
        if (found.length > query.limit + 1) found.pop();
      }
    }
    const page = found.slice(0, query.limit);
    const more = found.length > query.limit;
    return {
      items: page.map(({ seq: _, ...line }) => line),
      next_cursor: more ? encodeLogCursor(page.at(-1)!) : null,
    };
  }

  async deleteForJob(job: JobRef): Promise<void> {
    await rm(join(this.#dir, job.job_id), { recursive: true, force: true });
  }
}

/** Lines are ordered by time, then run, then position within the run. */
interface Ordered extends LogLine {
  seq: number;
}

function compare(a: Ordered, b: Pick<Ordered, 'timestamp' | 'run_id' | 'seq'>): number {
  return a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : a.seq - b.seq;
}

function insertSorted(list: Ordered[], item: Ordered): void {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (compare(list[mid]!, item) <= 0) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, item);
}

/** The timestamp of a stored run's first line ('' for an empty file), from its first few bytes. */
async function firstTimestamp(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, 64, 0);
    return /^\{"t":"([^"]+)"/.exec(buffer.subarray(0, bytesRead).toString('utf8'))?.[1] ?? '';
  } finally {
    await handle.close();
  }
}

function encodeLogCursor(line: Ordered): string {
  return Buffer.from(JSON.stringify({ t: line.timestamp, r: line.run_id, n: line.seq })).toString('base64url');
}

function decodeLogCursor(cursor: string): Pick<Ordered, 'timestamp' | 'run_id' | 'seq'> {
  try {
    const { t, r, n } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof t === 'string' && typeof r === 'string' && Number.isInteger(n)) return { timestamp: t, run_id: r, seq: n };
  } catch {
    // fall through
  }
  throw ValidationError.field('cursor', 'is not a cursor this log returned');
}

async function* readLines(file: string): AsyncGenerator<StoredLine> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const text of lines) {
    if (!text) continue;
    try {
      yield JSON.parse(text) as StoredLine;
    } catch {
      // A line cut short by a crash mid-write: skip it.
    }
  }
}

interface ResumePoint {
  offsets: Record<LogStream, number>;
  bytes: number;
  capped: boolean;
}

/** Where a generation's raw files were read up to, and how much the run has stored in all (for its cap). */
async function resumePoint(file: string, generation: string): Promise<ResumePoint> {
  const point: ResumePoint = { offsets: { stdout: 0, stderr: 0 }, bytes: 0, capped: false };
  if (!existsSync(file)) return point;
  for await (const line of readLines(file)) {
    if (line.o !== undefined && line.g === generation) point.offsets[line.s] = Math.max(point.offsets[line.s], line.o);
    if (line.m.startsWith(TRUNCATION_MARKER)) point.capped = true;
    point.bytes += Buffer.byteLength(line.m);
  }
  return point;
}

class RunFollower implements Follower {
  readonly #file: string;
  readonly #raw: RawOutput;
  readonly #offsets: Record<LogStream, number>;
  readonly #partial: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  readonly #maxBytes: number;
  readonly #generation: string;
  #bytes: number;
  #capped: boolean;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout;
  #pass: Promise<void> = Promise.resolve();
  #again = false;
  #running = false;
  #stopped = false;

  constructor(file: string, raw: RawOutput, resumed: ResumePoint, maxBytes: number, generation: string) {
    this.#file = file;
    this.#generation = generation;
    this.#raw = raw;
    this.#offsets = resumed.offsets;
    this.#bytes = resumed.bytes;
    this.#capped = resumed.capped;
    this.#maxBytes = maxBytes;
    try {
      // inotify wakes the follower as soon as output arrives; the timer is the fallback.
      this.#watcher = watch(dirname(raw.stdout), () => this.#schedule());
      this.#watcher.on('error', () => undefined);
    } catch {
      this.#watcher = undefined;
    }
    this.#timer = setInterval(() => this.#schedule(), POLL_MS);
    this.#schedule();
  }

  /**
   * Asks for a pass over the raw files. A flood of output wakes the watcher thousands of times a second: while a
   * pass runs, a wake-up only marks that another round is due, so the wake-ups never pile up work of their own.
   */
  #schedule(): void {
    if (this.#stopped) return;
    this.#again = true;
    if (this.#running) return;
    this.#running = true;
    this.#pass = (async () => {
      try {
        while (this.#again && !this.#stopped) {
          this.#again = false;
          await this.#drain(false);
        }
      } finally {
        this.#running = false;
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#watcher?.close();
    await this.#pass;
    await this.#drain(true);
  }

  /** Reads new output from both streams for up to one slice of time, storing complete lines. */
  async #drain(final: boolean): Promise<void> {
    const started = Date.now();
    let progress = true;
    while (progress) {
      progress = false;
      for (const stream of ['stdout', 'stderr'] as const) {
        if (await this.#readStream(stream, final)) progress = true;
      }
      if (!final && Date.now() - started > SLICE_MS) {
        // More may be waiting: continue on a later turn of the event loop.
        if (progress) setImmediate(() => this.#schedule());
        return;
      }
    }
    if (final) for (const stream of ['stdout', 'stderr'] as const) await this.#flushPartial(stream);
  }

  async #readStream(stream: LogStream, final: boolean): Promise<boolean> {
    const path = this.#raw[stream];
    if (this.#capped) {
      // Nothing more is stored; keep the raw file from growing without end.
      if (!final && existsSync(path) && statSync(path).size > 0) await truncate(path, 0).catch(() => undefined);
      return false;
    }
    let handle;
    try {
      handle = await open(path, 'r');
    } catch {
      return false;
    }
    try {
      const size = (await handle.stat()).size;
      if (size < this.#offsets[stream]) this.#offsets[stream] = 0; // truncated underneath us
      if (size === this.#offsets[stream]) return false;
      const length = Math.min(READ_CHUNK, size - this.#offsets[stream]);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.#offsets[stream]);
      if (bytesRead === 0) return false;
      this.#offsets[stream] += bytesRead;
      await this.#store(stream, buffer.subarray(0, bytesRead));
      return true;
    } finally {
      await handle.close();
    }
  }

  /** Splits a chunk into lines (keeping an unfinished last line for later) and appends them. */
  async #store(stream: LogStream, chunk: Buffer): Promise<void> {
    const data = Buffer.concat([this.#partial[stream], chunk]);
    const records: string[] = [];
    const now = new Date().toISOString();
    let start = 0;
    let consumedTo = this.#offsets[stream] - data.length;
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0x0a && i - start < MAX_LINE_BYTES) continue;
      const end = data[i] === 0x0a ? i + 1 : i;
      const message = data.subarray(start, i).toString('utf8').replace(/\r$/, '');
      consumedTo += end - start;
      if (!this.#admit(message, records, now)) break;
      records.push(JSON.stringify({ t: now, s: stream, m: message, o: consumedTo, g: this.#generation } satisfies StoredLine));
      start = end;
    }
    this.#partial[stream] = this.#capped ? Buffer.alloc(0) : data.subarray(start);
    if (records.length > 0) await appendFile(this.#file, `${records.join('\n')}\n`);
  }

  /** Counts a line against the run's cap; at the cap, adds the marker and refuses the rest. */
  #admit(message: string, records: string[], now: string): boolean {
    if (this.#capped) return false;
    this.#bytes += Buffer.byteLength(message);
    if (this.#bytes <= this.#maxBytes) return true;
    this.#capped = true;
    // Nothing more is stored: the timer alone keeps the raw files truncated, without a wake-up per write.
    this.#watcher?.close();
    const marker = `${TRUNCATION_MARKER} ${this.#maxBytes} bytes of output; the rest was discarded`;
    records.push(JSON.stringify({ t: now, s: 'stderr', m: marker } satisfies StoredLine));
    return false;
  }

  async #flushPartial(stream: LogStream): Promise<void> {
    const rest = this.#partial[stream];
    if (rest.length === 0 || this.#capped) return;
    this.#partial[stream] = Buffer.alloc(0);
    const records: string[] = [];
    const now = new Date().toISOString();
    const message = rest.toString('utf8');
    if (this.#admit(message, records, now)) {
      records.push(JSON.stringify({ t: now, s: stream, m: message, o: this.#offsets[stream], g: this.#generation } satisfies StoredLine));
    }
    if (records.length > 0) await appendFile(this.#file, `${records.join('\n')}\n`);
  }
}
