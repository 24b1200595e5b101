// The admission store on DynamoDB Local: no limit is passed however many take slots at once, a slot is given back
// once only, the lease hands over only when nothing changed meanwhile, and the launch bucket grants its burst then
// its rate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAdmissionStore } from '../../../functions/adapters/dynamodb/admission-store.ts';
import type { QueuedAttempt } from '../../../functions/core/ports.ts';
import { NO_LIMITS } from '../../../functions/core/settings.ts';
import { createTestTable } from '../../helpers/dynamodb.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: DynamoAdmissionStore;
beforeAll(async () => {
  table = await createTestTable('admission-store');
  store = new DynamoAdmissionStore(table);
});
afterAll(() => table?.drop());

function attempt(workspace: string, i: number, fields: Partial<QueuedAttempt> = {}): QueuedAttempt {
  const run_id = `run_${String(i).padStart(4, '0')}`;
  return {
    key: `${run_id}/0`,
    workspace_id: workspace,
    project_id: 'etl',
    job_id: 'job_1',
    run_id,
    index: 0,
    task_count: 1,
    priority: 50,
    created: i,
    since: i,
    cpu: 0.25,
    memory_mb: 512,
    token: `token-${i}`,
    environment: { A: '1' },
    queue_timeout_seconds: 60,
    deadline: Date.now() + 60_000,
    ...fields,
  };
}

describe('the admission store', () => {
  it('takes no more slots than a limit allows, however many take at once, and gives each back once', async () => {
    const waiting = Array.from({ length: 10 }, (_, i) => attempt('limits', i));
    for (const a of waiting) await store.enqueue(a);
    expect((await store.state('limits')).waiting).toHaveLength(10);
    const limits = { project: { running_tasks: 3, cpu: null }, workspace: { running_tasks: null, cpu: 0.5 } };
    // At once: a take may also lose to a concurrent one (TransactionConflict), but none passes a limit.
    await Promise.all(waiting.map((a) => store.take(a, limits, Date.now())));
    expect((await store.state('limits')).held.length).toBeLessThanOrEqual(2);
    // One after another, the rest fill exactly the room left: the workspace's 0.5 cpu, two tasks of 0.25.
    for (const a of (await store.state('limits')).waiting) await store.take(a, limits, Date.now());
    const state = await store.state('limits');
    expect(state.held).toHaveLength(2);
    expect(state.waiting).toHaveLength(8);
    expect(state.held[0]).toMatchObject({ project_id: 'etl', cpu: 0.25, relaunches: 0 });
    const first = state.held[0]!;
    expect(await store.release(first)).toBe(true);
    expect(await store.release(first)).toBe(false);
    // The room one release made is there for exactly one more.
    const rest = state.waiting;
    const again: boolean[] = [];
    for (const a of rest) again.push(await store.take(a, limits, Date.now()));
    expect(again.filter(Boolean)).toHaveLength(1);
    // A waiting attempt leaves the queue once; one taken is no longer there to take.
    expect(await store.drop(rest[0]!)).toBe(!again[0]);
    expect(await store.take(rest[0]!, { project: NO_LIMITS, workspace: NO_LIMITS }, Date.now())).toBe(false);
    expect(await store.workspaces()).toContain('limits');
  });

  it('hands the lease over only when nothing changed since the holder looked', async () => {
    const a = await store.lease('lease', 'a', 60_000, Date.now());
    expect(a).not.toBeNull();
    expect(await store.lease('lease', 'b', 60_000, Date.now())).toBeNull();
    await store.poke('lease');
    // Something changed after the holder read its generation: it must look again before letting go.
    const refused = await store.unlease('lease', 'a', a!.generation);
    expect(refused).toEqual({ generation: a!.generation + 1 });
    expect(await store.unlease('lease', 'a', a!.generation + 1)).toEqual({ released: true });
    expect(await store.lease('lease', 'b', 60_000, Date.now())).not.toBeNull();
    // An expired lease is taken over.
    expect(await store.lease('lease', 'c', 60_000, Date.now() + 120_000)).not.toBeNull();
  });

  it('grants launches up to the burst, then at the rate', async () => {
    const rate = { per_second: 20, burst: 100 };
    const now = Date.now();
    expect(await store.launches(150, rate, now)).toMatchObject({ granted: 100 });
    const empty = await store.launches(10, rate, now);
    expect(empty).toEqual({ granted: 0, nextInMs: 50 });
    expect((await store.launches(10, rate, now + 500)).granted).toBe(10);
    expect((await store.launches(10, rate, now + 500)).granted).toBe(0);
  });
});
