// Lambda entry: the run state machine's state-update Tasks.
import { awsBase, awsRunLifecycle } from '../adapters/aws/compose/base.ts';
import { runStateHandler } from '../state/run-state.ts';

const base = awsBase();
export const handler = runStateHandler(awsRunLifecycle(base).lifecycle, base.logger);
