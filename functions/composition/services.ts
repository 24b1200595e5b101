// The one composition of the service, for both hosts: the domain services wired once from a host's platform.
// Every service is built on first use, so a Lambda function builds, and is granted, only what it serves; the
// local host serves them all from the same wiring.
import { Deliverer, DeliveryService } from '../core/delivery-service.ts';
import { RunRetention } from '../core/retention.ts';
import { EventRelay } from '../core/event-relay.ts';
import { combineHooks, JobService } from '../core/job-service.ts';
import { KeyService } from '../core/key-service.ts';
import { LogService } from '../core/logs.ts';
import { MetricsService } from '../core/metrics.ts';
import { RunLifecycle } from '../core/run-lifecycle.ts';
import { RunReconciler } from '../core/run-reconciler.ts';
import { AlertSweep } from '../core/alert-sweep.ts';
import { lastOutput, OUTPUT_PREFIX } from '../core/run-output.ts';
import { ChainTrigger } from '../core/chain-trigger.ts';
import { RunService, runsFollowTheirJob } from '../core/runs.ts';
import { pausedSchedules, ScheduledTrigger, scheduleHooks } from '../core/schedules.ts';
import { taskDefinitionHooks } from '../core/task-definitions.ts';
import { WebhookService } from '../core/webhook-service.ts';
import { SecretService } from '../core/secret-service.ts';
import { SettingsService } from '../core/settings-service.ts';
import { AuditService } from '../core/audit-service.ts';
import { MetricsRecorder, ServiceMetrics } from '../core/service-metrics.ts';
import { once, type Platform } from './platform.ts';
import { AdmissionDispatcher } from '../orchestration/admission-dispatcher.ts';
import { randomUUID } from 'node:crypto';

/** How long one invocation keeps deciding while launches are paced: within the run-state function's 60 s. */
const ADMISSION_BUDGET_MS = 45_000;

export interface Services {
  readonly platform: Platform;
  keys(): Promise<KeyService>;
  jobs(): JobService;
  runs(): RunService;
  runLifecycle(): RunLifecycle;
  reconciler(): RunReconciler;
  /** run.slow and schedule.missed: the alerts about time passing (see alert-sweep.ts). */
  alertSweep(): AlertSweep;
  logs(): LogService;
  metrics(): MetricsService;
  scheduledTrigger(): ScheduledTrigger;
  eventRelay(): EventRelay;
  webhooks(): WebhookService;
  deliverer(): Deliverer;
  retention(): RunRetention;
  deliveries(): DeliveryService;
  secrets(): SecretService;
  settings(): SettingsService;
  audit(): AuditService;
  serviceMetrics(): ServiceMetrics;
  /** Admission in a shared store (AWS); none where the host admits in its own memory (local). */
  admission(): AdmissionDispatcher | undefined;
}

export function composeServices(platform: Platform): Services {
  const keys = once(
    async () => new KeyService(platform.keyStore(), { bootstrapAdminHash: await platform.adminKeyHash() }),
  );
  const runLifecycle: () => RunLifecycle = once(
    () =>
      new RunLifecycle(platform.runStore(), {
        signals: platform.signals(),
        usage: platform.usage(),
        outputs: {
          // Read as any reader of the run's log reads it: masked where the host masks on read.
          read: (ref, index, attempt) =>
            lastOutput((cursor) =>
              logs().forRun(ref, { filter: OUTPUT_PREFIX, attempt, task: index, limit: 1000, cursor }),
            ),
          note: (ref, index, attempt, message) => platform.runNotes().note(ref, index, attempt, message),
        },
      }),
  );
  const stopping = () => ({
    store: platform.runStore(),
    orchestrator: platform.orchestrator(),
    lifecycle: runLifecycle(),
  });
  const settings = once(() => new SettingsService(platform.settingsStore()));
  const metricsRecorder = once(
    () =>
      new MetricsRecorder(
        platform.serviceMetricsStore(),
        (message, error) => platform.logger.warn(message, { error }),
        platform.figures(),
      ),
  );
  const admission = once(() => {
    const shared = platform.sharedAdmission();
    if (!shared) return undefined;
    return new AdmissionDispatcher({
      store: shared.store,
      tokens: shared.tokens,
      get launch() {
        return shared.launch();
      },
      lifecycle: runLifecycle(),
      runs: platform.runStore(),
      limits: (places) => settings().admissionLimits(places, null),
      holder: randomUUID(),
      logger: platform.logger,
      budgetMs: ADMISSION_BUDGET_MS,
    });
  });
  const secrets = once(
    () =>
      new SecretService({
        store: platform.secretStore(),
        linkable: async (workspaceId) => (await settings().workspace(workspaceId)).linked_secret_arns,
        // The jobs function only checks names and locates ARNs: it is given no access to values, nor builds it.
        vault: () => platform.secretVault(),
        jobs: platform.jobStore(),
      }),
  );
  const jobs = once(
    () =>
      new JobService(platform.jobStore(), {
        missingSecrets: (ref, names) => secrets().missing(ref, names),
        taskRoles: async (workspaceId) => (await settings().workspace(workspaceId)).task_roles,
        networkRefusal: (network) => platform.networkRefusal(network),
        // A job's task definition exists before its schedule can fire; a deleted job stops firing before its runs stop.
        hooks: combineHooks(
          () => {
            const definitions = platform.taskDefinitions();
            return definitions ? taskDefinitionHooks(definitions, (job) => secrets().locations(job)) : {};
          },
          () => scheduleHooks(platform.schedules()),
          () => runsFollowTheirJob({ ...stopping(), logs: platform.logs() }),
          ...platform.jobHooks(),
        ),
      }),
  );
  const runs = once(
    () =>
      new RunService({
        jobs: jobs(),
        ...stopping(),
        idempotency: platform.idempotency(),
        signals: platform.signals(),
        pollMs: platform.pollMs,
        queues: platform.queues() ?? admission(),
      }),
  );
  const retention = once(
    () =>
      new RunRetention({
        jobs: platform.jobStore(),
        runs: platform.runStore(),
        artifacts: platform.runArtifacts(),
        warn: (message, error) => platform.logger.warn(message, { error }),
      }),
  );
  const deliverer = once(
    () =>
      new Deliverer({
        webhooks: platform.webhookStore(),
        deliveries: platform.deliveryStore(),
        destinations: platform.destinations(),
        metrics: metricsRecorder(),
        ...platform.delivery(),
      }),
  );
  const logs: () => LogService = once(
    () =>
      new LogService({
        jobs: jobs(),
        runs: platform.runStore(),
        source: platform.logs(),
        signals: platform.signals(),
        pollMs: platform.pollMs,
        masks: platform.masksOnRead ? (job) => secrets().maskValues(job, job.secrets) : undefined,
      }),
  );
  return {
    platform,
    keys,
    jobs,
    runs,
    runLifecycle,
    reconciler: once(() => new RunReconciler(stopping())),
    alertSweep: once(() => new AlertSweep({ runs: platform.runStore(), jobs: platform.jobStore() })),
    logs,
    metrics: once(() => new MetricsService({ jobs: jobs(), source: platform.metrics() })),
    scheduledTrigger: once(() => new ScheduledTrigger({ jobs: jobs(), runs: runs() })),
    // Every event goes to the host's sinks and to the webhooks subscribed to it.
    eventRelay: once(
      () =>
        new EventRelay({
          jobs: platform.jobStore(),
          sinks: [
            ...platform.eventSinks(),
            deliverer(),
            retention(),
            metricsRecorder(),
            pausedSchedules(platform.jobStore(), platform.schedules()),
            new ChainTrigger({
              jobs: platform.jobStore(),
              runs,
              note: (message, fields) => platform.logger.warn(message, fields),
            }),
          ],
        }),
    ),
    webhooks: once(
      () =>
        new WebhookService({
          store: platform.webhookStore(),
          jobs: platform.jobStore(),
          destinations: platform.destinations(),
        }),
    ),
    deliverer,
    retention,
    secrets,
    settings,
    audit: once(() => new AuditService(platform.auditLog())),
    serviceMetrics: once(
      () =>
        new ServiceMetrics({
          store: platform.serviceMetricsStore(),
          runs: platform.runStore(),
          jobs: platform.jobStore(),
        }),
    ),
    admission,
    deliveries: once(
      () =>
        new DeliveryService({
          webhooks: platform.webhookStore(),
          deliveries: platform.deliveryStore(),
          deliverer: deliverer(),
        }),
    ),
  };
}
