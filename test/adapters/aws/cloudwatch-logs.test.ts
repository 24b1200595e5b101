import {
  CloudWatchLogsClient,
  DeleteLogStreamCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudWatchLogSource,
  CloudWatchRunNotes,
  INGESTION_LAG_MS,
} from '../../../functions/adapters/aws/cloudwatch-logs.ts';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store.ts';
import { DynamoRunStore } from '../../../functions/adapters/dynamodb/run-store.ts';
import { buildJob } from '../../../functions/core/jobs.ts';
import { pendingTasks, type Run } from '../../../functions/core/run-model.ts';
import { RunLifecycle } from '../../../functions/core/run-lifecycle.ts';
import { createTestTable } from '../../helpers/dynamodb.ts';
import { aRun } from '../../helpers/runs.ts';

const logs = mockClient(CloudWatchLogsClient);
const logGroupName = '/jobs/containers';
const ref = { workspace_id: 'acme', project_id: 'etl' };
const jobId = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA';
const task = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/jobs/${id}`;
let table: Awaited<ReturnType<typeof createTestTable>>;
let source: CloudWatchLogSource;
let runs: DynamoRunStore;

function run(id: string, taskId: string): Run {
  return aRun({ ...ref, job_id: jobId }, id, {
    status: 'succeeded',
    attempt: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    exit_code: 0,
    backend: { runner: 'ecs', task: task(taskId), execution: null, task_role: null },
    tasks: { count: 1, pending: 0, running: 0, succeeded: 1, failed: 0, cancelled: 0 },
  });
}

beforeAll(async () => {
  // The run store is the real one, on DynamoDB Local; only CloudWatch Logs, which has no local engine, is mocked.
  table = await createTestTable('cloudwatch-logs');
  await new DynamoJobStore(table).create(
    buildJob(ref, jobId, { name: 'j', image: 'alpine', command: ['true'] }, 't', 't'),
  );
  runs = new DynamoRunStore(table);
  await runs.create(run('run_01JD6R0G2M4S8V1X3Z5B7D9F1A', 'aaa111'), { forbidActive: false });
  await runs.create(run('run_01JD6R0G2M4S8V1X3Z5B7D9F1B', 'bbb222'), { forbidActive: false });
  source = new CloudWatchLogSource({ logGroupName, runs, client: new CloudWatchLogsClient({ region: 'eu-west-1' }) });
});
afterAll(() => table.drop());
beforeEach(() => logs.reset());

describe('CloudWatchLogSource', () => {
  const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  const runA = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1A';

  it("reads one run's lines from its task's stream by forward token, with the window, filter, attempt and limit", async () => {
    logs.on(GetLogEventsCommand).resolves({
      events: [
        { timestamp: Date.UTC(2026, 0, 1, 0, 0, 1), message: 'hello\n' },
        { timestamp: Date.UTC(2026, 0, 1, 0, 0, 2), message: 'other\n' },
      ],
      nextForwardToken: 'f/2',
    });
    const page = await source.query({
      job: { ...ref, job_id: jobId },
      run_id: runA,
      start: new Date(Date.UTC(2026, 0, 1)),
      end: new Date(Date.UTC(2026, 0, 2)),
      filter: 'hel',
      attempt: 1,
      limit: 50,
    });
    expect(logs.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      {
        logGroupName,
        logStreamName: `${jobId}/job/aaa111`,
        startFromHead: true,
        nextToken: undefined,
        startTime: Date.UTC(2026, 0, 1),
        endTime: Date.UTC(2026, 0, 2),
        limit: 50,
      },
    ]);
    expect(page.items).toEqual([
      {
        timestamp: '2026-01-01T00:00:01.000Z',
        run_id: runA,
        attempt: 1,
        task_index: 0,
        stream: 'stdout',
        message: 'hello',
      },
    ]);
    expect(page.more).toBe(false);
    expect(decode(page.cursor)).toEqual({ l: runA, s: `${jobId}/job/aaa111`, k: 'f/2' });

    // The follower's next read resumes at the token; at the end of the stream the token stays as it was.
    logs.reset();
    logs.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: 'f/2' });
    const next = await source.query({ job: { ...ref, job_id: jobId }, run_id: runA, limit: 50, cursor: page.cursor });
    expect(logs.commandCalls(GetLogEventsCommand)[0]?.args[0].input).toMatchObject({
      nextToken: 'f/2',
      startFromHead: true,
    });
    expect(next).toEqual({ items: [], cursor: page.cursor, more: false });
  });

  it("refuses another run's cursor and a cursor CloudWatch does not know, naming cursor", async () => {
    const cursor = Buffer.from(JSON.stringify({ l: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1B', s: 'x', k: 'y' })).toString(
      'base64url',
    );
    await expect(
      source.query({ job: { ...ref, job_id: jobId }, run_id: runA, limit: 10, cursor }),
    ).rejects.toMatchObject({ errors: [{ field: 'cursor' }] });
    await expect(
      source.query({ job: { ...ref, job_id: jobId }, run_id: runA, limit: 10, cursor: 'garbage' }),
    ).rejects.toMatchObject({ errors: [{ field: 'cursor' }] });
    logs.on(GetLogEventsCommand).rejects(new InvalidParameterException({ message: 'bad token', $metadata: {} }));
    const own = Buffer.from(JSON.stringify({ l: runA, s: `${jobId}/job/aaa111`, k: 'forged' })).toString('base64url');
    await expect(
      source.query({ job: { ...ref, job_id: jobId }, run_id: runA, limit: 10, cursor: own }),
    ).rejects.toMatchObject({ errors: [{ field: 'cursor' }] });
  });

  it("reads a job's lines from every stream under its prefix, names each line's run, and resumes after the last one", async () => {
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { timestamp: 1000, message: 'from a', logStreamName: `${jobId}/job/aaa111`, eventId: 'e1' },
        { timestamp: 2000, message: 'from b', logStreamName: `${jobId}/job/bbb222`, eventId: 'e2' },
      ],
    });
    const page = await source.query({ job: { ...ref, job_id: jobId }, limit: 100 });
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toEqual({
      logGroupName,
      logStreamNamePrefix: `${jobId}/`,
      limit: 100,
    });
    expect(page.items.map((l) => [l.run_id, l.message])).toEqual([
      [runA, 'from a'],
      ['run_01JD6R0G2M4S8V1X3Z5B7D9F1B', 'from b'],
    ]);
    expect(page.more).toBe(false);
    expect(decode(page.cursor)).toEqual({ l: jobId, t: 2000, e: ['e2'] });

    // Resumed from the last timestamp, without the event already returned at it.
    logs.reset();
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { timestamp: 2000, message: 'from b', logStreamName: `${jobId}/job/bbb222`, eventId: 'e2' },
        { timestamp: 2000, message: 'also at 2000', logStreamName: `${jobId}/job/aaa111`, eventId: 'e3' },
      ],
    });
    const next = await source.query({ job: { ...ref, job_id: jobId }, limit: 100, cursor: page.cursor });
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toEqual({
      logGroupName,
      logStreamNamePrefix: `${jobId}/`,
      startTime: 2000,
      limit: 100,
    });
    expect(next.items.map((l) => l.message)).toEqual(['also at 2000']);
    expect(decode(next.cursor)).toEqual({ l: jobId, t: 2000, e: ['e2', 'e3'] });
  });

  it('counts a finished run whole only once the ingestion lag has passed', () => {
    const finished = (msAgo: number) => ({
      ...run(runA, 'aaa111'),
      finished_at: new Date(Date.now() - msAgo).toISOString(),
    });
    expect(source.settled(finished(INGESTION_LAG_MS + 1000))).toBe(true);
    expect(source.settled(finished(0))).toBe(false);
  });

  it("deletes every stream of a job's, page by page", async () => {
    logs
      .on(DescribeLogStreamsCommand)
      .resolvesOnce({ logStreams: [{ logStreamName: `${jobId}/job/aaa111` }], nextToken: 't2' })
      .resolvesOnce({ logStreams: [{ logStreamName: `${jobId}/job/bbb222` }] });
    logs.on(DeleteLogStreamCommand).resolves({});
    await source.deleteForJob({ ...ref, job_id: jobId });
    expect(logs.commandCalls(DescribeLogStreamsCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName, logStreamNamePrefix: `${jobId}/`, nextToken: undefined },
      { logGroupName, logStreamNamePrefix: `${jobId}/`, nextToken: 't2' },
    ]);
    expect(logs.commandCalls(DeleteLogStreamCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName, logStreamName: `${jobId}/job/aaa111` },
      { logGroupName, logStreamName: `${jobId}/job/bbb222` },
    ]);
  });

  it("reads a run of several tasks from its tasks' streams together, each line with the task and attempt that wrote it", async () => {
    runs = new DynamoRunStore(table);
    const lifecycle = new RunLifecycle(runs);
    const split: Run = {
      ...run('run_01JD6R0G2M4S8V1X3Z5B7D9F1C', 'unused'),
      status: 'pending',
      exit_code: null,
      backend: { runner: 'ecs', task: null, execution: null, task_role: null },
      tasks: pendingTasks(3),
      parallelism: 3,
    };
    await runs.create(split, { forbidActive: false });
    const splitRef = { ...ref, job_id: jobId, run_id: split.id };
    for (const [index, id] of [
      [0, 'ccc000'],
      [2, 'ccc222'],
    ] as const) {
      await lifecycle.startAttempt(splitRef, index);
      await lifecycle.markRunning(splitRef, task(id), undefined, index);
    }
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        {
          timestamp: Date.UTC(2026, 0, 1, 0, 0, 1),
          message: 'from two\n',
          logStreamName: `${jobId}/job/ccc222`,
          eventId: 'e1',
        },
        {
          timestamp: Date.UTC(2026, 0, 1, 0, 0, 2),
          message: 'from zero\n',
          logStreamName: `${jobId}/job/ccc000`,
          eventId: 'e2',
        },
      ],
    });
    const page = await source.query({ job: { ...ref, job_id: jobId }, run_id: split.id, limit: 100 });
    expect(page.items.map((line) => [line.task_index, line.attempt, line.message])).toEqual([
      [2, 1, 'from two'],
      [0, 1, 'from zero'],
    ]);
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toEqual({
      logGroupName,
      logStreamNames: [`${jobId}/job/ccc000`, `${jobId}/job/ccc222`],
      limit: 100,
    });

    logs.reset();
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    await source.query({ job: { ...ref, job_id: jobId }, run_id: split.id, limit: 100, task: 2 });
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toEqual({
      logGroupName,
      logStreamNames: [`${jobId}/job/ccc222`],
      limit: 100,
    });
  });
});

describe('CloudWatchRunNotes', () => {
  it("puts a line of the service's own into the stream of the run's task", async () => {
    logs.reset();
    logs.on(PutLogEventsCommand).resolves({});
    const notes = new CloudWatchRunNotes({
      logGroupName,
      runs,
      client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
    });
    await notes.note(
      { ...ref, job_id: jobId, run_id: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1B' },
      0,
      1,
      'the output is not JSON',
    );
    const [call] = logs.commandCalls(PutLogEventsCommand).map((c) => c.args[0].input);
    expect(call).toEqual({
      logGroupName,
      logStreamName: `${jobId}/job/bbb222`,
      logEvents: [{ timestamp: expect.any(Number), message: 'jobs: the output is not JSON' }],
    });
  });
});
