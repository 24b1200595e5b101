// Lambda entry: the run state machine's state-update Tasks.
import { awsBase, awsRunLifecycle } from '../adapters/aws/services.ts';
import { runStateHandler } from '../state/run-state.ts';

export const handler = runStateHandler(awsRunLifecycle(awsBase()).lifecycle);
