// The event publisher: the table's stream records of new event items → PutEvents on the bus (EventBridge has no
// local engine: its client is mocked and its requests asserted exactly), the job's name filled in from the real
// job store on DynamoDB Local, and the records of refused entries answered as batch item failures.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventStreamHandler, type StreamBatch } from '../../../functions/adapters/aws/event-stream.ts';
import { EventBridgeSink } from '../../../functions/adapters/aws/eventbridge-events.ts';
import { eventPut } from '../../../functions/adapters/dynamodb/outbox.ts';
import { auditPut } from '../../../functions/adapters/dynamodb/audit-store.ts';
import { auditEntry } from '../../../functions/core/audit.ts';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store.ts';
import { EventRelay } from '../../../functions/core/event-relay.ts';
import { runEvent, scheduleSkippedEvent, type ServiceEvent } from '../../../functions/core/events.ts';
import { buildJob } from '../../../functions/core/jobs.ts';
import type { Run } from '../../../functions/core/run-model.ts';
import { createTestTable } from '../../helpers/dynamodb.ts';
import { aRun } from '../../helpers/runs.ts';

const bridge = mockClient(EventBridgeClient);
const ref = { workspace_id: 'acme', project_id: 'events' };
const jobId = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA';
let table: Awaited<ReturnType<typeof createTestTable>>;
let handler: ReturnType<typeof eventStreamHandler>;

const run = (id: string, status: Run['status']): Run =>
  aRun({ ...ref, job_id: jobId }, id, {
    status,
    attempt: 1,
    backend: { runner: 'ecs', task: null, execution: null, task_role: null },
  });

/** A stream record as Lambda delivers it: the new image of the item the store put. */
function record(event: ServiceEvent, sequence: string) {
  const item = eventPut('t', event).Put!.Item!;
  return { eventName: 'INSERT', dynamodb: { NewImage: item as Record<string, unknown>, SequenceNumber: sequence } };
}

beforeAll(async () => {
  table = await createTestTable('event-stream');
  const jobs = new DynamoJobStore(table);
  await jobs.create(buildJob(ref, jobId, { name: 'nightly', image: 'alpine', command: ['true'] }, 't', 't'));
  handler = eventStreamHandler(
    new EventRelay({
      jobs,
      sinks: [new EventBridgeSink({ busName: 'jobs-bus', client: new EventBridgeClient({ region: 'eu-west-1' }) })],
    }),
  );
});
afterAll(() => table.drop());
beforeEach(() => bridge.reset());

describe('the event publisher', () => {
  it('puts each new event on the bus with its detail-type and the job name, ten entries a call', async () => {
    bridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const at = new Date('2026-12-01T10:00:00.000Z');
    const events = Array.from({ length: 11 }, (_, i) =>
      runEvent(
        'run.succeeded',
        run(
          `run_01JD6R0G2M4S8V1X3Z5B7D9F${String(i)
            .padStart(2, '0')
            .replace(/\d/g, (d) => 'ABCDEFGHJK'[Number(d)]!)}`,
          'succeeded',
        ),
        at,
      ),
    );
    const skipped = scheduleSkippedEvent({ ...ref, job_id: jobId }, at, at);
    const batch: StreamBatch = {
      Records: [
        ...events.map((event, i) => record(event, String(i))),
        record(skipped, '11'),
        // Not events: another item's insert, and a modify of an event item (taken out of the outbox).
        {
          eventName: 'INSERT',
          dynamodb: {
            NewImage: marshall({ PK: 'x', SK: 'RUN#y', type: 'run' }) as Record<string, unknown>,
            SequenceNumber: '12',
          },
        },
        { eventName: 'MODIFY', dynamodb: { NewImage: record(skipped, '13').dynamodb.NewImage, SequenceNumber: '13' } },
      ],
    };
    expect(await handler(batch)).toEqual({ batchItemFailures: [] });
    const calls = bridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((entries) => entries.length)).toEqual([10, 2]);
    const all = calls.flat();
    expect(all[0]).toEqual({
      EventBusName: 'jobs-bus',
      Source: 'jobs.service',
      DetailType: 'Job Run State Change',
      Detail: JSON.stringify({ ...events[0], data: { ...events[0]!.data, job_name: 'nightly' } }),
      Time: at,
    });
    expect(all.at(-1)).toMatchObject({
      DetailType: 'Job Schedule Skipped',
      Detail: JSON.stringify({ ...skipped, data: { ...skipped.data, job_name: 'nightly' } }),
    });
  });

  it('answers the records of refused entries, and of a call that failed, as batch item failures', async () => {
    bridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }, { EventId: 'c' }],
      })
      .rejectsOnce(new Error('throttled'));
    const at = new Date();
    const ids = ['A', 'B', 'C', 'D'].map((c) => `run_01JD6R0G2M4S8V1X3Z5B7D9F1${c}`);
    const events = ids.map((id) => runEvent('run.failed', run(id, 'failed'), at));
    // 4 events: the first call takes three (one refused), the second the fourth (and fails).
    const sink = new EventBridgeSink({ busName: 'jobs-bus', client: new EventBridgeClient({ region: 'eu-west-1' }) });
    const first = await sink.publish(events.slice(0, 3));
    expect(first).toEqual({ failed: [events[1]!.id] });
    const response = await eventStreamHandler(new EventRelay({ jobs: new DynamoJobStore(table), sinks: [sink] }))({
      Records: [record(events[3]!, '40')],
    });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '40' }] });
  });

  it('puts each new audit entry on the bus as a Jobs Audit Entry, and answers a refused one as a failure', async () => {
    const sink = new EventBridgeSink({ busName: 'jobs-bus', client: new EventBridgeClient({ region: 'eu-west-1' }) });
    const auditing = eventStreamHandler(new EventRelay({ jobs: new DynamoJobStore(table), sinks: [sink] }), sink);
    const requester = {
      key_id: 'key_admin',
      key_name: 'ops',
      role: 'admin' as const,
      request_id: 'r1',
      source_ip: '203.0.113.7',
    };
    const at = new Date('2026-12-01T10:00:00.000Z');
    const entries = [
      auditEntry(requester, 'job.update', 'acme', { project_id: 'events', job_id: jobId }, { retries: [0, 2] }, at),
      auditEntry(requester, 'key.revoke', null, { key_id: 'key_01JD6P8Z0VQ5N7K3W2Y4T6R8M1' }, {}, at),
    ];
    const records = entries.map((entry, i) => ({
      eventName: 'INSERT',
      dynamodb: { NewImage: auditPut('t', entry).Put!.Item! as Record<string, unknown>, SequenceNumber: `9${i}` },
    }));
    bridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'e0' }, { ErrorCode: 'Throttled' }] });
    expect(await auditing({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: '91' }] });
    const calls = bridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      {
        Entries: entries.map((entry) => ({
          EventBusName: 'jobs-bus',
          Source: 'jobs.service',
          DetailType: 'Jobs Audit Entry',
          Detail: JSON.stringify(entry),
          Time: at,
        })),
      },
    ]);
  });
});
