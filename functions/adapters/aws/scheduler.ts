// The ScheduleStore in AWS: EventBridge Scheduler schedules in the stack's group, named after the job
// (job-<id>, or job-<id>-dom and job-<id>-dow when cron's day-of-month OR day-of-week needs two). Each targets
// the scheduled-trigger function with the job and EventBridge's own scheduled time, in the job's time zone,
// with no flexible window, a retry policy and a dead-letter queue.
import type { CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { eventBridgeExpressions } from './eventbridge-cron.ts';
import type { Job, JobRef } from '../../core/jobs.ts';
import type { ScheduleStore } from '../../core/ports.ts';
import { LazySdk } from './lazy-sdk.ts';
import { unavailableIfTransient } from '../transient.ts';

const loadScheduler = () => import('@aws-sdk/client-scheduler');
type Scheduler = Awaited<ReturnType<typeof loadScheduler>>;

export interface SchedulerConfig {
  groupName: string;
  /** The scheduled-trigger function. */
  targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke it. */
  roleArn: string;
  deadLetterArn: string;
}

/** The names a job's schedules may have; all of them are cleared when the job's schedule changes shape. */
export function scheduleNames(jobId: string): { single: string; split: [string, string] } {
  return { single: `job-${jobId}`, split: [`job-${jobId}-dom`, `job-${jobId}-dow`] };
}

/** EventBridge Scheduler fills <aws.scheduler.scheduled-time> with the time each fire was due. */
export function targetInput(job: JobRef): string {
  return `{"job":${JSON.stringify({ workspace_id: job.workspace_id, project_id: job.project_id, job_id: job.job_id })},"scheduled_time":"<aws.scheduler.scheduled-time>"}`;
}

export class EventBridgeScheduleStore implements ScheduleStore {
  readonly #config: SchedulerConfig;
  readonly #scheduler: LazySdk<Scheduler, SchedulerClient>;

  constructor(config: SchedulerConfig, client?: SchedulerClient) {
    this.#config = config;
    this.#scheduler = new LazySdk(loadScheduler, (sdk) => new sdk.SchedulerClient({}), client);
  }

  async sync(job: Job): Promise<void> {
    if (!job.schedule)
      return this.remove({ workspace_id: job.workspace_id, project_id: job.project_id, job_id: job.id });
    const expressions = eventBridgeExpressions(job.schedule);
    const names = scheduleNames(job.id);
    const wanted = expressions.length === 1 ? [names.single] : names.split;
    const ref: JobRef = { workspace_id: job.workspace_id, project_id: job.project_id, job_id: job.id };
    await Promise.all(wanted.map((name, i) => this.#put(this.#request(name, expressions[i] as string, job, ref))));
    // A cron that changed shape (one schedule ↔ two) leaves names behind: remove them.
    const stale = [names.single, ...names.split].filter((name) => !wanted.includes(name));
    await Promise.all(stale.map((name) => this.#delete(name)));
  }

  async remove(job: JobRef): Promise<void> {
    const names = scheduleNames(job.job_id);
    await Promise.all([names.single, ...names.split].map((name) => this.#delete(name)));
  }

  #request(name: string, expression: string, job: Job, ref: JobRef): CreateScheduleCommandInput {
    return {
      Name: name,
      GroupName: this.#config.groupName,
      Description: `${job.workspace_id}/${job.project_id}/${job.name}: ${job.schedule}`,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: job.timezone,
      State: job.suspended ? 'DISABLED' : 'ENABLED',
      // Jitter is the scheduler's own flexible window: each fire is delivered at a random time within it.
      FlexibleTimeWindow:
        job.schedule_jitter_seconds > 0
          ? { Mode: 'FLEXIBLE', MaximumWindowInMinutes: Math.max(1, Math.ceil(job.schedule_jitter_seconds / 60)) }
          : { Mode: 'OFF' },
      ActionAfterCompletion: 'NONE',
      Target: {
        Arn: this.#config.targetArn,
        RoleArn: this.#config.roleArn,
        Input: targetInput(ref),
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
        DeadLetterConfig: { Arn: this.#config.deadLetterArn },
      },
    };
  }

  /** Updates the schedule, or creates it when it does not exist yet. */
  async #put(request: CreateScheduleCommandInput): Promise<void> {
    const { sdk, client } = await this.#scheduler.get();
    try {
      await client.send(new sdk.UpdateScheduleCommand(request));
    } catch (error) {
      if (!(error instanceof sdk.ResourceNotFoundException)) throw wrap(error);
      try {
        await client.send(new sdk.CreateScheduleCommand(request));
      } catch (createError) {
        // Created meanwhile by a concurrent update of the same job: bring it to this request's state.
        if (createError instanceof sdk.ConflictException)
          await client.send(new sdk.UpdateScheduleCommand(request)).catch((e) => Promise.reject(wrap(e)));
        else throw wrap(createError);
      }
    }
  }

  async #delete(name: string): Promise<void> {
    const { sdk, client } = await this.#scheduler.get();
    try {
      await client.send(new sdk.DeleteScheduleCommand({ Name: name, GroupName: this.#config.groupName }));
    } catch (error) {
      if (!(error instanceof sdk.ResourceNotFoundException)) throw wrap(error);
    }
  }
}

function wrap(error: unknown): unknown {
  return unavailableIfTransient('EventBridge Scheduler', error);
}
