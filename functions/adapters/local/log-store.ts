// The local log store: each run's output, line by line with timestamps, kept under the data dir (the format is in
// log-records.ts), and the LogSource that reads it. A run's process writes raw output to files (so it can outlive
// the service); a follower (log-follower.ts) tails those files into the store.
//
// Readers page by a cursor after the last line they got. Lines are stamped by one clock that never goes back,
// and a reader returns only lines stamped before every write still in flight, so a line can never appear behind
// a cursor that has passed it: across runs, too, a follower sees every line exactly once. A read merges its runs'
// lines in order and stops after a bounded amount of work (SCAN_BYTES read, SCAN_MS spent): a filter that matches
// nothing in a large log answers in a fraction of a second with a cursor further on and `more`, instead of one
// request scanning gigabytes while the rest of the service waits.
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeTime } from 'ulid';
import { ValidationError } from '../../core/errors.ts';
import type { JobRef } from '../../core/jobs.ts';
import type { LogLine, LogPage, LogQuery, LogSource, LogStream, RunArtifacts } from '../../core/ports.ts';
import type { Run, RunRef } from '../../core/run-model.ts';
import type { Logger } from '../../logger.ts';
import { Background } from './background.ts';
import { RunFollower, TRUNCATION_MARKER, type Follower, type RawOutput, type ResumePoint } from './log-follower.ts';
import {
  linesOf,
  readRecords,
  recordOffsetOf,
  recordText,
  ScanBudget,
  seekStamp,
  seqOf,
  type StoredRecord,
} from './log-records.ts';

export { LOST_MARKER, TRUNCATION_MARKER, type Follower, type RawOutput } from './log-follower.ts';

/** A run's stored output is capped (the bytes on disk, records and all); beyond it a marker line says what was dropped. */
export const DEFAULT_MAX_RUN_LOG_BYTES = 10 * 1024 * 1024;
/** What one read may examine: bytes read from disk, and time. Reaching either, it answers with what it found. */
export const SCAN_BYTES = 4 * 1024 * 1024;
const SCAN_MS = 200;
/** Opening a run's file counts as this many bytes read. */
const OPEN_COST = 4096;
/**
 * File times come from the kernel's coarse clock, a few milliseconds behind the clock that stamps lines: a run
 * is skipped only when its file was last written well before the window.
 */
const MTIME_SLACK_MS = 2_000;
/** A run's lines are stamped after the run was created (its id's time), give or take a clock set back a little. */
const CREATED_SLACK_MS = 60_000;
const MARKER_RETRY_MS = 2_000;
/** Reads that look at the log at the same time; more wait their turn. */
const READ_SLOTS = 2;

export class LocalLogStore implements LogSource, RunArtifacts {
  readonly #dir: string;
  readonly #maxRunBytes: number;
  readonly #clock = new StampClock();
  readonly #changes = new EventEmitter().setMaxListeners(0);
  /** Runs whose output is being stored now (a follower each), so their finished log is not yet whole. */
  readonly #writing = new Map<string, number>();
  readonly #background: Background | undefined;
  /** Runs whose log is not whole but whose flag file could not be made yet. */
  readonly #truncated = new Set<string>();
  /** Marker lines that could not be appended yet (the disk is full), by run. */
  readonly #markers = new Map<string, { file: string; jobId: string; records: StoredRecord[] }>();
  #markerTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  readonly #slots = new ReadSlots(READ_SLOTS);
  /** The last append to each file in flight: the next one follows it. */
  readonly #appending = new Map<string, Promise<void>>();

  constructor(dataDir: string, options: { maxRunBytes?: number | undefined; logger?: Logger } = {}) {
    this.#dir = join(dataDir, 'logs');
    this.#maxRunBytes = options.maxRunBytes ?? DEFAULT_MAX_RUN_LOG_BYTES;
    this.#background = options.logger ? new Background(options.logger) : undefined;
  }

  #file(jobId: string, runId: string): string {
    return join(this.#dir, jobId, `${runId}.jsonl`);
  }

  /** An empty file beside a run's log that says it is not whole: making it needs no data block of a full disk. */
  #flag(jobId: string, runId: string): string {
    return join(this.#dir, jobId, `${runId}.truncated`);
  }

  /**
   * Starts tailing one attempt's raw output files into the store. `generation` names those files (one per
   * attempt); following the same generation again (after a restart) resumes where the last follower stopped.
   */
  async follow(
    jobId: string,
    runId: string,
    raw: RawOutput,
    generation: string,
    attempt = 1,
    task = 0,
    masks: readonly string[] = [],
  ): Promise<Follower> {
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
      return new RunFollower({
        raw,
        resumed,
        maxBytes: this.#maxRunBytes,
        generation,
        attempt,
        task,
        masks,
        sink: {
          append: (text) => this.#append(file, text),
          stamp: () => this.#clock.begin(),
          written: (stamp) => {
            this.#clock.end(stamp);
            this.#changes.emit(jobId);
          },
          truncated: (marker, stored) => this.#markTruncated(jobId, runId, marker, stored),
          failed: (error) =>
            this.#background?.report(
              'storing run output (it is kept in the raw files and stored once it can be)',
              error,
            ),
          done,
        },
      });
    } catch (error) {
      done();
      throw error;
    }
  }

  #markTruncated(jobId: string, runId: string, marker: StoredRecord, stored: boolean): void {
    try {
      writeFileSync(this.#flag(jobId, runId), '');
    } catch {
      this.#truncated.add(runId);
    }
    if (stored) return;
    const pending = this.#markers.get(runId) ?? { file: this.#file(jobId, runId), jobId, records: [] };
    pending.records.push(marker);
    this.#markers.set(runId, pending);
    void this.flushMarkers();
  }

  /** Appends the marker lines that could not be stored yet; tried again every few seconds until they are. */
  flushMarkers(): Promise<void> {
    // One at a time: two at once would both append a marker still pending.
    this.#flushing ??= this.#flushMarkers().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async #flushMarkers(): Promise<void> {
    clearTimeout(this.#markerTimer);
    for (const [runId, pending] of this.#markers) {
      const stamp = this.#clock.begin();
      try {
        await this.#append(pending.file, pending.records.map((record) => recordText({ ...record, t: stamp })).join(''));
        this.#markers.delete(runId);
        writeFileSync(this.#flag(pending.jobId, runId), '');
        this.#truncated.delete(runId);
      } catch (error) {
        this.#background?.report('storing the marker of a run log that is not whole', error);
      } finally {
        this.#clock.end(stamp);
        this.#changes.emit(pending.jobId);
      }
    }
    if (this.#markers.size > 0) this.#markerTimer = setTimeout(() => void this.flushMarkers(), MARKER_RETRY_MS).unref();
  }

  /**
   * Appends to a run's file, one append at a time for each file (a run's tasks share it). An append that fails
   * part-way (a full disk) is undone: the file never ends in half a record that the next one would be glued to.
   */
  #append(file: string, text: string): Promise<void> {
    const next = (this.#appending.get(file) ?? Promise.resolve()).then(() => appendWhole(file, text));
    const settled = next.catch(() => undefined);
    this.#appending.set(file, settled);
    void settled.then(() => this.#appending.get(file) === settled && this.#appending.delete(file));
    return next;
  }

  /** A line of the service's own in a run's log, on stderr, as the attempt and task it is about wrote it. */
  async note(run: RunRef, index: number, attempt: number, message: string): Promise<void> {
    const file = this.#file(run.job_id, run.run_id);
    mkdirSync(dirname(file), { recursive: true });
    const stamp = this.#clock.begin();
    try {
      await this.#append(
        file,
        recordText({ t: stamp, s: 'stderr', m: `jobs: ${message}`, a: attempt, ...(index > 0 ? { k: index } : {}) }),
      );
    } finally {
      this.#clock.end(stamp);
      this.#changes.emit(run.job_id);
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
    // Few reads look at the log at once: thirty clients paging a filter through a large log then wait their turn
    // rather than fill the event loop, and health and every other request stay quick meanwhile.
    const release = await this.#slots.take(query.filter !== undefined);
    try {
      return await this.#query(query);
    } finally {
      release();
    }
  }

  async #query(query: LogQuery): Promise<LogPage> {
    const scope = query.run_id ?? query.job.job_id;
    const after = query.cursor ? decodeLogCursor(query.cursor, scope) : startOfLog();
    // Lines stamped from here on may still be being written: they wait for the next read.
    const watermark = this.#clock.watermark();
    const budget = new ScanBudget(SCAN_BYTES, SCAN_MS);
    const startStamp = query.start?.toISOString() ?? '';
    const endStamp = query.end?.toISOString();
    // biome-ignore lint/complexity/useMathMinMax: stamps are strings, compared as such
    const from = after.timestamp > startStamp ? after.timestamp : startStamp;
    const dir = join(this.#dir, query.job.job_id);
    const runIds = query.run_id
      ? [query.run_id]
      : existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => f.endsWith('.jsonl'))
            .map((f) => f.slice(0, -6))
            .sort()
        : [];
    // Runs are opened in the order their lines can start (their creation), each once the merge could need it.
    const waiting = runIds.map((runId) => ({ runId, earliest: createdBound(runId) }));
    const merge = new Merge();
    const found: Ordered[] = [];
    let last: Position | undefined;
    let held = false;
    let partial = false;
    const wanted = (line: RunLines) =>
      line.t >= startStamp &&
      (!query.filter || line.message.includes(query.filter)) &&
      (query.attempt === undefined || (line.record.a ?? 1) === query.attempt) &&
      (query.task === undefined || (line.record.k ?? 0) === query.task);
    try {
      for (;;) {
        // Before a line is looked at, every run that could hold an earlier one is open.
        for (let top = merge.top(); waiting.length > 0 && (!top || waiting[0]!.earliest <= top.t); top = merge.top()) {
          const { runId } = waiting.shift()!;
          const opened = await this.#openRun(query.job.job_id, runId, query.run_id ? after : undefined, from, budget);
          if (opened) merge.add(opened);
          if (budget.spent) break;
        }
        const line = merge.top();
        if (!line) {
          // Runs left unopened (the budget ran out opening them) may hold lines: the reader must read on.
          partial = waiting.length > 0;
          break;
        }
        if (budget.spent) {
          partial = true;
          break;
        }
        if (line.t >= watermark) {
          held = true;
          break;
        }
        if (endStamp !== undefined && line.t > endStamp) break;
        if (compare(line, after) > 0) {
          if (wanted(line)) {
            found.push(line.ordered());
            if (found.length > query.limit) break;
          }
          last = { timestamp: line.t, run_id: line.runId, seq: line.seq };
        }
        await merge.advance();
      }
    } finally {
      await merge.close();
    }
    const full = found.length > query.limit;
    const page = found.slice(0, query.limit);
    // A full page ends at its last line; otherwise the cursor passes every line looked at, wanted or not.
    const position = full ? page.at(-1) : (last ?? after);
    return {
      items: page.map(({ seq: _, ...line }) => line),
      cursor: position === after && query.cursor ? query.cursor : encodeLogCursor(scope, position!),
      more: held || full || partial,
      partial,
      ...(query.run_id ? { truncated: this.#isTruncated(query.job.job_id, query.run_id) } : {}),
    };
  }

  #isTruncated(jobId: string, runId: string): boolean {
    return this.#truncated.has(runId) || existsSync(this.#flag(jobId, runId));
  }

  /** A run's file opened where the read begins: at a run cursor's record, or at the first record stamped `from`. */
  async #openRun(
    jobId: string,
    runId: string,
    after: After | undefined,
    from: string,
    budget: ScanBudget,
  ): Promise<RunLines | null> {
    const file = this.#file(jobId, runId);
    let size: number;
    let lastWrite: number;
    try {
      ({ size, mtimeMs: lastWrite } = statSync(file));
    } catch {
      return null;
    }
    // A run whose file was last written before the window (or the cursor) holds nothing wanted.
    if (from && lastWrite + MTIME_SLACK_MS < Date.parse(from)) return null;
    // Only a run that is read counts against the read: a job's older runs, skipped by their time, cost a stat each.
    budget.spend(OPEN_COST);
    const handle = await open(file, 'r');
    let offset = 0;
    if (after?.offset !== undefined) offset = after.offset;
    else if (after && after.seq >= 0 && after.run_id === runId) offset = recordOffsetOf(after.seq);
    else if (from) offset = await seekStamp(handle, size, from, budget);
    const lines = new RunLines(runId, handle, offset, budget);
    await lines.advance();
    if (lines.done) {
      await lines.close();
      return null;
    }
    return lines;
  }

  async deleteForJob(job: JobRef): Promise<void> {
    await rm(join(this.#dir, job.job_id), { recursive: true, force: true });
  }

  /** Removes the lines of runs removed from the job's history. */
  async removeRuns(job: JobRef, runIds: string[]): Promise<void> {
    await Promise.all(
      runIds.flatMap((runId) => [
        rm(this.#file(job.job_id, runId), { force: true }),
        rm(this.#flag(job.job_id, runId), { force: true }),
      ]),
    );
  }
}

async function appendWhole(file: string, text: string): Promise<void> {
  const handle = await open(file, 'a');
  try {
    const { size } = await handle.stat();
    try {
      await handle.appendFile(text);
    } catch (error) {
      await handle.truncate(size).catch(() => undefined); // shrinking needs no free space
      throw error;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Turns to read the log: `size` at once. Reads without a filter (a follower's tail: a few lines) go before those
 * with one (which may look through megabytes before their limit of work), each kind in its order of arrival.
 */
class ReadSlots {
  #free: number;
  readonly #light: Array<() => void> = [];
  readonly #heavy: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  async take(heavy: boolean): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => (heavy ? this.#heavy : this.#light).push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#light.shift() ?? this.#heavy.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/** The earliest stamp a run's lines can carry: its id's time, less a clock set back a little. */
function createdBound(runId: string): string {
  try {
    return new Date(decodeTime(runId.slice(runId.indexOf('_') + 1)) - CREATED_SLACK_MS).toISOString();
  } catch {
    return '';
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

/** Lines are ordered by time, then run, then position within the run. */
interface Ordered extends LogLine {
  seq: number;
}

interface Position {
  timestamp: string;
  run_id: string;
  seq: number;
}

interface After extends Position {
  /** Where in a run's file to read from, given by a cursor of an earlier version. */
  offset?: number | undefined;
}

function compare(a: { t: string; runId: string; seq: number }, b: Position): number {
  return a.t < b.timestamp
    ? -1
    : a.t > b.timestamp
      ? 1
      : a.runId < b.run_id
        ? -1
        : a.runId > b.run_id
          ? 1
          : a.seq - b.seq;
}

function before(a: RunLines, b: RunLines): boolean {
  return compare(a, { timestamp: b.t, run_id: b.runId, seq: b.seq }) < 0;
}

/** One run's lines in order, from an offset in its file: the current line's fields, read without copying. */
class RunLines {
  readonly runId: string;
  readonly #handle: FileHandle;
  readonly #records: AsyncGenerator<{ record: StoredRecord | null; offset: number }>;
  #lines: string[] = [];
  #index = 0;
  #offset = 0;
  record!: StoredRecord;
  t = '';
  seq = 0;
  message = '';
  done = false;

  constructor(runId: string, handle: FileHandle, from: number, budget: ScanBudget) {
    this.runId = runId;
    this.#handle = handle;
    this.#records = readRecords(handle, from, budget);
  }

  async advance(): Promise<void> {
    while (this.#index >= this.#lines.length) {
      const next = await this.#records.next();
      if (next.done) {
        this.done = true;
        return;
      }
      const { record, offset } = next.value;
      if (!record) continue;
      this.record = record;
      this.#lines = linesOf(record);
      this.#index = 0;
      this.#offset = offset;
    }
    this.t = this.record.t;
    this.seq = seqOf(this.#offset, this.#index);
    this.message = this.#lines[this.#index]!;
    this.#index++;
  }

  ordered(): Ordered {
    const record = this.record;
    return {
      timestamp: this.t,
      run_id: this.runId,
      attempt: record.a ?? 1,
      task_index: record.k ?? 0,
      stream: record.s,
      message: this.message,
      seq: this.seq,
    };
  }

  async close(): Promise<void> {
    await this.#records.return(undefined);
    await this.#handle.close();
  }
}

/** The runs of a read, merged in line order: a small binary heap on each run's current line. */
class Merge {
  readonly #heap: RunLines[] = [];

  top(): RunLines | undefined {
    return this.#heap[0];
  }

  add(lines: RunLines): void {
    this.#heap.push(lines);
    let i = this.#heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(this.#heap[i]!, this.#heap[parent]!)) break;
      [this.#heap[i], this.#heap[parent]] = [this.#heap[parent]!, this.#heap[i]!];
      i = parent;
    }
  }

  /** Moves the top run on to its next line, and restores the order. */
  async advance(): Promise<void> {
    const top = this.#heap[0]!;
    await top.advance();
    if (top.done) {
      await top.close();
      const lastOne = this.#heap.pop()!;
      if (this.#heap.length === 0) return;
      this.#heap[0] = lastOne;
    }
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < this.#heap.length && before(this.#heap[left]!, this.#heap[least]!)) least = left;
      if (right < this.#heap.length && before(this.#heap[right]!, this.#heap[least]!)) least = right;
      if (least === i) return;
      [this.#heap[i], this.#heap[least]] = [this.#heap[least]!, this.#heap[i]!];
      i = least;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#heap.splice(0).map((lines) => lines.close()));
  }
}

/** Before the first line of a run's or job's log. */
function startOfLog(): After {
  return { timestamp: '', run_id: '', seq: -1 };
}

/** A cursor names its log (the run or job it was read from) and the position of a line in it. */
function encodeLogCursor(scope: string, line: Position): string {
  return Buffer.from(JSON.stringify({ l: scope, t: line.timestamp, r: line.run_id, n: line.seq })).toString(
    'base64url',
  );
}

function decodeLogCursor(cursor: string, scope: string): After {
  let decoded: { l?: unknown; t?: unknown; r?: unknown; n?: unknown; b?: unknown } | undefined;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const { l, t, r, n, b } = decoded ?? {};
  if (
    typeof l !== 'string' ||
    typeof t !== 'string' ||
    typeof r !== 'string' ||
    !Number.isInteger(n) ||
    (b !== undefined && !Number.isInteger(b))
  ) {
    throw ValidationError.field('cursor', 'is not a cursor this log returned');
  }
  if (l !== scope) throw ValidationError.field('cursor', `was returned by the log of ${l}, not of ${scope}`);
  // `b`: a cursor of an earlier version, whose seq counted lines; it said where in the file to go on.
  return { timestamp: t, run_id: r, seq: n as number, offset: b as number | undefined };
}

/** Where a generation's raw files were read up to, and how much the run has stored in all (for its cap). */
async function resumePoint(file: string, generation: string): Promise<ResumePoint> {
  const point: ResumePoint = { offsets: { stdout: 0, stderr: 0 }, bytes: 0, capped: false };
  if (!existsSync(file)) return point;
  await endWithNewline(file);
  const handle = await open(file, 'r');
  try {
    for await (const { record } of readRecords(handle, 0, new ScanBudget(Infinity, Infinity))) {
      if (!record) continue;
      const stream: LogStream = record.s;
      if (record.o !== undefined && record.g === generation)
        point.offsets[stream] = Math.max(point.offsets[stream], record.o);
      if (record.x === 'cap' || (record.m?.startsWith(TRUNCATION_MARKER) ?? false)) point.capped = true;
    }
    point.bytes = (await handle.stat()).size;
  } finally {
    await handle.close();
  }
  return point;
}

/** A service killed mid-append leaves a last record cut short: what is stored next must start on a line of its own. */
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
