// The local log store: a run's output, line by line with timestamps, kept as JSON lines under the data dir
// (<data>/logs/<job id>/<run id>.jsonl), and the LogSource that reads it. A run's process writes raw output to
// files (so it can outlive the service); a follower tails those files into the store. Each stored line records
// how far into its raw stream it reaches, so a follower resumed after a restart neither loses nor repeats lines.
//
// Readers page by a cursor after the last line they got. Lines are stamped by one clock that never goes back,
// and a reader returns only lines stamped before every write still in flight, so a line can never appear behind
// a cursor that has passed it: across runs, too, a follower sees every line exactly once.
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { appendFile, open, rm, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ValidationError } from '../../core/errors.ts';
import type { JobRef } from '../../core/jobs.ts';
import type { LogLine, LogPage, LogQuery, LogSource, LogStream, RunArtifacts } from '../../core/ports.ts';
import type { Run } from '../../core/run-model.ts';

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
  /** The attempt that wrote it; absent on lines stored before attempts were recorded (the first). */
  a?: number;
  /** The task that wrote it; absent for task 0. */
  k?: number;
}

export interface RawOutput {
  stdout: string;
  stderr: string;
}

export interface Follower {
  /** Reads whatever is left, stores it (a last unterminated line included), and stops following. */
  stop(): Promise<void>;
}

export class LocalLogStore implements LogSource, RunArtifacts {
  readonly #dir: string;
  readonly #maxRunBytes: number;
  readonly #clock = new StampClock();
  readonly #changes = new EventEmitter().setMaxListeners(0);
  /** Runs whose output is being stored now (a follower each), so their finished log is not yet whole. */
  readonly #writing = new Map<string, number>();

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
  async follow(jobId: string, runId: string, raw: RawOutput, generation: string, attempt = 1, task = 0): Promise<Follower> {
    this.#writing.set(runId, (this.#writing.get(runId) ?? 0) + 1);
    const done = () => {
      const left = (this.#writing.get(runId) ?? 1) - 1;
      if (left > 0) this.#writing.set(runId, left);
      else this.#writing.delete(runId);
      this.#changes.emit(jobId);
    };
    try {
      const file = this.#file(jobId, runId);
      mkdirSync(dirname(file), { recursive: true });
      const resumed = await resumePoint(file, generation);
      const writer: LineWriter = {
        stamp: () => this.#clock.begin(),
        written: (stamp) => {
          this.#clock.end(stamp);
          this.#changes.emit(jobId);
        },
      };
      return new RunFollower({ file, raw, resumed, maxBytes: this.#maxRunBytes, generation, attempt, task, writer, done });
    } catch (error) {
      done();
      throw error;
    }
  }

  settled(run: Run): boolean {
    return !this.#writing.has(run.id);
  }

  changed(job: JobRef, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const wake = () => {
        this.#changes.off(job.job_id, wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.#changes.on(job.job_id, wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  async query(query: LogQuery): Promise<LogPage> {
    const scope = query.run_id ?? query.job.job_id;
    const after = query.cursor ? decodeLogCursor(query.cursor, scope) : startOfLog();
    // Lines stamped from here on may still be being written: they wait for the next read.
    const watermark = this.#clock.watermark();
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
      return (
        ms >= startMs &&
        ms <= endMs &&
        (!query.filter || line.message.includes(query.filter)) &&
        (query.attempt === undefined || line.attempt === query.attempt) &&
        (query.task === undefined || line.task_index === query.task)
      );
    };
    const found: Ordered[] = [];
    let held = false;
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
      if (lastWrite + MTIME_SLACK_MS < startMs || (after.timestamp && lastWrite + MTIME_SLACK_MS < Date.parse(after.timestamp))) continue;
      // A run's own cursor knows where its last line ended in the file: reading resumes there.
      const resume = query.run_id && after.offset !== undefined ? { offset: after.offset, seq: after.seq + 1 } : { offset: 0, seq: 0 };
      let seq = resume.seq;
      for await (const { line, end } of readStoredLines(file, resume.offset)) {
        if (!line) continue;
        const ordered: Ordered = {
          timestamp: line.t, run_id: runId, attempt: line.a ?? 1, task_index: line.k ?? 0, stream: line.s, message: line.m, seq: seq++, end,
        };
        if (line.t >= watermark) {
          held = true;
          break;
        }
        const cap = threshold();
        if (cap && compare(ordered, cap) > 0) break;
        if (compare(ordered, after) <= 0) continue;
        // A line passed over (outside the window or filter) still moves a run's cursor on.
        if (!wanted(ordered)) {
          if (query.run_id && !found.length) after.passed = ordered;
          continue;
        }
        insertSorted(found, ordered);
        if (found.length > query.limit + 1) found.pop();
      }
    }
    const page = found.slice(0, query.limit);
    const last = page.at(-1) ?? after.passed;
    return {
      items: page.map(({ seq: _, end: __, ...line }) => line),
      cursor: last ? encodeLogCursor(scope, last) : (query.cursor ?? encodeLogCursor(scope, after)),
      more: held || found.length > query.limit,
    };
  }

  async deleteForJob(job: JobRef): Promise<void> {
    await rm(join(this.#dir, job.job_id), { recursive: true, force: true });
  }

  /** Removes the lines of runs removed from the job's history. */
  async removeRuns(job: JobRef, runIds: string[]): Promise<void> {
    await Promise.all(runIds.map((runId) => rm(join(this.#dir, job.job_id, `${runId}.jsonl`), { force: true })));
  }
}

/**
 * Stamps lines with the time, never going back, and knows which stamps are still being written, so readers can
 * stop before them. Once a reader has read everything stored, the next stamp is later than all of it.
 */
export class StampClock {
  #last = '';
  /** A reader has seen every line stamped up to #last: the next stamp must be later. */
  #sealed = false;
  readonly #inFlight = new Map<string, number>();

  begin(): string {
    let stamp = new Date().toISOString();
    if (stamp < this.#last || (this.#sealed && stamp === this.#last)) {
      stamp = this.#sealed ? new Date(Date.parse(this.#last) + 1).toISOString() : this.#last;
    }
    this.#last = stamp;
    this.#sealed = false;
    this.#inFlight.set(stamp, (this.#inFlight.get(stamp) ?? 0) + 1);
    return stamp;
  }

  end(stamp: string): void {
    const left = (this.#inFlight.get(stamp) ?? 1) - 1;
    if (left > 0) this.#inFlight.set(stamp, left);
    else this.#inFlight.delete(stamp);
  }

  /** The first stamp a reader may not return yet: the oldest still in flight; past every stamp when none is. */
  watermark(): string {
    let lowest: string | undefined;
    for (const stamp of this.#inFlight.keys()) if (lowest === undefined || stamp < lowest) lowest = stamp;
    if (lowest !== undefined) return lowest;
    this.#sealed = true;
    return END_OF_TIME;
  }
}

/** Sorts after every timestamp. */
const END_OF_TIME = '\uffff';

interface LineWriter {
  /** A stamp for lines about to be appended; `written` once they are. */
  stamp(): string;
  written(stamp: string): void;
}

/** Lines are ordered by time, then run, then position within the run. */
interface Ordered extends LogLine {
  seq: number;
  /** The byte offset in the stored file just after this line. */
  end: number;
}

type Position = Pick<Ordered, 'timestamp' | 'run_id' | 'seq'>;

interface After extends Position {
  /** Where in a run's file its line ended, when the cursor is a run's. */
  offset?: number | undefined;
  /** The last line a run's read passed over without returning (outside the window or the filter). */
  passed?: Ordered | undefined;
}

function compare(a: Position, b: Position): number {
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

/** Before the first line of a run's or job's log. */
function startOfLog(): After {
  return { timestamp: '', run_id: '', seq: -1 };
}

/** A cursor names its log (the run or job it was read from) and the position of a line in it. */
function encodeLogCursor(scope: string, line: Position & { end?: number | undefined; offset?: number | undefined }): string {
  const offset = line.end ?? line.offset;
  return Buffer.from(JSON.stringify({ l: scope, t: line.timestamp, r: line.run_id, n: line.seq, ...(offset !== undefined ? { b: offset } : {}) })).toString('base64url');
}

function decodeLogCursor(cursor: string, scope: string): After {
  let decoded: { l?: unknown; t?: unknown; r?: unknown; n?: unknown; b?: unknown } | undefined;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const { l, t, r, n, b } = decoded ?? {};
  if (typeof l !== 'string' || typeof t !== 'string' || typeof r !== 'string' || !Number.isInteger(n) || (b !== undefined && !Number.isInteger(b))) {
    throw ValidationError.field('cursor', 'is not a cursor this log returned');
  }
  if (l !== scope) throw ValidationError.field('cursor', `was returned by the log of ${l}, not of ${scope}`);
  return { timestamp: t, run_id: r, seq: n as number, offset: b as number | undefined };
}

/**
 * The stored lines of a file from a byte offset, each with the offset just after it. Only whole lines: a line
 * still being appended is left for a later read. A line cut short by a crash mid-write is yielded as null.
 */
async function* readStoredLines(file: string, from: number): AsyncGenerator<{ line: StoredLine | null; end: number }> {
  const handle = await open(file, 'r');
  try {
    let position = from;
    let rest = Buffer.alloc(0);
    for (;;) {
      const chunk = Buffer.alloc(READ_CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      const data = rest.length ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      let end = position - data.length;
      for (let newline = data.indexOf(0x0a, start); newline !== -1; newline = data.indexOf(0x0a, start)) {
        end += newline + 1 - start;
        const text = data.subarray(start, newline).toString('utf8');
        start = newline + 1;
        if (!text) continue;
        yield { line: parseStored(text), end };
      }
      rest = Buffer.from(data.subarray(start));
    }
  } finally {
    await handle.close();
  }
}

function parseStored(text: string): StoredLine | null {
  try {
    return JSON.parse(text) as StoredLine;
  } catch {
    return null;
  }
}

async function* readLines(file: string): AsyncGenerator<StoredLine> {
  for await (const { line } of readStoredLines(file, 0)) if (line) yield line;
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
  await endWithNewline(file);
  for await (const line of readLines(file)) {
    if (line.o !== undefined && line.g === generation) point.offsets[line.s] = Math.max(point.offsets[line.s], line.o);
    if (line.m.startsWith(TRUNCATION_MARKER)) point.capped = true;
    point.bytes += Buffer.byteLength(line.m);
  }
  return point;
}

/** A service killed mid-append leaves a last line cut short: what is stored next must start on a line of its own. */
async function endWithNewline(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await handle.write('\n', size);
  } finally {
    await handle.close();
  }
}

interface FollowerOptions {
  file: string;
  raw: RawOutput;
  resumed: ResumePoint;
  maxBytes: number;
  generation: string;
  attempt: number;
  task: number;
  writer: LineWriter;
  /** Told once the follower has stored everything and stopped. */
  done: () => void;
}

class RunFollower implements Follower {
  readonly #file: string;
  readonly #raw: RawOutput;
  readonly #offsets: Record<LogStream, number>;
  readonly #partial: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  readonly #maxBytes: number;
  readonly #generation: string;
  readonly #attempt: number;
  /** Stored only where it is not 0, so a run of one task stores what it always did. */
  readonly #task: { k?: number };
  readonly #writer: LineWriter;
  readonly #done: () => void;
  #bytes: number;
  #capped: boolean;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout;
  #pass: Promise<void> = Promise.resolve();
  #again = false;
  #running = false;
  #stopped = false;

  constructor(options: FollowerOptions) {
    this.#file = options.file;
    this.#generation = options.generation;
    this.#attempt = options.attempt;
    this.#task = options.task > 0 ? { k: options.task } : {};
    this.#raw = options.raw;
    this.#offsets = options.resumed.offsets;
    this.#bytes = options.resumed.bytes;
    this.#capped = options.resumed.capped;
    this.#maxBytes = options.maxBytes;
    this.#writer = options.writer;
    this.#done = options.done;
    try {
      // inotify wakes the follower as soon as output arrives; the timer is the fallback.
      this.#watcher = watch(dirname(options.raw.stdout), () => this.#schedule());
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
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#watcher?.close();
    try {
      await this.#pass;
      await this.#drain(true);
    } finally {
      this.#done();
    }
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
    const now = this.#writer.stamp();
    let start = 0;
    let consumedTo = this.#offsets[stream] - data.length;
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0x0a && i - start < MAX_LINE_BYTES) continue;
      const end = data[i] === 0x0a ? i + 1 : i;
      const message = data.subarray(start, i).toString('utf8').replace(/\r$/, '');
      consumedTo += end - start;
      if (!this.#admit(message, records, now)) break;
      records.push(JSON.stringify({ t: now, s: stream, m: message, o: consumedTo, g: this.#generation, a: this.#attempt, ...this.#task } satisfies StoredLine));
      start = end;
    }
    this.#partial[stream] = this.#capped ? Buffer.alloc(0) : data.subarray(start);
    await this.#append(records, now);
  }

  /** Appends the records stamped `stamp`, and releases the stamp however that ends. */
  async #append(records: string[], stamp: string): Promise<void> {
    try {
      if (records.length > 0) await appendFile(this.#file, `${records.join('\n')}\n`);
    } finally {
      this.#writer.written(stamp);
    }
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
    records.push(JSON.stringify({ t: now, s: 'stderr', m: marker, a: this.#attempt, ...this.#task } satisfies StoredLine));
    return false;
  }

  async #flushPartial(stream: LogStream): Promise<void> {
    const rest = this.#partial[stream];
    if (rest.length === 0 || this.#capped) return;
    this.#partial[stream] = Buffer.alloc(0);
    const records: string[] = [];
    const now = this.#writer.stamp();
    const message = rest.toString('utf8');
    if (this.#admit(message, records, now)) {
      records.push(JSON.stringify({ t: now, s: stream, m: message, o: this.#offsets[stream], g: this.#generation, a: this.#attempt, ...this.#task } satisfies StoredLine));
    }
    await this.#append(records, now);
  }
}
