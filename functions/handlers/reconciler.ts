// Lambda entry: the reconciler. An execution that ended without settling its run (its status-change event), and
// a sweep on a schedule for any such end no event reported.
import { awsPlatform } from '../adapters/aws/platform.ts';
import { composeServices } from '../composition/services.ts';
import { reconcilerHandler, type ExecutionStatusChange, type ScheduledSweep } from '../orchestration/events.ts';

const services = composeServices(awsPlatform('reconciler'));
const handle = reconcilerHandler(services.reconciler(), services.admission());

export async function handler(event: ExecutionStatusChange | ScheduledSweep) {
  const result = await handle(event);
  const about =
    event['detail-type'] === 'Scheduled Event'
      ? { sweep: true }
      : { run_id: event.detail.name, execution_status: event.detail.status };
  services.platform.logger.info('reconciled', { ...about, ...result });
  return result;
}
