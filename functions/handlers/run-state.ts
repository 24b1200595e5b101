// Lambda entry: the run state machine's state-update Tasks.
import { awsPlatform } from '../adapters/aws/platform.ts';
import { composeServices } from '../composition/services.ts';
import { runStateHandler } from '../orchestration/run-state.ts';

const services = composeServices(awsPlatform('run-state'));
export const handler = runStateHandler(services.runLifecycle(), services.platform.logger, services.admission());
