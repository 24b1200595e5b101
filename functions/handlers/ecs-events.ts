// Lambda entry: ECS task state changes (a run becomes running when its container really starts; a stopped
// task's exit status is recorded).
import { awsPlatform } from '../adapters/aws/platform.ts';
import { composeServices } from '../composition/services.ts';
import { ecsTaskEventHandler, type EcsTaskStateChange } from '../orchestration/events.ts';

const services = composeServices(awsPlatform('ecs-events'));
const handle = ecsTaskEventHandler(services.platform.runStore(), services.runLifecycle());

export async function handler(event: EcsTaskStateChange) {
  const result = await handle(event);
  services.platform.logger.info('ecs task state change', {
    run_id: event.detail.startedBy,
    task: event.detail.taskArn,
    last_status: event.detail.lastStatus,
    ...result,
  });
  return result;
}
