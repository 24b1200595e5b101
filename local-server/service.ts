// The whole service on one machine: DynamoDB Local under the data directory, the table, the first admin key,
// and the API on loopback. `npm start` runs it (main.ts); tests start it in-process, optionally on a shared engine.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoTable } from '../functions/adapters/dynamodb/table-client.ts';
import { hashSecret } from '../functions/core/keys.ts';
import { createLogger, type Logger } from '../functions/logger.ts';
import { loadAdminKey, type AdminKey } from './admin-key.ts';
import { startApiGateway } from './api-gateway.ts';
import { consoleSite } from './console-site.ts';
import { ensureConsole } from '../console/build.ts';
import { lockDataDir, reapPreviousEngine } from './data-dir.ts';
import { ensureTable } from './engine/ensure-table.ts';
import { EngineLockedError } from './engine/dynamodb-local.ts';
import { superviseDynamoDBLocal, type SupervisedEngine } from './engine/supervisor.ts';
import { RateLimiter, type RateLimit } from './rate-limit.ts';
import { readLocalSettings } from './settings.ts';
import { chooseRunner } from '../functions/adapters/local/engines.ts';
import { localPlatform, type LocalHost } from '../functions/adapters/local/platform.ts';
import { HTTP_GROUPS, type HttpGroup } from '../functions/api/routes.ts';
import type { HttpHandler } from '../functions/api/http.ts';
import { httpHandler } from '../functions/composition/http.ts';

export const PROJECT_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_DATA_DIR = join(PROJECT_DIR, '.jobs-local');
export const ENGINE_CACHE_DIR = join(PROJECT_DIR, 'node_modules', '.cache', 'jobs-service');
export const DEFAULT_TABLE = 'jobs';

export interface LocalServiceOptions {
  dataDir: string;
  port: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** An engine that is already running (tests share one); by default one is started under the data dir. */
  dynamodb?: { endpoint: string; tableName: string };
  /** Tests compress the backoff between a run's attempts. */
  retryIntervalMs?: number;
  maxRunLogBytes?: number;
  /** Tests shorten the waits between webhook delivery attempts. */
  webhookRetryScheduleMs?: readonly number[];
  webhookTimeoutMs?: number;
  catchUpSeconds?: number;
  /** Tests look for slow runs more often than every 5 s. */
  alertSweepMs?: number;
  /** Per-key throttling; by default JOBS_RATE_LIMIT, else the AWS stage's limits; null turns it off. */
  rateLimit?: RateLimit | null;
}

export interface LocalService {
  url: string;
  adminKey: AdminKey;
  dataDir: string;
  tableName: string;
  dynamodbEndpoint: string;
  /** The engine this service started and keeps up; undefined on a shared engine. */
  engine: SupervisedEngine | undefined;
  host: LocalHost;
  /** Schedules armed at start, loaded from the table. */
  schedules: number;
  /** Stops everything, in order; `reason` (the signal, say) is what runs in flight are told they stopped for. */
  stop(reason?: string): Promise<void>;
}

/**
 * Starts DynamoDB Local on the data files; while an engine of a previous service still holds them (it is exiting:
 * its service is gone), waits for it rather than ever running two engines on one set of files.
 */
async function startEngine(dbPath: string, pidFile: string, logger: Logger): Promise<SupervisedEngine> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await superviseDynamoDBLocal(
        { dbPath, cacheDir: ENGINE_CACHE_DIR, onOutput: (line) => logger.debug('dynamodb-local', { line }) },
        {
          onStart: (pid) => writeFileSync(pidFile, String(pid)),
          onExit: ({ pid, code }) =>
            logger.error('DynamoDB Local exited unexpectedly; starting it again', { pid, exit_code: code }),
          onRestart: (info) => logger.warn('DynamoDB Local started again', info),
        },
      );
    } catch (error) {
      if (!(error instanceof EngineLockedError) || Date.now() > deadline) throw error;
      logger.info('waiting for the previous DynamoDB Local to release its data files');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  const logger = options.logger ?? createLogger('jobs-local');
  const settings = readLocalSettings(options.env ?? process.env, DEFAULT_DATA_DIR);
  const lock = await lockDataDir(options.dataDir, {
    onWait: (holder) =>
      logger.info(`waiting for the jobs service that is stopping (pid ${holder.pid}) to release ${options.dataDir}`),
  });
  const cleanups: Array<() => Promise<void> | void> = [() => lock.release()];
  let engine: SupervisedEngine | undefined;
  let stopReason = 'the local service stopped';
  let stopped: Promise<void> | undefined;
  const stop = (reason?: string) => {
    if (reason) stopReason = `the local service stopped (${reason})`;
    // From the first moment of a stop: a new service may wait for this one, and the engine stays down if it exits.
    lock.stopping();
    engine?.keepDown();
    stopped ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    })();
    return stopped;
  };
  try {
    let endpoint = options.dynamodb?.endpoint;
    const tableName = options.dynamodb?.tableName ?? DEFAULT_TABLE;
    if (!endpoint) {
      const pidFile = join(options.dataDir, 'dynamodb.pid');
      const dbPath = join(options.dataDir, 'dynamodb');
      await reapPreviousEngine(pidFile, dbPath);
      mkdirSync(dbPath, { recursive: true });
      mkdirSync(ENGINE_CACHE_DIR, { recursive: true });
      engine = await startEngine(dbPath, pidFile, logger);
      cleanups.push(async () => {
        await engine?.stop();
        rmSync(pidFile, { force: true });
      });
      endpoint = engine.endpoint;
    }
    const table = new DynamoTable({ tableName, endpoint });
    await ensureTable(table.client, tableName);
    const adminKey = loadAdminKey(options.dataDir, settings.adminKey);
    const runner = await chooseRunner(settings.runner);
    logger.info(`runner: ${runner.engine?.name ?? 'process'} (${runner.why})`, {
      runner: runner.engine?.name ?? 'process',
      engine_version: runner.engine?.version,
      host_flags: runner.engine?.hostFlags,
    });
    const host = localPlatform({
      engine: runner.engine,
      table,
      dataDir: options.dataDir,
      adminKeyHash: hashSecret(adminKey.secret),
      logger,
      retryIntervalMs: options.retryIntervalMs,
      maxRunLogBytes: options.maxRunLogBytes,
      webhookRetryScheduleMs: options.webhookRetryScheduleMs,
      webhookTimeoutMs: options.webhookTimeoutMs,
      catchUpSeconds: options.catchUpSeconds ?? settings.catchUpSeconds,
      metricsRetentionHours: settings.metricsRetentionHours,
      webhooksAllowPrivate: settings.webhooksAllowPrivate,
      capacity: settings.capacity,
      alertSweepMs: options.alertSweepMs,
    });
    await host.recover();
    const schedules = await host.start();
    // Stopped in reverse: the API (in-flight requests finish), runs in flight, the client, then the engine.
    cleanups.push(() => table.destroy());
    cleanups.push(() => host.shutdown(stopReason));
    const rateLimit = options.rateLimit === undefined ? settings.rateLimit : options.rateLimit;
    const rateLimiter = rateLimit ? new RateLimiter(rateLimit) : null;
    // The console is built from its sources when they are newer than the last build (a fraction of a second).
    const site = consoleSite({
      dir: ensureConsole(),
      adminKeyFile: adminKey.source === 'JOBS_ADMIN_KEY' ? null : adminKey.source,
    });
    const api = await startApiGateway({
      handlers: await routeHandlers(host),
      logger,
      port: options.port,
      host: options.host,
      rateLimiter,
      site,
    });
    cleanups.push(() => api.close());
    return {
      url: api.url,
      adminKey,
      dataDir: options.dataDir,
      tableName,
      dynamodbEndpoint: endpoint,
      engine,
      host,
      schedules,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every route group's handler, built from the local platform's services as each Lambda function builds its own. */
async function routeHandlers(host: LocalHost): Promise<Record<HttpGroup, HttpHandler>> {
  const entries = await Promise.all(
    HTTP_GROUPS.map(async (group) => [group, await httpHandler(group, host.services)] as const),
  );
  return Object.fromEntries(entries) as Record<HttpGroup, HttpHandler>;
}
