// Lambda entry: ECS task state changes (a run becomes running when its container really starts).
import { awsBase, awsRunLifecycle } from '../adapters/aws/compose/base.ts';
import { ecsTaskEventHandler, type EcsTaskStateChange } from '../state/events.ts';

const base = awsBase();
const { store, lifecycle } = awsRunLifecycle(base);
const handle = ecsTaskEventHandler(store, lifecycle);

export async function handler(event: EcsTaskStateChange) {
  const result = await handle(event);
  base.logger.info('ecs task state change', { run_id: event.detail.startedBy, task: event.detail.taskArn, last_status: event.detail.lastStatus, ...result });
  return result;
}
