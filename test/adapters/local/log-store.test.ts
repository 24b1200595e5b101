import fc from 'fast-check';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LocalLogStore,
  LOST_MARKER,
  SCAN_BYTES,
  StampClock,
  TRUNCATION_MARKER,
} from '../../../functions/adapters/local/log-store.ts';
import { newId } from '../../../functions/core/ids.ts';
import type { Logger } from '../../../functions/logger.ts';
import { eventually } from '../../helpers/wait.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const job = { workspace_id: 'acme', project_id: 'etl', job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA' };

/**
 * Writes stored lines as the follower would. A file's modification time comes from the kernel's coarse clock,
 * so it is set a few milliseconds before its last line's timestamp, as it can be on a real file system.
 */
function store(runs: Array<{ createdMs: number; offsets: number[] }>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobs-logs-'));
  dirs.push(dataDir);
  const dir = join(dataDir, 'logs', job.job_id);
  mkdirSync(dir, { recursive: true });
  const expected: Array<{ timestamp: string; run_id: string; message: string }> = [];
  for (const [r, run] of runs.entries()) {
    const runId = newId('run', run.createdMs);
    let t = run.createdMs;
    const lines = run.offsets.map((step, i) => {
      t += step; // 0 steps give ties, as lines read in one pass share a timestamp
      const timestamp = new Date(t).toISOString();
      expected.push({ timestamp, run_id: runId, message: `r${r} l${i}` });
      return JSON.stringify({ t: timestamp, s: i % 3 === 0 ? 'stderr' : 'stdout', m: `r${r} l${i}`, o: i, g: 'g' });
    });
    const file = join(dir, `${runId}.jsonl`);
    writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
    utimesSync(file, new Date(t - 5), new Date(t - 5));
  }
  expected.sort((a, b) =>
    a.timestamp < b.timestamp
      ? -1
      : a.timestamp > b.timestamp
        ? 1
        : a.run_id < b.run_id
          ? -1
          : a.run_id > b.run_id
            ? 1
            : 0,
  );
  return { logs: new LocalLogStore(dataDir), expected };
}

describe('LocalLogStore.query', () => {
  it('pages through every line exactly once, oldest first, whatever the runs, ties and page size', async () => {
    const run = fc.record({
      createdMs: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_400 }),
      offsets: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 25 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(run, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 12 }),
        async (runs, limit) => {
          const { logs, expected } = store(runs);
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let page = 0; page < 500; page++) {
            const result = await logs.query({ job, limit, cursor });
            expect(result.items.length).toBeLessThanOrEqual(limit);
            seen.push(...result.items.map((l) => l.message));
            if (!result.more) break;
            cursor = result.cursor;
          }
          expect(seen).toEqual(expected.map((l) => l.message));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('applies the window and the filter before paging', async () => {
    const { logs, expected } = store([
      { createdMs: 1_700_000_000_000, offsets: [1, 1, 1, 1, 1, 1] },
      { createdMs: 1_700_000_000_002, offsets: [1, 1, 1] },
    ]);
    const start = new Date(expected[3]!.timestamp);
    const end = new Date(expected[6]!.timestamp);
    const windowed = await logs.query({ job, start, end, limit: 100 });
    const inWindow = expected.filter(
      (l) => Date.parse(l.timestamp) >= start.getTime() && Date.parse(l.timestamp) <= end.getTime(),
    );
    expect(inWindow.length).toBeGreaterThan(2);
    expect(windowed.items.map((l) => l.message)).toEqual(inWindow.map((l) => l.message));
    const filtered = await logs.query({ job, filter: 'r1', limit: 2 });
    expect(filtered.items.map((l) => l.message)).toEqual(['r1 l0', 'r1 l1']);
    const rest = await logs.query({ job, filter: 'r1', limit: 2, cursor: filtered.cursor });
    expect(rest).toMatchObject({ items: [{ message: 'r1 l2' }], more: false });
  });
});

describe('following a run', () => {
  it('caps a run at its limit with one marker line and keeps the raw files from growing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-cap-'));
    dirs.push(dataDir);
    const logs = new LocalLogStore(dataDir, { maxRunBytes: 1000 });
    const raw = { stdout: join(dataDir, 'out'), stderr: join(dataDir, 'err') };
    writeFileSync(raw.stdout, `${Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n')}\n`);
    writeFileSync(raw.stderr, '');
    const follower = await logs.follow(job.job_id, 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H', raw, '1');
    // While it follows, the capped run's raw output is truncated away rather than left to grow.
    await eventually(
      async () =>
        statSync(raw.stdout).size === 0 &&
        (await logs.query({ job, limit: 10_000 })).items.some((l) => l.message.startsWith(TRUNCATION_MARKER)),
      'the cap reached and the raw file emptied',
    );
    await follower.stop();
    const { items } = await logs.query({ job, limit: 10_000 });
    expect(items.at(-1)?.message).toMatch(new RegExp(`^\\${TRUNCATION_MARKER} 1000 bytes`));
    expect(items.filter((l) => l.message.startsWith(TRUNCATION_MARKER))).toHaveLength(1);
    // The cap is what is on disk, records and all: only the marker's own line may go past it.
    const stored = statSync(join(dataDir, 'logs', job.job_id, 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H.jsonl')).size;
    expect(stored).toBeGreaterThan(800);
    expect(stored).toBeLessThanOrEqual(1000 + 200);
    expect((await logs.query({ job, run_id: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H', limit: 1 })).truncated).toBe(true);
  });

  it.each([
    ['one-byte lines', 'y\n', 2.6],
    ['100-byte lines', `${'x'.repeat(99)}\n`, 1.1],
  ])('keeps %s in little more than their own bytes on disk', async (_, line, most) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-compact-'));
    dirs.push(dataDir);
    const runId = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H';
    const logs = new LocalLogStore(dataDir);
    const raw = { stdout: join(dataDir, 'out'), stderr: join(dataDir, 'err') };
    const output = line.repeat(Math.ceil((1024 * 1024) / line.length));
    writeFileSync(raw.stdout, output);
    writeFileSync(raw.stderr, '');
    await (await logs.follow(job.job_id, runId, raw, '1')).stop();
    const stored = statSync(join(dataDir, 'logs', job.job_id, `${runId}.jsonl`)).size;
    expect(stored / output.length).toBeLessThanOrEqual(most);
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await logs.query({ job, run_id: runId, limit: 10_000, cursor });
      count += page.items.length;
      cursor = page.more ? page.cursor : undefined;
    } while (cursor);
    expect(count).toBe(output.length / line.length);
  });

  it('resumes the same generation without repeating lines, and starts a new generation from the top', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-resume-'));
    dirs.push(dataDir);
    const logs = new LocalLogStore(dataDir);
    const raw = { stdout: join(dataDir, 'out'), stderr: join(dataDir, 'err') };
    const runId = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H';
    writeFileSync(raw.stdout, 'one\ntwo\n');
    writeFileSync(raw.stderr, '');
    await (await logs.follow(job.job_id, runId, raw, 'first')).stop();
    writeFileSync(raw.stdout, 'one\ntwo\nthree\n');
    await (await logs.follow(job.job_id, runId, raw, 'first')).stop();
    writeFileSync(raw.stdout, 'retry\n');
    await (await logs.follow(job.job_id, runId, raw, 'second')).stop();
    const { items } = await logs.query({ job, run_id: runId, limit: 100 });
    expect(items.map((l) => l.message)).toEqual(['one', 'two', 'three', 'retry']);
  });
});

describe('following by cursor', () => {
  const runId = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H';
  const otherRun = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1J';
  function fresh() {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-follow-'));
    dirs.push(dataDir);
    const raw = { stdout: join(dataDir, 'out'), stderr: join(dataDir, 'err') };
    writeFileSync(raw.stdout, '');
    writeFileSync(raw.stderr, '');
    return { dataDir, raw, logs: new LocalLogStore(dataDir) };
  }

  it('sees every line exactly once while they are being written, each marked with its attempt', async () => {
    const { raw, logs } = fresh();
    const follower = await logs.follow(job.job_id, runId, raw, 'g', 2);
    const total = 3000;
    const writing = (async () => {
      for (let i = 0; i < total; i += 100) {
        appendFileSync(
          i % 200 === 0 ? raw.stdout : raw.stderr,
          Array.from({ length: 100 }, (_, k) => `n${i + k}\n`).join(''),
        );
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const seen: string[] = [];
    let cursor: string | undefined;
    const reading = (async () => {
      while (seen.length < total) {
        const page = await logs.query({ job, run_id: runId, limit: 137, cursor });
        seen.push(...page.items.map((l) => l.message));
        for (const line of page.items) expect(line).toMatchObject({ attempt: 2, task_index: 0 });
        cursor = page.cursor;
        if (page.items.length === 0) await logs.changed(job, AbortSignal.timeout(1000));
      }
    })();
    await writing;
    await reading;
    await follower.stop();
    expect(seen).toHaveLength(total);
    expect([...seen].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))).toEqual(
      Array.from({ length: total }, (_, i) => `n${i}`),
    );
    expect(new Set(seen).size).toBe(total);
    // Nothing after the end: the same cursor again, and no more.
    expect(await logs.query({ job, run_id: runId, limit: 10, cursor })).toMatchObject({
      items: [],
      cursor,
      more: false,
    });
  });

  it("sees every line of a job's concurrent runs exactly once while they are being written", async () => {
    const { dataDir, logs } = fresh();
    const runs = ['run_01JD6R0G2M4S8V1X3Z5B7D9F1A', 'run_01JD6R0G2M4S8V1X3Z5B7D9F1B', 'run_01JD6R0G2M4S8V1X3Z5B7D9F1C'];
    const raws = runs.map((id) => ({ stdout: join(dataDir, `${id}.out`), stderr: join(dataDir, `${id}.err`) }));
    for (const raw of raws) {
      writeFileSync(raw.stdout, '');
      writeFileSync(raw.stderr, '');
    }
    const followers = await Promise.all(runs.map((id, i) => logs.follow(job.job_id, id, raws[i]!, 'g')));
    const perRun = 1500;
    const writing = Promise.all(
      raws.map(async (raw, r) => {
        for (let i = 0; i < perRun; i += 50) {
          appendFileSync(raw.stdout, Array.from({ length: 50 }, (_, k) => `r${r} n${i + k}\n`).join(''));
          await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    while (seen.length < perRun * runs.length) {
      const page = await logs.query({ job, limit: 97, cursor });
      seen.push(...page.items.map((l) => l.message));
      cursor = page.cursor;
      if (page.items.length === 0) await logs.changed(job, AbortSignal.timeout(1000));
    }
    await writing;
    await Promise.all(followers.map((f) => f.stop()));
    seen.push(...(await logs.query({ job, limit: 10_000, cursor })).items.map((l) => l.message));
    expect(new Set(seen).size, 'no line twice').toBe(seen.length);
    expect(seen).toHaveLength(perRun * runs.length);
  });

  it('holds back every line stamped at or after the oldest write still in flight', () => {
    const clock = new StampClock();
    const first = clock.begin();
    const second = clock.begin();
    expect(second >= first).toBe(true);
    clock.end(second);
    // The first write has not landed: nothing from its stamp on may be returned, whatever landed since.
    expect(clock.watermark()).toBe(first);
    clock.end(first);
    // Nothing in flight: everything stored may be read, and what is stamped next comes after all of it.
    expect(clock.watermark() > second).toBe(true);
    expect(clock.begin() > second, 'a stamp after a read is later than all that read saw').toBe(true);
  });

  it('says a run is still being written until its follower stops, and wakes waiters on each write', async () => {
    const { raw, logs } = fresh();
    const run = { id: runId } as Parameters<LocalLogStore['settled']>[0];
    expect(logs.settled(run)).toBe(true);
    const follower = await logs.follow(job.job_id, runId, raw, 'g');
    expect(logs.settled(run)).toBe(false);
    const woken = logs.changed(job, AbortSignal.timeout(10_000)).then(() => 'woken');
    appendFileSync(raw.stdout, 'hello\n');
    expect(await woken).toBe('woken');
    await follower.stop();
    expect(logs.settled(run)).toBe(true);
  });

  it('refuses a cursor that is not one, or that another run or the job returned', async () => {
    const { raw, logs } = fresh();
    writeFileSync(raw.stdout, 'a\n');
    await (await logs.follow(job.job_id, runId, raw, 'g')).stop();
    const page = await logs.query({ job, run_id: runId, limit: 10 });
    const jobPage = await logs.query({ job, limit: 10 });
    await expect(logs.query({ job, run_id: otherRun, limit: 10, cursor: page.cursor })).rejects.toMatchObject({
      name: 'ValidationError',
      errors: [{ field: 'cursor' }],
    });
    await expect(logs.query({ job, run_id: runId, limit: 10, cursor: jobPage.cursor })).rejects.toMatchObject({
      errors: [{ field: 'cursor' }],
    });
    await expect(logs.query({ job, run_id: runId, limit: 10, cursor: 'bm9wZQ' })).rejects.toMatchObject({
      errors: [{ field: 'cursor' }],
    });
  });

  it('moves a filtered cursor past the lines it passed over, and keeps a line cut short by a crash from swallowing the next', async () => {
    const { dataDir, raw, logs } = fresh();
    writeFileSync(raw.stdout, 'skip 1\nskip 2\nkeep\n');
    await (await logs.follow(job.job_id, runId, raw, 'g')).stop();
    const filtered = await logs.query({ job, run_id: runId, filter: 'nothing matches', limit: 10 });
    const all = await logs.query({ job, run_id: runId, limit: 10 });
    expect(filtered.cursor).toBe(all.cursor);
    // A service killed in the middle of an append leaves half a line; what is stored after it stays whole.
    appendFileSync(join(dataDir, 'logs', job.job_id, `${runId}.jsonl`), '{"t":"2026-12-01T00:00:00.000Z","s":"std');
    writeFileSync(raw.stdout, 'after the crash\n');
    await (await logs.follow(job.job_id, runId, raw, 'h')).stop();
    expect(
      (await logs.query({ job, run_id: runId, limit: 10, cursor: all.cursor })).items.map((l) => l.message),
    ).toEqual(['after the crash']);
  });
});

describe('a read of a large log', () => {
  /** A run whose log is much larger than one read may look at, with the one wanted line at its end. */
  async function large(runs: string[]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-large-'));
    dirs.push(dataDir);
    const logs = new LocalLogStore(dataDir, { maxRunBytes: 64 * 1024 * 1024 });
    for (const runId of runs) {
      const raw = { stdout: join(dataDir, `${runId}.out`), stderr: join(dataDir, `${runId}.err`) };
      writeFileSync(
        raw.stdout,
        `${'filler line of a busy run\n'.repeat(Math.ceil((3 * SCAN_BYTES) / 26))}needle of ${runId}\n`,
      );
      writeFileSync(raw.stderr, '');
      await (await logs.follow(job.job_id, runId, raw, '1')).stop();
    }
    return logs;
  }

  it("stops at its limit of work with a cursor further on, and a run's filtered read finds its line once", async () => {
    const runId = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H';
    const logs = await large([runId]);
    const pages: Array<{ items: number; more: boolean }> = [];
    const found: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await logs.query({ job, run_id: runId, filter: 'needle', limit: 100, cursor });
      pages.push({ items: page.items.length, more: page.more });
      found.push(...page.items.map((l) => l.message));
      expect(page.cursor).not.toBe(cursor); // every read moves on
      if (!page.more) break;
      cursor = page.cursor;
    }
    expect(found).toEqual([`needle of ${runId}`]);
    // At least three reads, the first ones answering no line and `more`.
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages[0]).toEqual({ items: 0, more: true });
  });

  it("finds every run's line once across a job's runs, read by read", async () => {
    const runs = ['run_01JD6R0G2M4S8V1X3Z5B7D9F1A', 'run_01JD6R0G2M4S8V1X3Z5B7D9F1B'];
    const logs = await large(runs);
    const found: string[] = [];
    let cursor: string | undefined;
    let reads = 0;
    for (; ; reads++) {
      const page = await logs.query({ job, filter: 'needle', limit: 100, cursor });
      found.push(...page.items.map((l) => l.message));
      if (!page.more) break;
      cursor = page.cursor;
    }
    expect(found).toEqual(runs.map((id) => `needle of ${id}`));
    expect(reads).toBeGreaterThanOrEqual(4);
  });
});

describe('a full disk', () => {
  const runId = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H';
  /** A store whose run log is, for now, /dev/full: every append fails with ENOSPC, as on a full disk. */
  async function onFullDisk() {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-full-'));
    dirs.push(dataDir);
    const warnings: string[] = [];
    const logs = new LocalLogStore(dataDir, {
      logger: { warn: (message: string) => warnings.push(message) } as unknown as Logger,
    });
    const raw = { stdout: join(dataDir, 'out'), stderr: join(dataDir, 'err') };
    writeFileSync(raw.stdout, '');
    writeFileSync(raw.stderr, '');
    const follower = await logs.follow(job.job_id, runId, raw, 'g');
    const file = join(dataDir, 'logs', job.job_id, `${runId}.jsonl`);
    symlinkSync('/dev/full', file);
    return {
      logs,
      raw,
      follower,
      file,
      warnings,
      flag: join(dataDir, 'logs', job.job_id, `${runId}.truncated`),
      freeSpace: () => unlinkSync(file),
    };
  }
  const messages = async (logs: LocalLogStore) =>
    (await logs.query({ job, run_id: runId, limit: 10_000 })).items.map((l) => l.message);

  it('loses no line while appends fail, and stores them all once there is room again', async () => {
    const { logs, raw, follower, freeSpace, warnings } = await onFullDisk();
    appendFileSync(raw.stdout, Array.from({ length: 500 }, (_, i) => `line ${i}\n`).join(''));
    // Passes fail while the disk is full (said once in the service's log); the run's log is not yet whole.
    await eventually(() => warnings.some((w) => w.includes('storing run output')), 'a failed pass reported');
    expect(warnings).toHaveLength(1);
    expect(logs.settled({ id: runId } as Parameters<LocalLogStore['settled']>[0])).toBe(false);
    freeSpace();
    appendFileSync(raw.stdout, 'after\n');
    await follower.stop();
    expect(await messages(logs)).toEqual([...Array.from({ length: 500 }, (_, i) => `line ${i}`), 'after']);
    expect((await logs.query({ job, run_id: runId, limit: 1 })).truncated).toBe(false);
  });

  it('marks the log truncated when the attempt has ended and its output still cannot be stored, and adds the marker line once it can', async () => {
    const { logs, raw, follower, flag, freeSpace } = await onFullDisk();
    appendFileSync(raw.stdout, 'never kept\n');
    const started = Date.now();
    await follower.stop(); // resolves: a full disk never holds up the end of a run
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(existsSync(flag)).toBe(true);
    freeSpace();
    // The marker waits for room, tried again every few seconds.
    await eventually(async () => (await messages(logs)).length > 0, 'the marker line stored', 10_000);
    await logs.flushMarkers();
    const page = await logs.query({ job, run_id: runId, limit: 10 });
    expect(page.truncated).toBe(true);
    expect(page.items.map((l) => l.message)).toEqual([
      `${LOST_MARKER} 11 bytes of attempt 1's output were not kept: the disk was full`,
    ]);
  });
});
