// What a host provides to the one composition of the service: its adapters, each built on first use, so a
// function builds (and, in AWS, reads the settings of) only what the services it serves really call.
import type { FigureSink } from '../core/service-metrics.ts';
import type { ServiceMetricsStore } from '../core/service-metrics.ts';
import type { HealthChecks } from '../api/system.ts';
import type { AuditLog, EventSink, RunNotes } from '../core/ports.ts';
import type { DeliveryQueue, DeliveryStore, Send } from '../core/ports.ts';
import type { DestinationPolicy } from '../core/ports.ts';
import type { JobHooks } from '../core/job-service.ts';
import type { SecretStore, SecretVault, SettingsStore, WebhookStore } from '../core/ports.ts';
import type { Network } from '../core/job-spec.ts';
import type {
  Idempotency,
  JobStore,
  KeyStore,
  LogSource,
  MetricSource,
  RunOrchestrator,
  RunArtifacts,
  RunQueues,
  RunStore,
  ScheduleStore,
  TaskDefinitions,
  UsageSource,
} from '../core/ports.ts';
import type { RunSignals } from '../core/run-signals.ts';
import type { AdmissionStore, LaunchRate } from '../core/ports.ts';
import type { TaskTokens } from '../orchestration/admission-dispatcher.ts';
import type { Logger } from '../logger.ts';

export interface Platform {
  readonly logger: Logger;
  readonly version: string;
  jobStore(): JobStore;
  runStore(): RunStore;
  keyStore(): KeyStore;
  idempotency(): Idempotency;
  /** The hash of the configured first admin key, if any. */
  adminKeyHash(): Promise<string | undefined>;
  orchestrator(): RunOrchestrator;
  logs(): LogSource;
  metrics(): MetricSource;
  schedules(): ScheduleStore;
  /** Where the host keeps a container description per job (ECS task definitions); none locally. */
  taskDefinitions(): TaskDefinitions | null;
  /** What else a run leaves on this host, removed with it when its job's history limits remove it. */
  runArtifacts(): RunArtifacts[];
  /** What else follows a job's life on this host (local: its metric samples go with it). */
  jobHooks(): JobHooks[];
  /** What a finished run used, where the host can tell. */
  usage(): UsageSource | undefined;
  /** Where waiting runs stand in their queues, where admission keeps them in this process (local). */
  queues(): RunQueues | undefined;
  /** Admission kept in a store many processes share (AWS): its store, what answers attempts, the launch rate. */
  sharedAdmission(): SharedAdmission | null;
  /** Where runs change in this process, so waiting reads wake at once (local); polling otherwise. */
  signals(): RunSignals | undefined;
  /** How often a waiting read looks again without signals. */
  readonly pollMs: number;
  healthChecks(): HealthChecks;
  webhookStore(): WebhookStore;
  deliveryStore(): DeliveryStore;
  /** How deliveries are POSTed, on which retry schedule (shortened in tests), and the queue of who attempts them. */
  delivery(): { send: Send; schedule?: readonly number[]; timeoutMs?: number; queue: DeliveryQueue };
  /** Which webhook destinations are allowed, and how their hosts are resolved. */
  destinations(): DestinationPolicy;
  /** Where events go once they leave the outbox, besides webhooks (EventBridge in AWS, the service log locally). */
  eventSinks(): EventSink[];
  /** Where figures go as they happen (CloudWatch's embedded metric format in AWS); none locally: /v1/metrics serves them. */
  figures(): FigureSink | null;
  /** Lines of the service's own in a run's log (what it says of a run's output). */
  runNotes(): RunNotes;
  secretStore(): SecretStore;
  settingsStore(): SettingsStore;
  auditLog(): AuditLog;
  serviceMetricsStore(): ServiceMetricsStore;
  secretVault(): SecretVault;
  /**
   * Whether log lines are masked as they are served (AWS, where output goes straight to CloudWatch); locally they
   * are masked as they are stored.
   */
  readonly masksOnRead: boolean;
  /** Why this host cannot give a job's containers that network (null: it can). */
  networkRefusal(network: Network): string | null;
}

export interface SharedAdmission {
  store: AdmissionStore;
  tokens: TaskTokens;
  /** Read when admission first decides: a function that only shows queues has no launch rate. */
  launch: () => LaunchRate;
}

/** A factory that builds its value once, on first call. */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
