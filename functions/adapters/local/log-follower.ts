// Tails one attempt's raw output files (stdout and stderr, written by the run's own process) into its run's
// stored log, a record per read (see log-records.ts). Each record says how far into its raw stream it reaches,
// so a follower resumed after a restart neither loses nor repeats lines.
//
// The run's stored bytes are capped: past the cap one marker line says so, and the raw files are kept from
// growing. When a record cannot be stored (the disk is full), nothing is skipped: the raw files still hold the
// output, the follower reads it again on a later pass, and catches up once there is room. Only when the attempt
// has ended and its output still cannot be stored after FINAL_TRIES_MS does it give up: the run's log is then
// marked truncated (a flag file that needs no data block, and a marker line once one fits), never passed off as
// whole.
import { maskLine } from '../../core/secrets.ts';
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { type FileHandle, open, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogStream } from '../../core/ports.ts';
import { lineCost, recordText, type StoredRecord } from './log-records.ts';

/** A line longer than this is split (CloudWatch's event limit is 256 KiB too). */
const MAX_LINE_BYTES = 256 * 1024;
const READ_CHUNK = 64 * 1024;
/** How long one pass may read before it lets the event loop serve others. */
const SLICE_MS = 2;
const POLL_MS = 100;
/** While records cannot be stored, passes are this far apart at most. */
const MAX_RETRY_MS = 2_000;
/** How long an ended attempt's output is retried before the log is marked truncated. */
export const FINAL_TRIES_MS = 3_000;
export const TRUNCATION_MARKER = '[jobs] output truncated: this run wrote more than';
export const LOST_MARKER = '[jobs] output lost:';

export interface RawOutput {
  stdout: string;
  stderr: string;
}

export interface Follower {
  /**
   * Reads whatever is left, stores it (a last unterminated line included), and stops following. Never rejects:
   * output that cannot be stored is marked as lost instead.
   */
  stop(): Promise<void>;
}

/** Where a generation's raw files were read up to, and what the run has stored in all (for its cap). */
export interface ResumePoint {
  offsets: Record<LogStream, number>;
  bytes: number;
  capped: boolean;
}

/** What a follower tells its store. */
export interface FollowerSink {
  /** Appends records' text to the run's file whole, or not at all. */
  append(text: string): Promise<void>;
  /** A stamp for records about to be appended; `written` once they are (or could not be). */
  stamp(): string;
  written(stamp: string): void;
  /**
   * The run's log is not whole (the cap was reached, or output could not be stored); `marker` says so, and is
   * already stored when `stored`, else the store appends it (stamped then) as soon as it can.
   */
  truncated(marker: StoredRecord, stored: boolean): void;
  /** Stored everything it will, and stopped. */
  done(): void;
  /** A pass failed (it is tried again): for the service's log. */
  failed(error: unknown): void;
}

export interface FollowerOptions {
  raw: RawOutput;
  resumed: ResumePoint;
  maxBytes: number;
  generation: string;
  attempt: number;
  task: number;
  sink: FollowerSink;
  /** Secret values replaced by *** in each line before it is stored. */
  masks?: readonly string[];
}

export class RunFollower implements Follower {
  readonly #raw: RawOutput;
  readonly #offsets: Record<LogStream, number>;
  readonly #partial: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  readonly #maxBytes: number;
  readonly #generation: string;
  readonly #attempt: number;
  /** Stored only where it is not 0, so a run of one task stores what it always did. */
  readonly #task: { k?: number };
  readonly #sink: FollowerSink;
  readonly #masks: readonly string[];
  #bytes: number;
  #capped: boolean;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> = Promise.resolve();
  #again = false;
  #running = false;
  #stopped = false;
  /** Consecutive passes that could not store; passes back off while it grows. */
  #failures = 0;

  constructor(options: FollowerOptions) {
    this.#generation = options.generation;
    this.#attempt = options.attempt;
    this.#task = options.task > 0 ? { k: options.task } : {};
    this.#raw = options.raw;
    this.#offsets = options.resumed.offsets;
    this.#bytes = options.resumed.bytes;
    this.#capped = options.resumed.capped;
    this.#maxBytes = options.maxBytes;
    this.#sink = options.sink;
    this.#masks = options.masks ?? [];
    try {
      // inotify wakes the follower as soon as output arrives; the timer is the fallback.
      this.#watcher = watch(dirname(options.raw.stdout), () => this.#schedule());
      this.#watcher.on('error', () => undefined);
    } catch {
      this.#watcher = undefined; // out of inotify watches or file descriptors: the timer alone
    }
    this.#arm(POLL_MS);
    this.#schedule();
  }

  #arm(ms: number): void {
    clearTimeout(this.#timer);
    if (!this.#stopped) this.#timer = setTimeout(() => this.#schedule(), ms);
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
        this.#failures = 0;
        this.#arm(POLL_MS);
      } catch (error) {
        // Nothing was skipped: the next pass, a while later, reads the same output again.
        this.#failures++;
        this.#sink.failed(error);
        this.#arm(Math.min(MAX_RETRY_MS, POLL_MS * 2 ** this.#failures));
      } finally {
        this.#running = false;
      }
    })();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    try {
      await this.#pass;
      const giveUpAt = Date.now() + FINAL_TRIES_MS;
      for (let tries = 0; ; tries++) {
        try {
          await this.#drain(true);
          return;
        } catch (error) {
          this.#sink.failed(error);
          if (Date.now() >= giveUpAt) return this.#giveUp(error);
          await new Promise((resolve) => setTimeout(resolve, Math.min(500, 50 * 2 ** tries)));
        }
      }
    } finally {
      this.#sink.done();
    }
  }

  /** The ended attempt's output that is still only in its raw files cannot be stored: say so, and how much. */
  #giveUp(error: unknown): void {
    const left = (['stdout', 'stderr'] as const).reduce(
      (sum, stream) =>
        sum + Math.max(0, sizeOf(this.#raw[stream]) - this.#offsets[stream]) + this.#partial[stream].length,
      0,
    );
    const why =
      (error as { code?: string }).code === 'ENOSPC'
        ? 'the disk was full'
        : `it could not be stored (${(error as Error).message})`;
    const message = `${LOST_MARKER} ${left} bytes of attempt ${this.#attempt}'s output were not kept: ${why}`;
    this.#sink.truncated({ t: '', s: 'stderr', m: message, a: this.#attempt, ...this.#task, x: 'lost' }, false);
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
      if (!final && sizeOf(path) > 0) await truncate(path, 0).catch(() => undefined);
      return false;
    }
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return false;
      throw error; // out of file descriptors: the pass is tried again
    }
    try {
      const size = (await handle.stat()).size;
      if (size < this.#offsets[stream]) this.#offsets[stream] = 0; // truncated underneath us
      if (size === this.#offsets[stream]) return false;
      const length = Math.min(READ_CHUNK, size - this.#offsets[stream]);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.#offsets[stream]);
      if (bytesRead === 0) return false;
      await this.#store(stream, buffer.subarray(0, bytesRead), this.#offsets[stream] + bytesRead);
      return true;
    } finally {
      await handle.close();
    }
  }

  /**
   * Splits a chunk into lines (keeping an unfinished last line for later) and appends them as one record. Only
   * once the record is stored do the follower's offsets move on: a failed append loses nothing.
   */
  async #store(stream: LogStream, chunk: Buffer, endOffset: number): Promise<void> {
    const data = Buffer.concat([this.#partial[stream], chunk]);
    const lines: string[] = [];
    let start = 0;
    let consumedTo = endOffset - data.length;
    let cost = 0;
    const stamp = this.#sink.stamp();
    // The record without its lines, its offset at the largest it can be: what the lines are added to.
    const base = Buffer.byteLength(
      recordText({ t: stamp, s: stream, l: [], o: endOffset, g: this.#generation, a: this.#attempt, ...this.#task }),
    );
    let capped = false;
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0x0a && i - start < MAX_LINE_BYTES) continue;
      const end = data[i] === 0x0a ? i + 1 : i;
      const line = maskLine(data.subarray(start, i).toString('utf8').replace(/\r$/, ''), this.#masks);
      if (this.#bytes + base + cost + lineCost(line) > this.#maxBytes) {
        capped = true;
        break;
      }
      cost += lineCost(line);
      consumedTo += end - start;
      lines.push(line);
      start = end;
    }
    const records: StoredRecord[] = [];
    if (lines.length > 0)
      records.push({
        t: stamp,
        s: stream,
        l: lines,
        o: consumedTo,
        g: this.#generation,
        a: this.#attempt,
        ...this.#task,
      });
    if (capped) {
      const marker = `${TRUNCATION_MARKER} ${this.#maxBytes} bytes of output; the rest was discarded`;
      records.push({ t: stamp, s: 'stderr', m: marker, a: this.#attempt, ...this.#task, x: 'cap' });
    }
    const text = records.map(recordText).join('');
    try {
      if (text) await this.#sink.append(text);
    } finally {
      this.#sink.written(stamp);
    }
    this.#bytes += Buffer.byteLength(text);
    this.#offsets[stream] = endOffset;
    this.#partial[stream] = capped ? Buffer.alloc(0) : data.subarray(start);
    if (capped) {
      this.#capped = true;
      this.#sink.truncated(records.at(-1)!, true);
      // Nothing more is stored: the timer alone keeps the raw files truncated, without a wake-up per write.
      this.#watcher?.close();
    }
  }

  async #flushPartial(stream: LogStream): Promise<void> {
    const rest = this.#partial[stream];
    if (rest.length === 0 || this.#capped) return;
    // Stored as a line of its own: what is left is the stream's last, unterminated line.
    await this.#store(stream, Buffer.from('\n'), this.#offsets[stream]);
  }
}

function sizeOf(path: string): number {
  try {
    return existsSync(path) ? statSync(path).size : 0;
  } catch {
    return 0;
  }
}
