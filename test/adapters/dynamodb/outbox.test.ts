// The event outbox on DynamoDB Local: an event exists exactly when the change it tells of was written (one
// transaction), the outbox answers pending events oldest first without a scan, and a handed-on event leaves it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEventOutbox } from '../../../functions/adapters/dynamodb/outbox.ts';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store.ts';
import { DynamoRunStore } from '../../../functions/adapters/dynamodb/run-store.ts';
import { runEvent } from '../../../functions/core/events.ts';
import { buildJob } from '../../../functions/core/jobs.ts';
import type { Run } from '../../../functions/core/run-model.ts';
import { createTestTable } from '../../helpers/dynamodb.ts';
import { aRun } from '../../helpers/runs.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
let runs: DynamoRunStore;
let outbox: DynamoEventOutbox;
const ref = { workspace_id: 'acme', project_id: 'outbox' };
const jobId = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA';

function run(id: string): Run {
  return aRun({ ...ref, job_id: jobId }, id, { overrides: { command: null, env: { SECRET: 'x' } } });
}

beforeAll(async () => {
  table = await createTestTable('outbox');
  await new DynamoJobStore(table).create(
    buildJob(ref, jobId, { name: 'j', image: 'alpine', command: ['true'] }, 't', 't'),
  );
  runs = new DynamoRunStore(table);
  outbox = new DynamoEventOutbox(table);
});
afterAll(() => table.drop());

describe('the event outbox', () => {
  it('holds an event exactly when its change was written', async () => {
    const pending = run('run_01JD6R0G2M4S8V1X3Z5B7D9F1A');
    await runs.create(pending, { forbidActive: false });
    const started = runEvent('run.started', { ...pending, status: 'running' }, new Date());
    expect(await runs.transition(pending, 'pending', { status: 'running' }, started)).toBe(true);
    // The same change again finds the run no longer pending: neither the change nor its event is written.
    const again = runEvent('run.started', { ...pending, status: 'running' }, new Date());
    expect(await runs.transition(pending, 'pending', { status: 'running' }, again)).toBe(false);
    // A change within a status (a retry) is written with its event too, and refused with it.
    const retrying = runEvent('run.retrying', { ...pending, status: 'running', error: 'retrying' }, new Date());
    expect(await runs.transition(pending, 'running', { error: 'retrying' }, retrying)).toBe(true);
    expect(
      await runs.transition(pending, 'pending', { error: 'late' }, runEvent('run.retrying', pending, new Date())),
    ).toBe(false);
    const events = await outbox.pending(100);
    expect(events.map((e) => e.id)).toEqual([started.id, retrying.id]);
    // What an event shows of a run's overrides is what the API shows: never an env value.
    expect(events[0]!.data.run?.overrides.env).toEqual({ SECRET: '***' });
  });

  it('lets a handed-on event go, and keeps the rest in order', async () => {
    const [first, second] = await outbox.pending(100);
    await outbox.handedOn([first!]);
    expect((await outbox.pending(100)).map((e) => e.id)).toEqual([second!.id]);
    await outbox.handedOn([second!]);
    expect(await outbox.pending(100)).toEqual([]);
  });
});
