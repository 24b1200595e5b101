// Lambda entry: run executions that ended without settling their run (the reconciler).
import { awsBase, awsRunLifecycle } from '../adapters/aws/compose/base.ts';
import { executionEventHandler, type ExecutionStatusChange } from '../state/events.ts';

const base = awsBase();
const handle = executionEventHandler(awsRunLifecycle(base).lifecycle);

export async function handler(event: ExecutionStatusChange) {
  const result = await handle(event);
  base.logger.info('execution ended', { run_id: event.detail.name, execution_status: event.detail.status, ...result });
  return result;
}
