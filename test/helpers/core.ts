// The domain's services over DynamoDB Local, composed by the one composition root from a platform whose
// outside-world adapters are simple doubles that record what they are asked: the core services' own tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoSecretStore } from '../../functions/adapters/dynamodb/secret-store.ts';
import { DynamoServiceMetricsStore } from '../../functions/adapters/dynamodb/service-metrics-store.ts';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-store.ts';
import { DynamoSettingsStore } from '../../functions/adapters/dynamodb/settings-store.ts';
import { DynamoSecretCiphertexts } from '../../functions/adapters/dynamodb/secret-ciphertexts.ts';
import { LocalSecretVault } from '../../functions/adapters/local/secret-vault.ts';
import { EventEmitter } from 'node:events';
import { DynamoEventOutbox } from '../../functions/adapters/dynamodb/outbox.ts';
import { DynamoWebhookStore } from '../../functions/adapters/dynamodb/webhook-store.ts';
import { DynamoDeliveryStore } from '../../functions/adapters/dynamodb/delivery-store.ts';
import type { Resolve } from '../../functions/core/ports.ts';
import { DynamoIdempotency } from '../../functions/adapters/dynamodb/idempotency.ts';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store.ts';
import { DynamoKeyStore } from '../../functions/adapters/dynamodb/key-store.ts';
import { DynamoRunStore } from '../../functions/adapters/dynamodb/run-store.ts';
import type { DynamoTable } from '../../functions/adapters/dynamodb/table-client.ts';
import { once, type Platform } from '../../functions/composition/platform.ts';
import { composeServices, type Services } from '../../functions/composition/services.ts';
import type { JobRef } from '../../functions/core/jobs.ts';
import type {
  ExecutionRequest,
  LogLine,
  LogPage,
  LogQuery,
  LogSource,
  MetricSource,
  RunOrchestrator,
  ScheduleStore,
  StopOptions,
} from '../../functions/core/ports.ts';
import type { Run } from '../../functions/core/run-model.ts';
import { createLogger } from '../../functions/logger.ts';
import { afterAll, beforeAll } from 'vitest';
import { createTestTable } from './dynamodb.ts';

/** An orchestrator that runs nothing: it records starts and stops, and says what is running. */
export class RecordingOrchestrator implements RunOrchestrator {
  readonly runner = 'process' as const;
  readonly started: ExecutionRequest[] = [];
  readonly stopped: Array<{ run_id: string } & StopOptions> = [];
  readonly running = new Set<string>();
  executionId(runId: string): string {
    return `execution-of-${runId}`;
  }
  async start(request: ExecutionRequest): Promise<void> {
    this.started.push(request);
    this.running.add(this.executionId(request.run.run_id));
  }
  async stop(run: Run, options: StopOptions): Promise<void> {
    this.stopped.push({ run_id: run.id, ...options });
    this.running.delete(this.executionId(run.id));
  }
  async isRunning(executionId: string): Promise<boolean> {
    return this.running.has(executionId);
  }
}

export class RecordingSchedules implements ScheduleStore {
  readonly synced: string[] = [];
  readonly removed: string[] = [];
  async sync(job: { id: string }): Promise<void> {
    this.synced.push(job.id);
  }
  async remove(job: JobRef): Promise<void> {
    this.removed.push(job.job_id);
  }
}

/** Log lines kept in memory, answered oldest first; a cursor is the count of lines already returned. */
export class MemoryLogs implements LogSource {
  readonly lines: LogLine[] = [];
  readonly queries: LogQuery[] = [];
  readonly deleted: string[] = [];
  /** Runs whose output is still arriving. */
  readonly writing = new Set<string>();
  readonly #changes = new EventEmitter();
  push(line: LogLine): void {
    this.lines.push(line);
    this.#changes.emit('change');
  }
  /** How many lines one read may look at, as the local store's reads are bounded; unbounded when unset. */
  scanLimit: number | undefined;
  async query(query: LogQuery): Promise<LogPage> {
    this.queries.push(query);
    const lines = this.lines.filter((l) => !query.run_id || l.run_id === query.run_id);
    const from = Number(query.cursor ?? 0);
    if (query.filter !== undefined && this.scanLimit !== undefined) {
      const looked = lines.slice(from, from + this.scanLimit);
      const items = looked.filter((l) => l.message.includes(query.filter!)).slice(0, query.limit);
      const partial = from + looked.length < lines.length;
      return { items, cursor: String(from + looked.length), more: partial, partial };
    }
    const items = lines.slice(from, from + query.limit);
    return { items, cursor: String(from + items.length), more: from + items.length < lines.length };
  }
  changed(_job: JobRef, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      this.#changes.once('change', () => resolve());
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  settled(run: { id: string }): boolean {
    return !this.writing.has(run.id);
  }
  async deleteForJob(job: JobRef): Promise<void> {
    this.deleted.push(job.job_id);
  }
}

/** Where the core tests' vault keeps its key: a directory of their own. */
const vaultDir = (() => {
  let dir: string | undefined;
  return () => (dir ??= mkdtempSync(join(tmpdir(), 'jobs-core-vault-')));
})();

export interface CoreUnderTest {
  services: Services;
  orchestrator: RecordingOrchestrator;
  schedules: RecordingSchedules;
  logs: MemoryLogs;
  runStore: DynamoRunStore;
  /** The events the stores wrote beside their changes. */
  outbox: DynamoEventOutbox;
}

export function coreOver(
  table: DynamoTable,
  options: { adminKeyHash?: string; metrics?: MetricSource; allowPrivate?: boolean; resolve?: Resolve } = {},
): CoreUnderTest {
  const orchestrator = new RecordingOrchestrator();
  const schedules = new RecordingSchedules();
  const logs = new MemoryLogs();
  const runStore = new DynamoRunStore(table);
  const platform: Platform = {
    logger: createLogger('test'),
    version: 'test',
    pollMs: 50,
    queues: () => undefined,
    sharedAdmission: () => null,
    jobStore: once(() => new DynamoJobStore(table)),
    runStore: () => runStore,
    keyStore: once(() => new DynamoKeyStore(table)),
    idempotency: once(() => new DynamoIdempotency(table)),
    adminKeyHash: async () => options.adminKeyHash,
    orchestrator: () => orchestrator,
    logs: () => logs,
    metrics: () => options.metrics ?? { minPeriodSeconds: 1, query: async () => ({}) },
    schedules: () => schedules,
    taskDefinitions: () => null,
    jobHooks: () => [],
    runArtifacts: () => [],
    usage: () => undefined,
    signals: () => undefined,
    eventSinks: () => [],
    figures: () => null,
    runNotes: () => ({ note: async () => undefined }),
    webhookStore: once(() => new DynamoWebhookStore(table)),
    deliveryStore: once(() => new DynamoDeliveryStore(table)),
    secretStore: once(() => new DynamoSecretStore(table)),
    settingsStore: once(() => new DynamoSettingsStore(table)),
    serviceMetricsStore: once(() => new DynamoServiceMetricsStore(table)),
    auditLog: once(() => new DynamoAuditLog(table)),
    secretVault: once(() => new LocalSecretVault(new DynamoSecretCiphertexts(table), vaultDir())),
    masksOnRead: false,
    networkRefusal: () => null,
    delivery: () => ({
      send: async () => ({ error: 'the core tests deliver nothing' }),
      queue: { enqueue: async () => {} },
    }),
    destinations: () => ({
      allowPrivate: options.allowPrivate ?? true,
      resolve: options.resolve ?? (async () => ['127.0.0.1']),
    }),
    healthChecks: () => ({}),
  };
  return {
    services: composeServices(platform),
    orchestrator,
    schedules,
    logs,
    runStore,
    outbox: new DynamoEventOutbox(table),
  };
}

/** A test file's core: its own table on DynamoDB Local, made before its tests and dropped after them. */
export function useCore(label: string, options: Parameters<typeof coreOver>[1] = {}): { readonly core: CoreUnderTest } {
  let table: Awaited<ReturnType<typeof createTestTable>> | undefined;
  let core: CoreUnderTest | undefined;
  beforeAll(async () => {
    table = await createTestTable(label);
    core = coreOver(table, options);
  });
  afterAll(() => table?.drop());
  return {
    get core() {
      if (!core) throw new Error('the core is built before the tests run');
      return core;
    },
  };
}
