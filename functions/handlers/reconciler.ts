// Lambda entry: the reconciler. An execution that ended without settling its run (its status-change event), a
// sweep on a schedule for any such end no event reported, and each minute the sweep for slow runs and missed fires,
// which also records the tasks running and waiting as figures (a point a minute for the dashboard).
import { awsPlatform } from '../adapters/aws/platform.ts';
import { composeServices } from '../composition/services.ts';
import { reconcilerHandler, type ReconcilerEvent } from '../orchestration/events.ts';

const services = composeServices(awsPlatform('reconciler'));
const handle = reconcilerHandler(services.reconciler(), services.admission(), services.alertSweep());

export async function handler(event: ReconcilerEvent) {
  const result = await handle(event);
  const figures = services.platform.figures();
  if ('action' in event && figures) await services.serviceMetrics().recordTasks(figures);
  const about =
    'action' in event
      ? { alert_sweep: true }
      : event['detail-type'] === 'Scheduled Event'
        ? { sweep: true }
        : { run_id: event.detail.name, execution_status: event.detail.status };
  services.platform.logger.info('reconciled', { ...about, ...result });
  return result;
}
