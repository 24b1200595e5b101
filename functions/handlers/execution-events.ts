// Lambda entry: run executions that ended without settling their run (the reconciler).
import { awsBase, awsRunLifecycle } from '../adapters/aws/services.ts';
import { executionEventHandler } from '../state/events.ts';

export const handler = executionEventHandler(awsRunLifecycle(awsBase()).lifecycle);
