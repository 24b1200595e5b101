import fc from 'fast-check';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalLogStore, StampClock, TRUNCATION_MARKER } from '../../../functions/adapters/local/log-store.ts';
import { newId } from '../../../functions/core/ids.ts';
import { eventually } from '../../helpers/wait.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
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
  expected.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0));
  return { logs: new LocalLogStore(dataDir), expected };
}

describe('LocalLogStore.query', () => {
  it('pages through every line exactly once, oldest first, whatever the runs, ties and page size', async () => {
    const run = fc.record({
      createdMs: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_400 }),
      offsets: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 25 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(run, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 12 }), async (runs, limit) => {
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
      }),
      { numRuns: 150 },
    );
  });

  it('applies the window and the filter before paging', async () => {
    const { logs, expected } = store([{ createdMs: 1_700_000_000_000, offsets: [1, 1, 1, 1, 1, 1] }, { createdMs: 1_700_000_000_002, offsets: [1, 1, 1] }]);
    const start = new Date(expected[3]!.timestamp);
    const end = new Date(expected[6]!.timestamp);
    const windowed = await logs.query({ job, start, end, limit: 100 });
    const inWindow = expected.filter((l) => Date.parse(l.timestamp) >= start.getTime() && Date.parse(l.timestamp) <= end.getTime());
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
    writeFileSync(raw.stdout, Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n') + '\n');
    writeFileSync(raw.stderr, '');
    const follower = await logs.follow(job.job_id, 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H', raw, '1');
    // While it follows, the capped run's raw output is truncated away rather than left to grow.
    await eventually(async () => statSync(raw.stdout).size === 0 && (await logs.query({ job, limit: 10_000 })).items.some((l) => l.message.startsWith(TRUNCATION_MARKER)), 'the cap reached and the raw file emptied');
    await follower.stop();
    const { items } = await logs.query({ job, limit: 10_000 });
    expect(items.at(-1)?.message).toMatch(new RegExp(`^\\${TRUNCATION_MARKER} 1000 bytes`));
    expect(items.filter((l) => l.message.startsWith(TRUNCATION_MARKER))).toHaveLength(1);
    expect(items.slice(0, -1).reduce((sum, l) => sum + l.message.length, 0)).toBeLessThanOrEqual(1000);
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
        appendFileSync(i % 200 === 0 ? raw.stdout : raw.stderr, Array.from({ length: 100 }, (_, k) => `n${i + k}\n`).join(''));
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
    expect([...seen].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))).toEqual(Array.from({ length: total }, (_, i) => `n${i}`));
    expect(new Set(seen).size).toBe(total);
    // Nothing after the end: the same cursor again, and no more.
    expect(await logs.query({ job, run_id: runId, limit: 10, cursor })).toMatchObject({ items: [], cursor, more: false });
  });

  it("sees every line of a job's concurrent runs exactly once while they are being written", async () => {
    const { dataDir, logs } = fresh();
    const runs = ['run_01JD6R0G2M4S8V1X3Z5B7D9F1A', 'run_01JD6R0G2M4S8V1X3Z5B7D9F1B', 'run_01JD6R0G2M4S8V1X3Z5B7D9F1C'];
    const raws = runs.map((id) => ({ stdout: join(dataDir, `${id}.out`), stderr: join(dataDir, `${id}.err`) }));
    for (const raw of raws) writeFileSync(raw.stdout, ''), writeFileSync(raw.stderr, '');
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
    await expect(logs.query({ job, run_id: otherRun, limit: 10, cursor: page.cursor })).rejects.toMatchObject({ name: 'ValidationError', errors: [{ field: 'cursor' }] });
    await expect(logs.query({ job, run_id: runId, limit: 10, cursor: jobPage.cursor })).rejects.toMatchObject({ errors: [{ field: 'cursor' }] });
    await expect(logs.query({ job, run_id: runId, limit: 10, cursor: 'bm9wZQ' })).rejects.toMatchObject({ errors: [{ field: 'cursor' }] });
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
    expect((await logs.query({ job, run_id: runId, limit: 10, cursor: all.cursor })).items.map((l) => l.message)).toEqual(['after the crash']);
  });
});
