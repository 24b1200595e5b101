// The platform of local mode, beside the AWS one (../aws/platform.ts): DynamoDB Local through the same DynamoDB
// adapters, the state machine interpreter, the local runner, log store, scheduler and metric sampler, under the
// one composition of the service; and what only a long-lived host does: take back runs a previous process left,
// arm the schedules, sample, pump events and deliveries, and stop it all in order.
import { tableHealthCheck } from '../dynamodb/health.ts';
import { DynamoIdempotency } from '../dynamodb/idempotency.ts';
import { DynamoJobStore } from '../dynamodb/job-store.ts';
import { DynamoKeyStore } from '../dynamodb/key-store.ts';
import { DynamoRunStore } from '../dynamodb/run-store.ts';
import type { DynamoTable } from '../dynamodb/table-client.ts';
import { DynamoEventOutbox } from '../dynamodb/outbox.ts';
import { DynamoWebhookStore } from '../dynamodb/webhook-store.ts';
import { DynamoDeliveryStore } from '../dynamodb/delivery-store.ts';
import { DynamoSecretStore } from '../dynamodb/secret-store.ts';
import { DynamoServiceMetricsStore } from '../dynamodb/service-metrics-store.ts';
import { DynamoAuditLog } from '../dynamodb/audit-store.ts';
import { DynamoSettingsStore } from '../dynamodb/settings-store.ts';
import { DynamoSecretCiphertexts } from '../dynamodb/secret-ciphertexts.ts';
import { LocalSecretVault } from './secret-vault.ts';
import { LocalDeliveryWorker } from './delivery-worker.ts';
import { sendHttp } from '../http-send.ts';
import { resolveHost } from '../dns.ts';
import { CachedKeyStore } from './cached-key-store.ts';
import { CachedSettingsStore } from './cached-settings-store.ts';
import { LocalAdmission } from './local-admission.ts';
import type { Capacity } from '../../core/admission.ts';
import { LocalEventPump, loggedEvents } from './event-pump.ts';
import { LocalOrchestrator } from './local-orchestrator.ts';
import { LocalRunner, NONE_NEEDS_AN_ENGINE } from './local-runner.ts';
import { ContainerLauncher } from './container-launcher.ts';
import type { Engine } from './engines.ts';
import { LocalScheduler } from './local-scheduler.ts';
import { LocalLogStore } from './log-store.ts';
import { LocalMetricSampler } from './metric-sampler.ts';
import { lastKnown, storageHealthCheck } from './storage-health.ts';
import { recoverRuns, type RecoveryReport } from './recovery.ts';
import { once, type Platform } from '../../composition/platform.ts';
import { composeServices, type Services } from '../../composition/services.ts';
import type { Job } from '../../core/jobs.ts';
import { RunSignals } from '../../core/run-signals.ts';
import { jobRef } from '../../core/runs.ts';
import type { Logger } from '../../logger.ts';
import type { AlertSweep } from '../../core/alert-sweep.ts';
import { runStateHandler } from '../../orchestration/run-state.ts';
import { VERSION } from '../../version.ts';
import { LOCAL_PLACEHOLDERS, runStateMachineDefinition } from '../../orchestration/state-machine/definition.ts';

export interface LocalHostOptions {
  table: DynamoTable;
  /** The container engine runs are containers on; none: host processes. */
  engine?: Engine | null;
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
  /** Webhooks may deliver to this machine (default on). */
  webhooksAllowPrivate?: boolean;
  /** Tests shorten the waits between delivery attempts, and how long an attempt waits for its answer. */
  webhookRetryScheduleMs?: readonly number[];
  webhookTimeoutMs?: number;
  /** What the machine offers the tasks running at once (none: no limit of the host's own). */
  capacity?: Capacity;
  /** How often running runs are checked against their job's max_duration_seconds (default 5000 ms). */
  alertSweepMs?: number;
}

export interface LocalHost {
  services: Services;
  runner: LocalRunner;
  orchestrator: LocalOrchestrator;
  scheduler: LocalScheduler;
  /** Settles or re-attaches runs a previous process left in flight. */
  recover(): Promise<RecoveryReport>;
  /** Arms every job's schedule from the table (and fires what was missed within the catch-up window), and starts sampling. */
  start(): Promise<number>;
  /** Stops every run in flight (settled as failed, saying `reason`) before the service exits. */
  shutdown(reason?: string): Promise<void>;
}

const RETENTION_SWEEP_MS = 3_600_000;
const ALERT_SWEEP_MS = 5_000;
/** missed_schedule_seconds is at least 60: fires are looked over twice as often. */
const MISSED_FIRES_SWEEP_MS = 30_000;

export function localPlatform(options: LocalHostOptions): LocalHost {
  let retentionTimer: NodeJS.Timeout | undefined;
  let alertSweeper: { stop(): void } | undefined;
  const { table, logger } = options;
  // Adapters that call back into the domain (the state machine's tasks, the scheduler's fires) reach the
  // services, composed below from this very platform, when they first need them.
  let services!: Services;
  const runStore = once(() => new DynamoRunStore(table));
  const healthTable = once(() => table.apart());
  const jobStore = once(() => new DynamoJobStore(table));
  const logs = once(() => new LocalLogStore(options.dataDir, { maxRunBytes: options.maxRunLogBytes, logger }));
  const sampler: LocalMetricSampler = new LocalMetricSampler({
    dataDir: options.dataDir,
    runs: () => runner().activeProcesses(),
    logger,
    intervalMs: options.sampleIntervalMs,
    retentionHours: options.metricsRetentionHours,
  });
  const runner = once(
    () =>
      new LocalRunner({
        dataDir: options.dataDir,
        logs: logs(),
        logger,
        engine: options.engine ? new ContainerLauncher(options.engine, logger) : null,
        onFinished: (runId, taskIndex, pid, cpu) => sampler.finished(runId, taskIndex, pid, cpu),
      }),
  );
  // Every attempt waits here for room under its project's, its workspace's and the host's limits.
  const admission = once(
    () =>
      new LocalAdmission({
        limits: (places) => services.settings().admissionLimits(places, options.capacity ?? null),
        logger,
      }),
  );
  const orchestrator = once(
    () =>
      new LocalOrchestrator({
        admission: admission(),
        definition: runStateMachineDefinition(LOCAL_PLACEHOLDERS),
        runner: runner(),
        runState: runStateHandler(services.runLifecycle(), logger),
        lifecycle: services.runLifecycle(),
        logger,
        retryIntervalMs: options.retryIntervalMs,
        secrets: async (run, container) => {
          const secrets = services.secrets();
          return {
            ...(await secrets.forAttempt(run, container.secrets)),
            login: container.registry_credentials
              ? await secrets.registryLogin(run, container.registry_credentials)
              : null,
          };
        },
      }),
  );
  // The scheduler hands each fire to the same trigger EventBridge Scheduler invokes in AWS.
  const scheduler = once(
    () =>
      new LocalScheduler({
        deliver: (fire) => services.scheduledTrigger().fire(fire),
        logger,
        catchUpSeconds: options.catchUpSeconds,
      }),
  );
  const deliveryStore = once(() => new DynamoDeliveryStore(table));
  const deliveryWorker = once(
    () => new LocalDeliveryWorker({ store: deliveryStore(), deliverer: () => services.deliverer(), logger }),
  );
  // Runs change in this process, so waiting reads are woken the moment they do.
  const signals = new RunSignals();
  const platform: Platform = {
    logger,
    version: VERSION,
    pollMs: 1_000,
    jobStore,
    runStore,
    // This process is the table's only writer, so remembered keys stay exact (see CachedKeyStore).
    keyStore: once(() => new CachedKeyStore(new DynamoKeyStore(table))),
    idempotency: once(() => new DynamoIdempotency(table)),
    adminKeyHash: async () => options.adminKeyHash,
    orchestrator,
    logs,
    metrics: () => sampler,
    schedules: scheduler,
    taskDefinitions: () => null,
    jobHooks: () => [{ deleted: (job: Job) => sampler.deleteForJob(jobRef(job)) }],
    runArtifacts: () => [logs(), sampler],
    usage: () => sampler,
    signals: () => signals,
    // Locally the table lives on this machine's disk: health writes to it (on connections of its own) and checks
    // the disk itself, answering from the last check while a newer one waits behind a burst of the API's writes.
    healthChecks: once(() => ({
      dynamodb: lastKnown(tableHealthCheck(healthTable(), { write: true })),
      storage: lastKnown(storageHealthCheck(options.dataDir)),
    })),
    eventSinks: () => [loggedEvents(logger)],
    figures: () => null,
    runNotes: logs,
    webhookStore: once(() => new DynamoWebhookStore(table)),
    secretStore: once(() => new DynamoSecretStore(table)),
    // Admission reads limits on every decision; this process is the table's only writer, so remembered ones stay exact.
    serviceMetricsStore: once(() => new DynamoServiceMetricsStore(table)),
    auditLog: once(() => new DynamoAuditLog(table)),
    settingsStore: once(() => new CachedSettingsStore(new DynamoSettingsStore(table))),
    queues: admission,
    sharedAdmission: () => null,
    secretVault: once(() => new LocalSecretVault(new DynamoSecretCiphertexts(table), options.dataDir)),
    // Output is masked as it is stored: the values are in no file of the data directory.
    masksOnRead: false,
    // Host processes share the machine's network; only a container can be given none.
    networkRefusal: (network) => (network === 'none' && !options.engine ? NONE_NEEDS_AN_ENGINE : null),
    deliveryStore,
    delivery: () => ({
      send: sendHttp,
      ...(options.webhookRetryScheduleMs ? { schedule: options.webhookRetryScheduleMs } : {}),
      ...(options.webhookTimeoutMs ? { timeoutMs: options.webhookTimeoutMs } : {}),
      queue: deliveryWorker(),
    }),
    destinations: () => ({ allowPrivate: options.webhooksAllowPrivate ?? true, resolve: resolveHost }),
  };
  services = composeServices(platform);
  // Events leave the outbox as soon as a run's change wrote one (in AWS, the table's stream hands them on).
  const events = once(
    () => new LocalEventPump({ outbox: new DynamoEventOutbox(table), relay: services.eventRelay(), logger }),
  );
  signals.onChange(() => events().wake());
  return {
    services,
    get runner() {
      return runner();
    },
    get orchestrator() {
      return orchestrator();
    },
    get scheduler() {
      return scheduler();
    },
    recover: () =>
      recoverRuns({
        store: runStore(),
        runner: runner(),
        orchestrator: orchestrator(),
        lifecycle: services.runLifecycle(),
        jobs: services.jobs(),
        logger,
        masks: async (run) => {
          const job = await services.jobs().get(jobRef(run));
          return services.secrets().maskValues(run, job.secrets);
        },
      }),
    start: async () => {
      const scheduled: Job[] = [];
      let cursor: string | undefined;
      do {
        const page = await jobStore().listScheduled({ limit: 100, cursor });
        scheduled.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      // A fire missed while the service was down is told before the catch-up makes its run late.
      const alerts = services.alertSweep();
      await alerts.missedFires().catch((error: Error) => logger.warn('could not look for missed fires', { error }));
      scheduler().load(scheduled, { catchUp: true });
      sampler.start();
      events().start();
      deliveryWorker().start();
      // Runs past their job's age limit go at start and every hour after.
      const sweep = () =>
        void services
          .retention()
          .sweep()
          .then(
            ({ removed }) => removed > 0 && logger.info('removed runs past their history limits', { removed }),
            (error: Error) => logger.warn('could not sweep runs past their history limits', { error }),
          );
      sweep();
      retentionTimer = setInterval(sweep, RETENTION_SWEEP_MS).unref();
      alertSweeper = alertSweeps(alerts, options.alertSweepMs ?? ALERT_SWEEP_MS, () => events().wake(), logger);
      return scheduler().size;
    },
    shutdown: async (reason) => {
      clearInterval(retentionTimer);
      alertSweeper?.stop();
      healthTable().destroy();
      await scheduler().stop();
      await orchestrator().shutdown(reason);
      await sampler.stop();
      await events().stop();
      await deliveryWorker().stop();
    },
  };
}

/**
 * Looks for slow runs every `intervalMs` and for missed fires every MISSED_FIRES_SWEEP_MS, one sweep at a time;
 * what a sweep tells is in the outbox, which `told` wakes.
 */
function alertSweeps(alerts: AlertSweep, intervalMs: number, told: () => void, logger: Logger): { stop(): void } {
  let lastMissed = Date.now();
  let stopped = false;
  const sweep = async () => {
    try {
      const slow = await alerts.slowRuns();
      let missed = 0;
      if (Date.now() - lastMissed >= MISSED_FIRES_SWEEP_MS) {
        lastMissed = Date.now();
        missed = (await alerts.missedFires()).length;
      }
      if (slow.length + missed > 0) told();
    } catch (error) {
      logger.warn('could not sweep for alerts', { error: error as Error });
    }
    if (!stopped) timer.refresh();
  };
  const timer = setTimeout(() => void sweep(), intervalMs).unref();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
