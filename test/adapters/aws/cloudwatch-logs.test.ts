import {
  CloudWatchLogsClient,
  DeleteLogStreamCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchLogSource } from '../../../functions/adapters/aws/cloudwatch-logs.ts';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store.ts';
import { DynamoRunStore } from '../../../functions/adapters/dynamodb/run-store.ts';
import { buildJob } from '../../../functions/core/jobs.ts';
import type { Run } from '../../../functions/core/run-model.ts';
import { createTestTable } from '../../helpers/dynamodb.ts';

const logs = mockClient(CloudWatchLogsClient);
const logGroupName = '/jobs/containers';
const ref = { workspace_id: 'acme', project_id: 'etl' };
const jobId = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA';
const task = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/jobs/${id}`;
let table: Awaited<ReturnType<typeof createTestTable>>;
let source: CloudWatchLogSource;

function run(id: string, taskId: string): Run {
  return {
    id, job_id: jobId, ...ref, status: 'succeeded', trigger: 'manual', attempt: 1, scheduled_for: null, created_at: '2026-01-01T00:00:00.000Z',
    started_at: null, finished_at: null, duration_ms: null, exit_code: 0, error: null, overrides: { command: null, env: {} },
    image: 'alpine', command: ['true'], usage: null, backend: { runner: 'ecs', task: task(taskId), execution: null },
  };
}

beforeAll(async () => {
  // The run store is the real one, on DynamoDB Local; only CloudWatch Logs, which has no local engine, is mocked.
  table = await createTestTable('cloudwatch-logs');
  await new DynamoJobStore(table).create(buildJob(ref, jobId, { name: 'j', image: 'alpine', command: ['true'] }, 't', 't'));
  const runs = new DynamoRunStore(table);
  await runs.create(run('run_01JD6R0G2M4S8V1X3Z5B7D9F1A', 'aaa111'), { forbidActive: false });
  await runs.create(run('run_01JD6R0G2M4S8V1X3Z5B7D9F1B', 'bbb222'), { forbidActive: false });
  source = new CloudWatchLogSource({ logGroupName, runs, client: new CloudWatchLogsClient({ region: 'eu-west-1' }) });
});
afterAll(() => table.drop());
beforeEach(() => logs.reset());

describe('CloudWatchLogSource', () => {
  it("reads one run's lines from its task's stream, with the window, filter, limit and cursor", async () => {
    logs.on(FilterLogEventsCommand).resolves({
      events: [{ timestamp: Date.UTC(2026, 0, 1, 0, 0, 1), message: 'hello\n', logStreamName: `${jobId}/job/aaa111` }],
      nextToken: 'next-page',
    });
    const page = await source.query({
      job: { ...ref, job_id: jobId },
      run_id: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1A',
      start: new Date(Date.UTC(2026, 0, 1)),
      end: new Date(Date.UTC(2026, 0, 2)),
      filter: 'hel"lo',
      limit: 50,
      cursor: 'previous-page',
    });
    expect(logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      {
        logGroupName,
        logStreamNames: [`${jobId}/job/aaa111`],
        startTime: Date.UTC(2026, 0, 1),
        endTime: Date.UTC(2026, 0, 2),
        filterPattern: '"hel\\"lo"',
        limit: 50,
        nextToken: 'previous-page',
      },
    ]);
    expect(page).toEqual({
      items: [{ timestamp: '2026-01-01T00:00:01.000Z', run_id: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1A', stream: 'stdout', message: 'hello' }],
      next_cursor: 'next-page',
    });
  });

  it("reads a job's lines from every stream under its prefix and names each line's run", async () => {
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { timestamp: 1000, message: 'from a', logStreamName: `${jobId}/job/aaa111` },
        { timestamp: 2000, message: 'from b', logStreamName: `${jobId}/job/bbb222` },
      ],
    });
    const page = await source.query({ job: { ...ref, job_id: jobId }, limit: 100 });
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toEqual({ logGroupName, logStreamNamePrefix: `${jobId}/`, limit: 100 });
    expect(page.items.map((l) => [l.run_id, l.message])).toEqual([
      ['run_01JD6R0G2M4S8V1X3Z5B7D9F1A', 'from a'],
      ['run_01JD6R0G2M4S8V1X3Z5B7D9F1B', 'from b'],
    ]);
    expect(page.next_cursor).toBeNull();
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
});
