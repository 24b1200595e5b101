// The local event pump: pending events leave the outbox through the relay, at start and when woken; an event a
// sink refused stays pending and is offered again, so none is lost; one handed on is never offered twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEventOutbox } from '../../../functions/adapters/dynamodb/outbox.ts';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store.ts';
import { DynamoRunStore } from '../../../functions/adapters/dynamodb/run-store.ts';
import { LocalEventPump } from '../../../functions/adapters/local/event-pump.ts';
import { EventRelay } from '../../../functions/core/event-relay.ts';
import type { EventSink } from '../../../functions/core/ports.ts';
import { runEvent, type ServiceEvent } from '../../../functions/core/events.ts';
import { buildJob } from '../../../functions/core/jobs.ts';
import { createLogger } from '../../../functions/logger.ts';
import { createTestTable } from '../../helpers/dynamodb.ts';
import { eventually } from '../../helpers/wait.ts';
import { aRun } from '../../helpers/runs.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
const ref = { workspace_id: 'acme', project_id: 'pump' };
const jobId = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA';

/** Takes every event, except that it refuses each one the first `refusals` times it is offered. */
class RecordingSink implements EventSink {
  readonly taken: ServiceEvent[] = [];
  readonly offered = new Map<string, number>();
  readonly refusals: number;
  constructor(refusals = 0) {
    this.refusals = refusals;
  }
  async publish(events: ServiceEvent[]) {
    const failed: string[] = [];
    for (const event of events) {
      const times = (this.offered.get(event.id) ?? 0) + 1;
      this.offered.set(event.id, times);
      if (times <= this.refusals) failed.push(event.id);
      else this.taken.push(event);
    }
    return { failed };
  }
}

async function writeEvents(count: number, prefix: string): Promise<string[]> {
  const runs = new DynamoRunStore(table);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `run_01JD6R0G2M4S8V1X3Z5B7D9${prefix}${'ABCDEFGHJK'[i]}`;
    const run = aRun({ ...ref, job_id: jobId }, id);
    await runs.create(run, { forbidActive: false });
    const event = runEvent('run.cancelled', { ...run, status: 'cancelled' }, new Date());
    await runs.transition(run, 'pending', { status: 'cancelled' }, event);
    ids.push(event.id);
  }
  return ids;
}

beforeAll(async () => {
  table = await createTestTable('event-pump');
  await new DynamoJobStore(table).create(
    buildJob(ref, jobId, { name: 'pumped', image: 'alpine', command: ['true'] }, 't', 't'),
  );
});
afterAll(() => table.drop());

describe('the local event pump', () => {
  it('hands on what was pending at start and what is written later, each once, with the job name', async () => {
    const outbox = new DynamoEventOutbox(table);
    const sink = new RecordingSink();
    const before = await writeEvents(3, 'AA');
    const pump = new LocalEventPump({
      outbox,
      relay: new EventRelay({ jobs: new DynamoJobStore(table), sinks: [sink] }),
      logger: createLogger('test'),
    });
    pump.start();
    await eventually(() => sink.taken.length === 3, 'the events a stopped service left');
    const after = await writeEvents(2, 'AB');
    pump.wake();
    await eventually(() => sink.taken.length === 5, 'the events written since');
    await eventually(async () => (await outbox.pending(100)).length === 0, 'the outbox emptied');
    await pump.stop();
    expect(sink.taken.map((e) => e.id).sort()).toEqual([...before, ...after].sort());
    expect(sink.taken.every((e) => e.data.job_name === 'pumped')).toBe(true);
  });

  it('keeps a refused event pending and offers it again until it is taken', async () => {
    const outbox = new DynamoEventOutbox(table);
    const sink = new RecordingSink(2);
    const ids = await writeEvents(2, 'AC');
    const pump = new LocalEventPump({
      outbox,
      relay: new EventRelay({ jobs: new DynamoJobStore(table), sinks: [sink] }),
      logger: createLogger('test'),
    });
    pump.start();
    await eventually(() => sink.taken.length === 2, 'the refused events taken on a later offer', 15_000);
    await pump.stop();
    expect(ids.map((id) => sink.offered.get(id))).toEqual([3, 3]);
    expect(await outbox.pending(100)).toEqual([]);
  });
});
