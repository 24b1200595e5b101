import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeScheduleStore } from '../../../functions/adapters/aws/scheduler.ts';
import { buildJob } from '../../../functions/core/jobs.ts';

const scheduler = mockClient(SchedulerClient);
const config = {
  groupName: 'jobs-schedules',
  targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:scheduled-trigger',
  roleArn: 'arn:aws:iam::123456789012:role/scheduler',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:dead-letters',
};
const store = new EventBridgeScheduleStore(config, new SchedulerClient({ region: 'eu-west-1' }));
const jobId = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA';
const job = (spec: Record<string, unknown>) =>
  buildJob(
    { workspace_id: 'acme', project_id: 'etl' },
    jobId,
    { name: 'nightly', image: 'alpine', command: ['true'], ...spec },
    't',
    't',
  );
const notFound = () => new ResourceNotFoundException({ message: 'nope', Message: 'nope', $metadata: {} });

const target = {
  Arn: config.targetArn,
  RoleArn: config.roleArn,
  Input: `{"job":{"workspace_id":"acme","project_id":"etl","job_id":"${jobId}"},"scheduled_time":"<aws.scheduler.scheduled-time>"}`,
  RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
  DeadLetterConfig: { Arn: config.deadLetterArn },
};

beforeEach(() => {
  scheduler.reset();
  scheduler.on(DeleteScheduleCommand).rejects(notFound());
});

describe('EventBridgeScheduleStore', () => {
  it('creates one schedule for a cron with one day field, in the job time zone, with no flexible window', async () => {
    scheduler.on(UpdateScheduleCommand).rejects(notFound());
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    await store.sync(job({ schedule: '0 3 * * 1-5', timezone: 'Europe/Berlin' }));
    const request = {
      Name: `job-${jobId}`,
      GroupName: 'jobs-schedules',
      Description: 'acme/etl/nightly: 0 3 * * 1-5',
      ScheduleExpression: 'cron(0 3 ? * 2-6 *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'NONE',
      Target: target,
    };
    expect(scheduler.commandCalls(UpdateScheduleCommand).map((c) => c.args[0].input)).toEqual([request]);
    expect(scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input)).toEqual([request]);
    // The split names a cron of the other shape would have used are cleared.
    expect(
      scheduler
        .commandCalls(DeleteScheduleCommand)
        .map((c) => c.args[0].input)
        .sort((a, b) => a.Name!.localeCompare(b.Name!)),
    ).toEqual([
      { Name: `job-${jobId}-dom`, GroupName: 'jobs-schedules' },
      { Name: `job-${jobId}-dow`, GroupName: 'jobs-schedules' },
    ]);
  });

  it("splits cron's day-of-month OR day-of-week into two schedules and removes the single one", async () => {
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    scheduler.on(DeleteScheduleCommand, { Name: `job-${jobId}` }).resolves({});
    await store.sync(job({ schedule: '0 0 13 * 5' }));
    const updates = scheduler
      .commandCalls(UpdateScheduleCommand)
      .map((c) => [c.args[0].input.Name, c.args[0].input.ScheduleExpression]);
    expect(updates.sort()).toEqual([
      [`job-${jobId}-dom`, 'cron(0 0 13 * ? *)'],
      [`job-${jobId}-dow`, 'cron(0 0 ? * 6 *)'],
    ]);
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input.Name)).toEqual([`job-${jobId}`]);
  });

  it('disables the schedule of a suspended job', async () => {
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    await store.sync(job({ schedule: '@daily', suspended: true }));
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toMatchObject({
      State: 'DISABLED',
      ScheduleExpression: 'cron(0 0 * * ? *)',
    });
  });

  it("gives a job's jitter as the scheduler's flexible window, in whole minutes rounded up", async () => {
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    for (const [seconds, window] of [
      [1, { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1 }],
      [90, { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 2 }],
      [3600, { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 }],
      [0, { Mode: 'OFF' }],
    ] as const) {
      scheduler.resetHistory();
      await store.sync(job({ schedule: '@daily', schedule_jitter_seconds: seconds }));
      expect(scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input.FlexibleTimeWindow).toEqual(window);
    }
  });

  it('updates when a concurrent create got there first', async () => {
    scheduler.on(UpdateScheduleCommand).rejectsOnce(notFound()).resolves({ ScheduleArn: 'arn' });
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    await store.sync(job({ schedule: '@hourly' }));
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(2);
  });

  it('removes every schedule of a job without a schedule, or of a deleted one', async () => {
    await store.sync(job({ schedule: null }));
    await store.remove({ workspace_id: 'acme', project_id: 'etl', job_id: jobId });
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input.Name)).toEqual([
      `job-${jobId}`,
      `job-${jobId}-dom`,
      `job-${jobId}-dow`,
      `job-${jobId}`,
      `job-${jobId}-dom`,
      `job-${jobId}-dow`,
    ]);
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });
});
