// Lambda entry: ECS task state changes (a run becomes running when its container really starts).
import { awsBase, awsRunLifecycle } from '../adapters/aws/services.ts';
import { ecsTaskEventHandler } from '../state/events.ts';

const { store, lifecycle } = awsRunLifecycle(awsBase());
export const handler = ecsTaskEventHandler(store, lifecycle);
