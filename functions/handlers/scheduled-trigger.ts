// Lambda entry: EventBridge Scheduler's fires (the target input: the job and <aws.scheduler.scheduled-time>).
import { awsBase } from '../adapters/aws/compose/base.ts';
import { awsJobsAndRuns } from '../adapters/aws/compose/jobs-and-runs.ts';
import { ScheduledTrigger, type ScheduledFire } from '../core/schedules.ts';

const base = awsBase();
const trigger = new ScheduledTrigger(awsJobsAndRuns(base));

export async function handler(event: ScheduledFire) {
  const result = await trigger.fire(event);
  base.logger.info('scheduled fire', { ...event.job, scheduled_for: event.scheduled_time, ...result });
  return result;
}
