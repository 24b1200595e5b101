// Lambda entry: EventBridge Scheduler's fires (the target input: the job and <aws.scheduler.scheduled-time>).
import { awsPlatform } from '../adapters/aws/platform.ts';
import { composeServices } from '../composition/services.ts';
import type { ScheduledFire } from '../core/schedules.ts';

const services = composeServices(awsPlatform('scheduled-trigger'));
const trigger = services.scheduledTrigger();

export async function handler(event: ScheduledFire) {
  const result = await trigger.fire(event);
  services.platform.logger.info('scheduled fire', { ...event.job, scheduled_for: event.scheduled_time, ...result });
  return result;
}
