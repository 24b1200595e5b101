// `npm start`: the jobs service on this machine. Prints where it listens and where the admin key is once it is
// ready; SIGINT or SIGTERM stops everything it started.
import { createLogger } from '../functions/logger.ts';
import { DataDirInUseError } from './data-dir.ts';
import { JavaMissingError } from './engine/dynamodb-local.ts';
import { DEFAULT_DATA_DIR, startLocalService, type LocalService } from './service.ts';
import { readLocalSettings, SettingError } from './settings.ts';
import { RunnerUnavailableError } from '../functions/adapters/local/engines.ts';

const startedAt = performance.now();
const logger = createLogger('jobs-local');
logger.info('starting', { node: process.version, pid: process.pid });

let service: LocalService | undefined;
let stopping = false;

/** However its runs' writes fare (a full disk, an engine gone), a stop ends within this; the next start takes back what is left. */
const STOP_DEADLINE_MS = 30_000;

async function shutdown(signal: string, code = 0): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  logger.info('stopping', { signal });
  setTimeout(() => {
    logger.error(`not stopped within ${STOP_DEADLINE_MS / 1000} s; exiting now (the next start takes back its runs)`);
    process.exit(code || 1);
  }, STOP_DEADLINE_MS).unref();
  await service?.stop(signal);
  logger.info('stopped');
  process.exit(code);
}

/** Errors of the machine's resources, not of the program: out of file descriptors, memory for a fork, disk space. */
const RESOURCE_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOSPC', 'EDQUOT', 'EAGAIN', 'ENOMEM', 'EIO', 'EROFS']);

// A failure nobody awaited must not take every run and request down with the process.
process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: reason as Error }));
// Nor may a resource running out (a flood of connections, a full disk) where no code expected it: the service
// goes on, and its work is tried again. Any other uncaught error is a defect: the service stops in order.
process.on('uncaughtException', (error) => {
  const code = (error as { code?: string }).code ?? '';
  if (RESOURCE_ERRORS.has(code)) {
    logger.error('a resource ran out where nothing caught it; the service goes on', { error, code });
    return;
  }
  logger.error('uncaught exception; stopping', { error });
  void shutdown('uncaught-exception', 1);
});
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  const { dataDir, port } = readLocalSettings(process.env, DEFAULT_DATA_DIR);
  service = await startLocalService({ dataDir, port, logger });
  if (stopping) await service.stop();
  const readyMs = Math.round(performance.now() - startedAt);
  logger.info(
    `Jobs API ready at ${service.url} (console: ${service.url}/console/, admin key: ${service.adminKey.source})`,
    {
      url: service.url,
      console: `${service.url}/console/`,
      admin_key: service.adminKey.source,
      data_dir: dataDir,
      ready_ms: readyMs,
      pid: process.pid,
      schedules: service.schedules,
      runner: service.host.runner.kind,
      dynamodb_endpoint: service.dynamodbEndpoint,
      dynamodb_pid: service.engine?.pid,
    },
  );
  service.engine?.failed.catch((error: Error) => {
    if (!stopping) {
      logger.error('DynamoDB Local is down for good; stopping', { error });
      void shutdown('engine-failure', 1);
    }
  });
} catch (error) {
  if (error instanceof SettingError) {
    logger.error(error.message);
    process.exit(2);
  }
  if (
    error instanceof JavaMissingError ||
    error instanceof DataDirInUseError ||
    error instanceof RunnerUnavailableError
  ) {
    logger.error(error.message);
    process.exit(1);
  }
  logger.error('failed to start', { error: error as Error });
  await shutdown('start-failure', 1);
}
