// RunStore on DynamoDB. A run is one item in its job's partition (PK = JOB#<job>, SK = RUN#<run>), indexed by
// project (GSI1), workspace (GSI2) and, while it is active, in the sparse ACTIVE index (GSI3). The job item
// carries the run counters and the set of active run ids; every status change moves them in the same
// transaction as the run, and is conditional on the run's current status.
import { dayOf, durationBucket, isOutcome, type DayStats, type JobOutcomes } from '../../core/health.ts';
import type { AuditEntry } from '../../core/audit.ts';
import { auditPut } from './audit-store.ts';
import { DEFAULTS } from '../../core/job-spec.ts';
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  UpdateItemCommand,
  GetItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
  type GetItemCommandOutput,
  type QueryCommandOutput,
  type TransactWriteItem,
  type Update,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ConflictError, NotFoundError } from '../../core/errors.ts';
import { idPattern } from '../../core/ids.ts';
import type { ServiceEvent } from '../../core/events.ts';
import type { Job, JobRef } from '../../core/jobs.ts';
import {
  isActive,
  pendingTasks,
  RUN_FIELDS,
  TASK_FIELDS,
  unstartedTask,
  type Run,
  type RunCounts,
  type RunRef,
  type RunStatus,
  type RunTask,
} from '../../core/run-model.ts';
import type {
  OutcomeWrite,
  Page,
  PageRequest,
  ProjectRef,
  RunFilter,
  RunStore,
  TaskTransition,
} from '../../core/ports.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { eventPut } from './outbox.ts';
import { cancellationCodes, updateIfCondition } from './transactions.ts';
import { jobFromItem, revisionKey, revisionPut, ZERO_COUNTS } from './job-store.ts';
import { key } from './keys.ts';
import { queryPage } from './paginate.ts';
import { TABLE_SCHEMA } from './table.ts';
import type { DynamoTable } from './table-client.ts';

const RUN_ID = idPattern('run');
/** A run past its age is removed by the sweep; its TTL, this much later, removes it should no sweep run. */
const TTL_BACKSTOP_SECONDS = 24 * 60 * 60;
const JOB_ID = idPattern('job');
const { projectRuns, workspaceRuns, lookups: activeRuns } = TABLE_SCHEMA.indexes;

export function runFromItem(item: Record<string, unknown>): Run {
  const run = Object.fromEntries(RUN_FIELDS.map((field) => [field, item[field] ?? null])) as unknown as Run;
  // A run stored before runs had tasks is a run of one.
  if (!run.tasks) run.tasks = { ...pendingTasks(1), pending: 0, [run.status]: 1 };
  run.parallelism ??= 1;
  run.secrets ??= [];
  run.priority ??= DEFAULTS.priority;
  run.job_revision ??= null;
  run.caused_by ??= null;
  run.output ??= null;
  if (run.backend) run.backend.task_role ??= null;
  return run;
}

function taskFromItem(item: Record<string, unknown>): RunTask {
  return Object.fromEntries(TASK_FIELDS.map((field) => [field, item[field] ?? null])) as unknown as RunTask;
}

function taskKey(ref: { job_id: string; run_id: string }, index: number): Record<string, AttributeValue> {
  return marshall({ PK: key.job(ref.job_id), SK: key.task(ref.run_id, index) });
}

/** A run as its item: its own key and its index keys (the ACTIVE index only while it is active). */
export function runItem(run: Run): Record<string, unknown> {
  return {
    PK: key.job(run.job_id),
    SK: key.run(run.id),
    [projectRuns.partitionKey]: key.project(run),
    [projectRuns.sortKey]: key.run(run.id),
    [workspaceRuns.partitionKey]: key.workspace(run.workspace_id),
    [workspaceRuns.sortKey]: key.run(run.id),
    ...(isActive(run.status)
      ? { [activeRuns.partitionKey]: key.activeRuns, [activeRuns.sortKey]: key.run(run.id) }
      : {}),
    type: 'run',
    ...run,
  };
}

function runKey(run: { job_id: string; run_id: string }): Record<string, AttributeValue> {
  return marshall({ PK: key.job(run.job_id), SK: key.run(run.run_id) });
}

function jobRefOf(run: Run): JobRef {
  return { workspace_id: run.workspace_id, project_id: run.project_id, job_id: run.job_id };
}

function jobItemKey(ref: JobRef): Record<string, AttributeValue> {
  return marshall({ PK: key.project(ref), SK: key.job(ref.job_id) });
}

/** Filter expressions for the optional run filters; `status` is a reserved word, hence the names. */
interface Filters {
  FilterExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

function filterExpression(filter: RunFilter): Filters {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const parts: string[] = [];
  for (const field of ['status', 'job_id', 'trigger', 'project_id'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    names[`#f_${field}`] = field;
    values[`:f_${field}`] = { S: value };
    parts.push(`#f_${field} = :f_${field}`);
  }
  return parts.length === 0
    ? {}
    : { FilterExpression: parts.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

export class DynamoRunStore implements RunStore {
  readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async create(run: Run, options: { forbidActive: boolean; audit?: AuditEntry | undefined }): Promise<void> {
    const item = runItem(run);
    const ref: JobRef = { workspace_id: run.workspace_id, project_id: run.project_id, job_id: run.job_id };
    try {
      await this.table.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table.name,
                Item: marshall(item, { removeUndefinedValues: true }),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              Update: {
                TableName: this.table.name,
                Key: jobItemKey(ref),
                UpdateExpression: 'ADD #counts.#pending :one, #counts.#total :one, #active :ids',
                ConditionExpression: options.forbidActive
                  ? 'attribute_exists(PK) AND attribute_not_exists(#active)'
                  : 'attribute_exists(PK)',
                ExpressionAttributeNames: {
                  '#counts': 'counts',
                  '#pending': 'pending',
                  '#total': 'total',
                  '#active': 'active_runs',
                },
                ExpressionAttributeValues: { ':one': { N: '1' }, ':ids': { SS: [run.id] } },
              },
            },
            ...(options.audit ? [auditPut(this.table.name, options.audit)] : []),
          ],
        }),
      );
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes?.[0] === 'ConditionalCheckFailed') throw new ConflictError(`run ${run.id} already exists`, 'run_id');
      if (codes?.[1] === 'ConditionalCheckFailed') {
        const active = await this.activeRunIds(ref);
        if (!(await this.#jobExists(ref))) throw new NotFoundError('job', run.job_id);
        throw new ConflictError(
          `job ${run.job_id} already has an active run (${active.join(', ')}) and its concurrency is forbid`,
        );
      }
      throw error;
    }
  }

  async #jobItem(ref: JobRef, projection?: string): Promise<Record<string, unknown> | null> {
    const output = await this.table.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.table.name,
        Key: jobItemKey(ref),
        ConsistentRead: true,
        ...(projection ? { ProjectionExpression: projection } : {}),
      }),
    );
    return output.Item ? unmarshall(output.Item) : null;
  }

  async #jobExists(ref: JobRef): Promise<boolean> {
    return (await this.#jobItem(ref, 'PK')) !== null;
  }

  async get(ref: RunRef): Promise<Run | null> {
    const run = await this.findByJob(ref.job_id, ref.run_id);
    // The key alone names the run: make sure it is the caller's project.
    return run && run.workspace_id === ref.workspace_id && run.project_id === ref.project_id ? run : null;
  }

  async findByJob(jobId: string, runId: string): Promise<Run | null> {
    const output = await this.table.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.table.name,
        Key: runKey({ job_id: jobId, run_id: runId }),
        ConsistentRead: true,
      }),
    );
    return output.Item ? runFromItem(unmarshall(output.Item)) : null;
  }

  async findInProject(ref: ProjectRef, runId: string): Promise<Run | null> {
    const output = await this.table.send<QueryCommandOutput>(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: projectRuns.name,
        KeyConditionExpression: '#pk = :pk AND #sk = :sk',
        ExpressionAttributeNames: { '#pk': projectRuns.partitionKey, '#sk': projectRuns.sortKey },
        ExpressionAttributeValues: { ':pk': { S: key.project(ref) }, ':sk': { S: key.run(runId) } },
      }),
    );
    const item = output.Items?.[0];
    return item ? runFromItem(unmarshall(item)) : null;
  }

  async listForJob(ref: JobRef, filter: RunFilter, page: PageRequest): Promise<Page<Run>> {
    const after = page.cursor ? decodeCursor(page.cursor, ['run_id'], (v) => RUN_ID.test(v)).run_id : undefined;
    const filters = filterExpression({ status: filter.status, trigger: filter.trigger });
    return queryPage(this.table, {
      input: {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ...filters,
        ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK', ...filters.ExpressionAttributeNames },
        ExpressionAttributeValues: {
          ':pk': { S: key.job(ref.job_id) },
          ':prefix': { S: key.run('') },
          ...filters.ExpressionAttributeValues,
        },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      limit: page.limit,
      startKey: after ? runKey({ job_id: ref.job_id, run_id: after }) : undefined,
      map: runFromItem,
      cursorOf: (item) => encodeCursor({ run_id: String(item.SK).slice(key.run('').length) }),
    });
  }

  async listForProject(ref: ProjectRef, filter: RunFilter, page: PageRequest): Promise<Page<Run>> {
    return this.#listIndex(projectRuns, key.project(ref), { ...filter, project_id: undefined }, page);
  }

  async listForWorkspace(workspaceId: string, filter: RunFilter, page: PageRequest): Promise<Page<Run>> {
    return this.#listIndex(workspaceRuns, key.workspace(workspaceId), filter, page);
  }

  async listActive(page: PageRequest): Promise<Page<Run>> {
    return this.#listIndex(activeRuns, key.activeRuns, {}, page);
  }

  /** A page of an index whose sort key is RUN#<run id>; the cursor names the run and its job. */
  async #listIndex(
    index: { name: string; partitionKey: string; sortKey: string },
    partition: string,
    filter: RunFilter,
    page: PageRequest,
  ): Promise<Page<Run>> {
    const after = page.cursor
      ? decodeCursor(page.cursor, ['run_id', 'job_id'], (v) => RUN_ID.test(v) || JOB_ID.test(v))
      : undefined;
    const filters = filterExpression(filter);
    return queryPage(this.table, {
      input: {
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk',
        ...filters,
        ExpressionAttributeNames: { '#pk': index.partitionKey, ...filters.ExpressionAttributeNames },
        ExpressionAttributeValues: { ':pk': { S: partition }, ...filters.ExpressionAttributeValues },
        ScanIndexForward: false,
      },
      limit: page.limit,
      startKey:
        after &&
        marshall({
          PK: key.job(after.job_id),
          SK: key.run(after.run_id),
          [index.partitionKey]: partition,
          [index.sortKey]: key.run(after.run_id),
        }),
      map: runFromItem,
      cursorOf: (item) =>
        encodeCursor({
          run_id: String(item.SK).slice(key.run('').length),
          job_id: String(item.PK).slice(key.job('').length),
        }),
    });
  }

  async counts(ref: JobRef): Promise<RunCounts> {
    const item = await this.#jobItem(ref, 'counts');
    const { removed = 0, ...counts } = { ...ZERO_COUNTS, ...(item?.counts as Record<string, number> | undefined) };
    return { ...(counts as Omit<RunCounts, 'retained'>), retained: counts.total! - removed };
  }

  async oldest(ref: JobRef, limit: number): Promise<Run[]> {
    const output = await this.table.send<QueryCommandOutput>(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: marshall({ ':pk': key.job(ref.job_id), ':prefix': key.run('') }),
        ScanIndexForward: true,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (output.Items ?? []).map((item) => runFromItem(unmarshall(item)));
  }

  async setExpiry(ref: RunRef, at: Date, tasks = 1): Promise<void> {
    const ttl = Math.floor(at.getTime() / 1000) + TTL_BACKSTOP_SECONDS;
    try {
      await this.table.send(
        new UpdateItemCommand({
          TableName: this.table.name,
          Key: runKey(ref),
          // Listed under EXPIRES by its time (the age sweep's Query); its TTL, a day later, removes it should no
          // sweep run.
          UpdateExpression: 'SET #lpk = :expiring, #lsk = :at, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(PK) AND NOT (#status IN (:pending, :running))',
          ExpressionAttributeNames: {
            '#lpk': activeRuns.partitionKey,
            '#lsk': activeRuns.sortKey,
            '#ttl': TABLE_SCHEMA.timeToLiveAttribute,
            '#status': 'status',
          },
          ExpressionAttributeValues: marshall({
            ':expiring': key.expiring,
            ':at': `${at.toISOString()}#${ref.run_id}`,
            ':ttl': ttl,
            ':pending': 'pending',
            ':running': 'running',
          }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error; // removed, or active again: nothing to mark
      return;
    }
    // The TTL backstop takes the run's task records too (a run of one has none).
    if (tasks <= 1) return;
    for (const task of await this.tasks(ref, 0, tasks - 1)) {
      await updateIfCondition(this.table, {
        TableName: this.table.name,
        Key: taskKey(ref, task.index),
        UpdateExpression: 'SET #ttl = :ttl',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#ttl': TABLE_SCHEMA.timeToLiveAttribute },
        ExpressionAttributeValues: marshall({ ':ttl': ttl }),
      });
    }
  }

  async expired(now: Date, limit: number): Promise<Run[]> {
    const output = await this.table.send<QueryCommandOutput>(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: activeRuns.name,
        KeyConditionExpression: '#pk = :expiring AND #sk <= :now',
        ExpressionAttributeNames: { '#pk': activeRuns.partitionKey, '#sk': activeRuns.sortKey },
        ExpressionAttributeValues: marshall({ ':expiring': key.expiring, ':now': `${now.toISOString()}#~` }),
        Limit: limit,
      }),
    );
    return (output.Items ?? []).map((item) => runFromItem(unmarshall(item)));
  }

  async remove(ref: JobRef, runs: Run[]): Promise<Run[]> {
    const removed: Run[] = [];
    const finished = runs.filter((run) => !isActive(run.status));
    // 99 runs and the job's counter a transaction: a run is gone exactly when it is counted as removed.
    for (let i = 0; i < finished.length; i += 99) {
      const chunk = finished.slice(i, i + 99);
      const deletes: TransactWriteItem[] = chunk.map((run) => ({
        Delete: {
          TableName: this.table.name,
          Key: runKey({ job_id: run.job_id, run_id: run.id }),
          ConditionExpression: 'attribute_exists(PK) AND NOT (#status IN (:pending, :running))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({ ':pending': 'pending', ':running': 'running' }),
        },
      }));
      const counter: TransactWriteItem = {
        Update: {
          TableName: this.table.name,
          Key: jobItemKey(ref),
          UpdateExpression: 'ADD #counts.#removed :n',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#counts': 'counts', '#removed': 'removed' },
          ExpressionAttributeValues: marshall({ ':n': chunk.length }),
        },
      };
      if (await this.#transact([...deletes, counter])) {
        removed.push(...chunk);
        await this.#removeTasks(chunk);
      }
    }
    return removed;
  }

  async activeRunIds(ref: JobRef): Promise<string[]> {
    const item = await this.#jobItem(ref, 'active_runs');
    return [...((item?.active_runs as Set<string> | undefined) ?? [])].sort();
  }

  async transition(
    run: Run,
    from: RunStatus,
    changes: Partial<Run>,
    event?: ServiceEvent,
    audit?: AuditEntry,
    outcome?: OutcomeWrite,
  ): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':from': from };
    const sets: string[] = [];
    for (const [field, value] of Object.entries(changes)) {
      if (field === 'id' || value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    if (sets.length === 0) return (await this.get({ ...run, run_id: run.id }))?.status === from;
    const to = changes.status ?? from;
    const settling = isActive(from) && !isActive(to);
    // Task counts written whole (a settle's) hold only while no task moved since they were read.
    let condition = '#status = :from';
    if (changes.tasks) {
      Object.assign(names, { '#tp': 'pending', '#tr': 'running' });
      Object.assign(values, { ':tp': run.tasks.pending, ':tr': run.tasks.running });
      condition += ' AND (attribute_not_exists(#tasks) OR (#tasks.#tp = :tp AND #tasks.#tr = :tr))';
    }
    const update: Update = {
      TableName: this.table.name,
      Key: runKey({ job_id: run.job_id, run_id: run.id }),
      UpdateExpression: `SET ${sets.join(', ')}${settling ? ` REMOVE ${activeRuns.partitionKey}, ${activeRuns.sortKey}` : ''}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true, convertClassInstanceToMap: true }),
    };
    // Its event and its audit entry go in its transaction: the change and what tells of it exist together or not at all.
    const told: TransactWriteItem[] = [
      ...(event ? [eventPut(this.table.name, event)] : []),
      ...(audit ? [auditPut(this.table.name, audit)] : []),
    ];
    if (to === from) return told.length > 0 ? this.#transact([{ Update: update }, ...told]) : this.#updateRun(update);

    const counters = this.#jobCounters({ ...run, ...changes }, from, to, outcome);
    const alerts = outcome ? outcome.events.map((alert) => eventPut(this.table.name, alert)) : [];
    try {
      await this.table.send(
        new TransactWriteItemsCommand({ TransactItems: [{ Update: update }, ...counters, ...told, ...alerts] }),
      );
      return true;
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes?.[0] === 'ConditionalCheckFailed') return false;
      if (codes?.[1] === 'ConditionalCheckFailed') {
        // Another settle moved the job's failures in a row (or its revision) since they were read: read again.
        if (outcome && (await this.#jobExists(jobRefOf(run)))) return false;
        // The job is gone (deleted while the run ended): the run still settles, there is nothing left to count.
        return told.length > 0 ? this.#transact([{ Update: update }, ...told]) : this.#updateRun(update);
      }
      if (outcome && codes?.some((code) => code === 'TransactionConflict')) return false;
      throw error;
    }
  }

  async alertState(ref: JobRef): Promise<{ job: Job; consecutive_failures: number } | null> {
    const item = await this.#jobItem(ref);
    return item ? { job: jobFromItem(item), consecutive_failures: Number(item.consecutive_failures ?? 0) } : null;
  }

  async recordSlow(run: Run, event: ServiceEvent): Promise<boolean> {
    return this.#transact([
      {
        Update: {
          TableName: this.table.name,
          Key: runKey({ job_id: run.job_id, run_id: run.id }),
          UpdateExpression: 'SET #told = :at',
          ConditionExpression: '#status = :running AND attribute_not_exists(#told)',
          ExpressionAttributeNames: { '#told': 'slow_told_at', '#status': 'status' },
          ExpressionAttributeValues: marshall({ ':at': event.timestamp, ':running': 'running' }),
        },
      },
      eventPut(this.table.name, event),
    ]);
  }

  /**
   * The job's run counters moved from one status to another (and, for a settle, the run off its active set); a
   * settle also keeps the job's outcomes (its last success or failure, the failures in a row) and adds the run to
   * its day's aggregates (see health.ts). The job item's update comes first: its condition tells a job that is gone.
   * `run` is the run as it is once changed.
   */
  #jobCounters(run: Run, from: RunStatus, to: RunStatus, alerting?: OutcomeWrite): TransactWriteItem[] {
    const settling = isActive(from) && !isActive(to);
    const outcome = settling && isOutcome(to) && run.finished_at !== null;
    const adds = ['#counts.#from :down', '#counts.#to :up'];
    const sets: string[] = [];
    const names: Record<string, string> = { '#counts': 'counts', '#from': from, '#to': to };
    const values: Record<string, AttributeValue> = { ':down': { N: '-1' }, ':up': { N: '1' } };
    let condition = 'attribute_exists(PK)';
    const pausing: TransactWriteItem[] = [];
    if (outcome && alerting) {
      // The alerts were decided from the failures in a row as read: they hold only while those are unchanged.
      names['#streak'] = 'consecutive_failures';
      values[':before'] = { N: String(alerting.streak) };
      condition +=
        alerting.streak === 0 ? ' AND (attribute_not_exists(#streak) OR #streak = :before)' : ' AND #streak = :before';
      if (alerting.pause) {
        const { reason, revision, keep } = alerting.pause;
        Object.assign(names, { '#suspended': 'suspended', '#reason': 'suspended_reason', '#version': 'version' });
        Object.assign(names, { '#updated_at': 'updated_at' });
        Object.assign(values, {
          ':true': { BOOL: true },
          ':reason': { S: reason },
          ':version': { N: String(revision.revision - 1) },
          ':revision': { N: String(revision.revision) },
          ':updated_at': { S: revision.created_at },
        });
        sets.push('#suspended = :true', '#reason = :reason', '#version = :revision', '#updated_at = :updated_at');
        condition += ' AND #version = :version';
        const ref = jobRefOf(run);
        pausing.push(revisionPut(this.table.name, ref, revision));
        if (revision.revision - keep >= 1)
          pausing.push({ Delete: { TableName: this.table.name, Key: revisionKey(ref, revision.revision - keep) } });
      }
    }
    if (outcome) {
      names['#streak'] = 'consecutive_failures';
      values[':at'] = { S: run.finished_at! };
      if (to === 'succeeded') {
        names['#last'] = 'last_success_at';
        values[':zero'] = { N: '0' };
        sets.push('#last = :at', '#streak = :zero');
      } else {
        names['#last'] = 'last_failure_at';
        sets.push('#last = :at');
        adds.push('#streak :up');
      }
    }
    if (settling) {
      names['#active'] = 'active_runs';
      values[':ids'] = { SS: [run.id] };
    }
    const job: TransactWriteItem = {
      Update: {
        TableName: this.table.name,
        Key: jobItemKey({ workspace_id: run.workspace_id, project_id: run.project_id, job_id: run.job_id }),
        UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(', ')} ` : ''}ADD ${adds.join(', ')}${settling ? ' DELETE #active :ids' : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
    if (!settling || run.finished_at === null) return [job];
    // The day's aggregates: its runs by how they ended and, for an outcome, the bucket of its duration.
    const dayNames: Record<string, string> = { '#to': to, '#type': 'type' };
    const dayAdds = ['#to :one'];
    if (outcome && run.duration_ms !== null) {
      const bucket = `d${durationBucket(run.duration_ms)}`;
      dayNames[`#${bucket}`] = bucket;
      dayAdds.push(`#${bucket} :one`);
    }
    const day: TransactWriteItem = {
      Update: {
        TableName: this.table.name,
        Key: marshall({ PK: key.job(run.job_id), SK: key.dayStats(dayOf(run.finished_at)) }),
        UpdateExpression: `SET #type = :stats ADD ${dayAdds.join(', ')}`,
        ExpressionAttributeNames: dayNames,
        ExpressionAttributeValues: { ':one': { N: '1' }, ':stats': { S: 'stats' } },
      },
    };
    return [job, day, ...pausing];
  }

  async health(ref: JobRef, fromDay: string): Promise<{ days: DayStats[]; outcomes: JobOutcomes }> {
    const [item, output] = await Promise.all([
      this.#jobItem(ref, 'last_success_at, last_failure_at, consecutive_failures'),
      this.table.send<QueryCommandOutput>(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: marshall({
            ':pk': key.job(ref.job_id),
            ':from': key.dayStats(fromDay),
            ':to': key.dayStats('9999-12-31'),
          }),
          ConsistentRead: true,
        }),
      ),
    ]);
    const days = (output.Items ?? []).map((raw) => {
      const stats = unmarshall(raw);
      const durations: Record<number, number> = {};
      for (const [name, value] of Object.entries(stats))
        if (/^d\d+$/.test(name)) durations[Number(name.slice(1))] = Number(value);
      return {
        day: String(stats.SK).slice(key.dayStats('').length),
        succeeded: Number(stats.succeeded ?? 0),
        failed: Number(stats.failed ?? 0),
        cancelled: Number(stats.cancelled ?? 0),
        durations,
      };
    });
    return {
      days,
      outcomes: {
        last_success_at: (item?.last_success_at as string | undefined) ?? null,
        last_failure_at: (item?.last_failure_at as string | undefined) ?? null,
        consecutive_failures: Number(item?.consecutive_failures ?? 0),
      },
    };
  }

  async transitionTask(change: TaskTransition): Promise<boolean> {
    const { run, index, task, changes, runChanges, counts, event } = change;
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':from': run.status };
    const sets: string[] = [];
    for (const [field, value] of Object.entries(runChanges)) {
      if (field === 'id' || field === 'tasks' || value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    for (const [status, by] of Object.entries(counts)) {
      if (!by) continue;
      Object.assign(names, { '#tasks': 'tasks', [`#t_${status}`]: status });
      values[`:t_${status}`] = by;
      sets.push(`#tasks.#t_${status} = #tasks.#t_${status} + :t_${status}`);
    }
    // The run's attempt is its tasks' highest: it only goes up.
    const condition = `#status = :from${runChanges.attempt !== undefined ? ' AND #attempt < :attempt' : ''}`;
    const runKeyOf = runKey({ job_id: run.job_id, run_id: run.id });
    const items: TransactWriteItem[] = [
      sets.length > 0
        ? {
            Update: {
              TableName: this.table.name,
              Key: runKeyOf,
              UpdateExpression: `SET ${sets.join(', ')}`,
              ConditionExpression: condition,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: marshall(values, {
                removeUndefinedValues: true,
                convertClassInstanceToMap: true,
              }),
            },
          }
        : {
            ConditionCheck: {
              TableName: this.table.name,
              Key: runKeyOf,
              ConditionExpression: '#status = :from',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: marshall({ ':from': run.status }),
            },
          },
    ];
    if (run.tasks.count > 1)
      items.push({ Update: this.#taskUpdate({ job_id: run.job_id, run_id: run.id }, index, task, changes) });
    const to = runChanges.status ?? run.status;
    const counted = to !== run.status ? this.#jobCounters({ ...run, ...runChanges }, run.status, to) : [];
    const told: TransactWriteItem[] = event ? [eventPut(this.table.name, event)] : [];
    try {
      await this.table.send(new TransactWriteItemsCommand({ TransactItems: [...items, ...counted, ...told] }));
      return true;
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      // The job is gone: the run and its task still move, there is nothing left to count.
      if (
        counted.length > 0 &&
        codes[items.length] === 'ConditionalCheckFailed' &&
        codes.slice(0, items.length).every((c) => c === 'None')
      ) {
        return this.#transact([...items, ...told]);
      }
      // Changed meanwhile (a condition), or written by another at the same moment (a conflict): read again.
      if (codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) return false;
      throw error;
    }
  }

  /** A task's record changed only while it is as it was read; the first change of a task creates its record. */
  #taskUpdate(
    ref: { job_id: string; run_id: string },
    index: number,
    read: RunTask | null,
    changes: Partial<RunTask>,
  ): Update {
    const fields: Record<string, unknown> = read
      ? { ...changes }
      : { ...unstartedTask(index), ...changes, run_id: ref.run_id, type: 'task' };
    const names: Record<string, string> = { '#status': 'status', '#attempt': 'attempt' };
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    let condition = 'attribute_not_exists(PK)';
    if (read) {
      condition = '#status = :read_status AND #attempt = :read_attempt';
      Object.assign(values, { ':read_status': read.status, ':read_attempt': read.attempt });
    }
    return {
      TableName: this.table.name,
      Key: taskKey(ref, index),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
    };
  }

  async tasks(ref: RunRef, from: number, to: number): Promise<RunTask[]> {
    if (to < from) return [];
    const tasks: RunTask[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await this.table.send<QueryCommandOutput>(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: marshall({
            ':pk': key.job(ref.job_id),
            ':from': key.task(ref.run_id, from),
            ':to': key.task(ref.run_id, to),
          }),
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      tasks.push(...(output.Items ?? []).map((item) => taskFromItem(unmarshall(item))));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return tasks;
  }

  async task(ref: RunRef, index: number): Promise<RunTask | null> {
    const output = await this.table.send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.table.name, Key: taskKey(ref, index), ConsistentRead: true }),
    );
    return output.Item ? taskFromItem(unmarshall(output.Item)) : null;
  }

  async recordTaskEnd(
    ref: RunRef,
    index: number,
    task: string,
    end: Pick<RunTask, 'status' | 'exit_code' | 'finished_at'>,
  ): Promise<boolean> {
    return this.#updateRun({
      TableName: this.table.name,
      Key: taskKey(ref, index),
      UpdateExpression: 'SET #status = :status, #exit = :exit, #finished = :finished',
      // A finished task changes no further, but for its exit status while it is unknown.
      ConditionExpression: '#task = :task AND (#status IN (:pending, :running) OR attribute_type(#exit, :null))',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#exit': 'exit_code',
        '#finished': 'finished_at',
        '#task': 'task',
      },
      ExpressionAttributeValues: marshall({
        ':status': end.status,
        ':exit': end.exit_code,
        ':finished': end.finished_at,
        ':task': task,
        ':pending': 'pending',
        ':running': 'running',
        ':null': 'NULL',
      }),
    });
  }

  /** Removes the task records of runs of several tasks (runs of one have none). */
  async #removeTasks(runs: Run[]): Promise<void> {
    for (const run of runs) {
      if (run.tasks.count <= 1) continue;
      const tasks = await this.tasks({ ...run, run_id: run.id }, 0, run.tasks.count - 1);
      await this.#batchDelete(tasks.map((task) => taskKey({ job_id: run.job_id, run_id: run.id }, task.index)));
    }
  }

  /** The run's update with its event: false when the run was no longer in the status the update expects. */
  async #transact(items: TransactWriteItem[]): Promise<boolean> {
    try {
      await this.table.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async recordExitCode(ref: RunRef, task: string, exitCode: number): Promise<boolean> {
    return this.#updateRun({
      TableName: this.table.name,
      Key: runKey(ref),
      UpdateExpression: 'SET #exit = :exit',
      // A finished run changes no further, but for this one field while it is unknown.
      ConditionExpression:
        '#status IN (:failed, :cancelled) AND attribute_type(#exit, :null) AND #backend.#task = :task AND #project = :project',
      ExpressionAttributeNames: {
        '#exit': 'exit_code',
        '#status': 'status',
        '#backend': 'backend',
        '#task': 'task',
        '#project': 'project_id',
      },
      ExpressionAttributeValues: marshall({
        ':exit': exitCode,
        ':failed': 'failed',
        ':cancelled': 'cancelled',
        ':null': 'NULL',
        ':task': task,
        ':project': ref.project_id,
      }),
    });
  }

  #updateRun(update: Update): Promise<boolean> {
    return updateIfCondition(this.table, update);
  }

  async deleteAllForJob(ref: JobRef): Promise<Run[]> {
    const active: Run[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await this.table.send<QueryCommandOutput>(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': { S: key.job(ref.job_id) } },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      const items = (output.Items ?? []).map((item) => unmarshall(item));
      for (const item of items)
        if (item.type === 'run' && isActive(item.status as RunStatus)) active.push(runFromItem(item));
      await this.#batchDelete(items.map((item) => marshall({ PK: item.PK, SK: item.SK })));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return active;
  }

  async #batchDelete(keys: Array<Record<string, AttributeValue>>): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let requests = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        const output = await this.table.send<{ UnprocessedItems?: Record<string, typeof requests> }>(
          new BatchWriteItemCommand({ RequestItems: { [this.table.name]: requests } }),
        );
        requests = output.UnprocessedItems?.[this.table.name] ?? [];
        if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      }
    }
  }
}
