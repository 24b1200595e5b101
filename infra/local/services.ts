// The composition root in local mode: the same domain services and handlers as in AWS, wired to DynamoDB
// Local, the state machine interpreter, the local runner and the local log store.
import { fallbackApi } from '../../functions/api/fallback.ts';
import { jobsApi } from '../../functions/api/jobs.ts';
import { keysApi } from '../../functions/api/keys.ts';
import { logsApi } from '../../functions/api/logs.ts';
import { metricsApi } from '../../functions/api/metrics.ts';
import { runsApi } from '../../functions/api/runs.ts';
import { systemApi } from '../../functions/api/system.ts';
import { tableHealthCheck } from '../../functions/adapters/aws/dynamodb/health.ts';
import { DynamoIdempotency } from '../../functions/adapters/aws/dynamodb/idempotency.ts';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamodb/job-store.ts';
import { DynamoKeyStore } from '../../functions/adapters/aws/dynamodb/key-store.ts';
import { DynamoRunStore } from '../../functions/adapters/aws/dynamodb/run-store.ts';
import type { DynamoTable } from '../../functions/adapters/aws/dynamodb/table-client.ts';
import { CachedKeyStore } from '../../functions/adapters/local/cached-key-store.ts';
import { LocalOrchestrator } from '../../functions/adapters/local/local-orchestrator.ts';
import { LocalRunner } from '../../functions/adapters/local/local-runner.ts';
import { LocalLogStore } from '../../functions/adapters/local/log-store.ts';
import { recoverRuns, type RecoveryReport } from '../../functions/adapters/local/recovery.ts';
import { LocalScheduler } from '../../functions/adapters/local/local-scheduler.ts';
import { LocalMetricSampler } from '../../functions/adapters/local/metric-sampler.ts';
import { VERSION } from '../../functions/config.ts';
import { combineLifecycles, JobService, type Job } from '../../functions/core/jobs.ts';
import { KeyService } from '../../functions/core/keys.ts';
import { MetricsService } from '../../functions/core/metrics.ts';
import { RunLifecycle } from '../../functions/core/run-lifecycle.ts';
import { RunSignals } from '../../functions/core/run-signals.ts';
import { RunService } from '../../functions/core/runs.ts';
import { ScheduledTrigger, scheduleLifecycle } from '../../functions/core/schedules.ts';
import type { Logger } from '../../functions/logger.ts';
import { runStateHandler } from '../../functions/state/run-state.ts';
import { LOCAL_PLACEHOLDERS, runStateMachineDefinition } from '../state-machine/definition.ts';
import type { GroupHandlers } from './api-gateway.ts';

export interface LocalServices {
  jobs: JobService;
  keys: KeyService;
  runs: RunService;
  runner: LocalRunner;
  orchestrator: LocalOrchestrator;
  scheduler: LocalScheduler;
  sampler: LocalMetricSampler;
  /** What EventBridge Scheduler's target is in AWS: turns one fire into a run. */
  scheduledTrigger: ScheduledTrigger;
  handlers: GroupHandlers;
  /** Settles or re-attaches runs a previous process left in flight. */
  recover(): Promise<RecoveryReport>;
  /** Arms every job's schedule from the table (and fires what was missed within the catch-up window). */
  startScheduler(): Promise<number>;
  /** Stops every run in flight (settled as failed, saying `reason`) before the service exits. */
  shutdown(reason?: string): Promise<void>;
}

export interface LocalServiceOptions {
  table: DynamoTable;
  dataDir: string;
  adminKeyHash: string;
  logger: Logger;
  /** Tests compress the backoff between attempts. */
  retryIntervalMs?: number;
  maxRunLogBytes?: number;
  /** Missed fires within this many seconds fire once at start (default 300; 0: none). */
  catchUpSeconds?: number;
  /** How often running runs are measured (default 1000 ms). */
  sampleIntervalMs?: number;
  metricsRetentionHours?: number;
}

export function composeLocalServices(options: LocalServiceOptions): LocalServices {
  const { table, logger } = options;
  // This process is the table's only writer, so remembered keys stay exact (see CachedKeyStore).
  const keys = new KeyService(new CachedKeyStore(new DynamoKeyStore(table)), { bootstrapAdminHash: options.adminKeyHash });
  const runStore = new DynamoRunStore(table);
  let runner: LocalRunner | undefined;
  const sampler = new LocalMetricSampler({
    dataDir: options.dataDir,
    runs: () => runner?.activeProcesses() ?? [],
    logger,
    intervalMs: options.sampleIntervalMs,
    retentionHours: options.metricsRetentionHours,
  });
  // Runs change in this process, so waiting reads are woken the moment they do.
  const signals = new RunSignals();
  const lifecycle = new RunLifecycle(runStore, { signals, usage: sampler });
  const logs = new LocalLogStore(options.dataDir, { maxRunBytes: options.maxRunLogBytes });
  runner = new LocalRunner({ dataDir: options.dataDir, logs, logger, onFinished: (runId, pid, cpu) => sampler.finished(runId, pid, cpu) });
  const orchestrator = new LocalOrchestrator({
    definition: runStateMachineDefinition(LOCAL_PLACEHOLDERS),
    runner,
    runState: runStateHandler(lifecycle, logger),
    lifecycle,
    logger,
    retryIntervalMs: options.retryIntervalMs,
  });
  let runs: RunService | undefined;
  let scheduledTrigger: ScheduledTrigger | undefined;
  // The scheduler hands each fire to the same trigger EventBridge Scheduler invokes in AWS.
  const scheduler = new LocalScheduler({ deliver: (fire) => (scheduledTrigger as ScheduledTrigger).fire(fire), logger, catchUpSeconds: options.catchUpSeconds });
  const jobStore = new DynamoJobStore(table);
  const jobs = new JobService(jobStore, {
    lifecycle: combineLifecycles(scheduleLifecycle(scheduler), () => (runs as RunService).lifecycle(), {
      deleted: (job) => sampler.deleteForJob({ workspace_id: job.workspace_id, project_id: job.project_id, job_id: job.id }),
    }),
  });
  runs = new RunService({ jobs, store: runStore, orchestrator, lifecycle, logs, idempotency: new DynamoIdempotency(table), signals, pollMs: 1_000 });
  scheduledTrigger = new ScheduledTrigger({ jobs, runs });
  const deps = { keys, logger };
  return {
    jobs,
    keys,
    runs,
    runner,
    orchestrator,
    scheduler,
    sampler,
    scheduledTrigger,
    handlers: {
      system: systemApi({ ...deps, checks: { dynamodb: tableHealthCheck(table) }, version: VERSION }),
      keys: keysApi(deps),
      jobs: jobsApi({ ...deps, jobs }),
      runs: runsApi({ ...deps, runs }),
      logs: logsApi({ ...deps, logs, jobs, runs }),
      metrics: metricsApi({ ...deps, metrics: new MetricsService({ jobs, source: sampler }) }),
      fallback: fallbackApi(deps),
    },
    recover: () => recoverRuns({ store: runStore, runner, orchestrator, lifecycle, jobs, logger }),
    startScheduler: async () => {
      const scheduled: Job[] = [];
      let cursor: string | undefined;
      do {
        const page = await jobStore.listScheduled({ limit: 100, cursor });
        scheduled.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      scheduler.load(scheduled, { catchUp: true });
      sampler.start();
      return scheduler.size;
    },
    shutdown: async (reason) => {
      await scheduler.stop();
      await orchestrator.shutdown(reason);
      await sampler.stop();
    },
  };
}
