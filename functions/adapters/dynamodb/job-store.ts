// JobStore on DynamoDB. A job is one item (PK = project, SK = JOB#<id>); its name is a second item in the same
// partition (SK = NAME#<name>) written in the same transaction, which is what makes names unique per project.
// Each revision of its spec is an item in the job's own partition (PK = JOB#<id>, SK = REV#<n>), written in the
// transaction that makes it, so there is no change without its revision; it goes with the job's runs when the
// job is deleted. The job item's `version` is its revision.
import {
  GetItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  ConditionalCheckFailedException,
  type AttributeValue,
  type GetItemCommandOutput,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import { idPattern } from '../../core/ids.ts';
import { buildJob, JOB_SPEC_FIELDS, type Job, type JobSpec } from '../../core/jobs.ts';
import { specOf, type JobRevision } from '../../core/revisions.ts';
import type { AuditEntry } from '../../core/audit.ts';
import { auditPut } from './audit-store.ts';
import type {
  JobListFilter,
  JobStore,
  Page,
  PageRequest,
  ProjectRef,
  ScheduleState,
  StoredJob,
} from '../../core/ports.ts';
import type { ServiceEvent } from '../../core/events.ts';
import type { JobRef } from '../../core/jobs.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { eventPut } from './outbox.ts';
import { cancellationCodes } from './transactions.ts';
import { key } from './keys.ts';
import { queryPage } from './paginate.ts';
import { TABLE_SCHEMA } from './table.ts';
import type { DynamoTable } from './table-client.ts';

const { lookups } = TABLE_SCHEMA.indexes;

/** A scheduled job is listed in the sparse lookup index, so the local scheduler can load it without a Scan. */
function scheduledLookup(job: Job): Record<string, string> {
  return job.schedule === null ? {} : { [lookups.partitionKey]: key.scheduledJobs, [lookups.sortKey]: key.job(job.id) };
}

const JOB_ID = idPattern('job');

/** Run counters live on the job item; run transitions ADD to them (see run-store.ts). */
export const ZERO_COUNTS = { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, total: 0 };

function jobKey(ref: ProjectRef, jobId: string): Record<string, AttributeValue> {
  return marshall({ PK: key.project(ref), SK: key.job(jobId) });
}

function nameGuardPut(tableName: string, job: Job): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: marshall({ PK: key.project(job), SK: key.jobName(job.name), type: 'job-name', job_id: job.id }),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

export function jobFromItem(item: Record<string, unknown>): Job {
  const job = item as unknown as Job;
  return buildJob(job, job.id, job, job.created_at, job.updated_at, (item.version as number | undefined) ?? 1);
}

export function revisionKey(ref: JobRef, revision: number): Record<string, AttributeValue> {
  return marshall({ PK: key.job(ref.job_id), SK: key.revision(revision) });
}

export function revisionPut(tableName: string, ref: JobRef, revision: JobRevision): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: marshall(
        { PK: key.job(ref.job_id), SK: key.revision(revision.revision), type: 'revision', ...revision },
        {
          removeUndefinedValues: true,
        },
      ),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

function revisionFromItem(item: Record<string, unknown>): JobRevision {
  return {
    revision: item.revision as number,
    created_at: item.created_at as string,
    actor: item.actor as JobRevision['actor'],
    // A revision made before a field existed reads with that field's default.
    spec: specOf({
      ...(item.spec as JobSpec),
      alerts: (item.spec as Partial<JobSpec>).alerts ?? {},
      run_after: (item.spec as Partial<JobSpec>).run_after ?? [],
    }),
  };
}

function nameTaken(job: Job): ConflictError {
  return new ConflictError(`a job named '${job.name}' already exists in this project`, 'name');
}

export class DynamoJobStore implements JobStore {
  readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async create(job: Job, revision?: JobRevision, audit?: AuditEntry): Promise<void> {
    const jobPut: TransactWriteItem = {
      Put: {
        TableName: this.table.name,
        Item: marshall(
          {
            PK: key.project(job),
            SK: key.job(job.id),
            type: 'job',
            version: 1,
            counts: ZERO_COUNTS,
            ...scheduledLookup(job),
            ...job,
          },
          { removeUndefinedValues: true },
        ),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
    const guard = nameGuardPut(this.table.name, job);
    const first = revision ? [revisionPut(this.table.name, { ...job, job_id: job.id }, revision)] : [];
    if (audit) first.push(auditPut(this.table.name, audit));
    try {
      await this.table.send(new TransactWriteItemsCommand({ TransactItems: [jobPut, guard, ...first] }));
    } catch (error) {
      if (cancellationCodes(error)?.[1] === 'ConditionalCheckFailed') throw nameTaken(job);
      throw error;
    }
  }

  async get(ref: ProjectRef, jobId: string): Promise<StoredJob | null> {
    const output = await this.table.send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.table.name, Key: jobKey(ref, jobId), ConsistentRead: true }),
    );
    if (!output.Item) return null;
    const item = unmarshall(output.Item);
    return { job: jobFromItem(item), version: item.version as number };
  }

  async list(ref: ProjectRef, filter: JobListFilter, page: PageRequest): Promise<Page<Job>> {
    const names: Record<string, string> = { '#pk': 'PK', '#sk': 'SK' };
    const values: Record<string, AttributeValue> = { ':pk': { S: key.project(ref) }, ':prefix': { S: key.job('') } };
    const conditions: string[] = [];
    filter.tags.forEach(([tagKey, tagValue], i) => {
      names['#tags'] = 'tags';
      names[`#t${i}`] = tagKey;
      values[`:t${i}`] = { S: tagValue };
      conditions.push(`#tags.#t${i} = :t${i}`);
    });
    if (filter.scheduled !== undefined) {
      names['#schedule'] = 'schedule';
      values[':string'] = { S: 'S' };
      conditions.push(`${filter.scheduled ? '' : 'NOT '}attribute_type(#schedule, :string)`);
    }
    const after = page.cursor ? decodeCursor(page.cursor, ['job_id'], (v) => JOB_ID.test(v)).job_id : undefined;
    return queryPage(this.table, {
      input: {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        FilterExpression: conditions.length > 0 ? conditions.join(' AND ') : undefined,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      limit: page.limit,
      startKey: after ? jobKey(ref, after) : undefined,
      map: jobFromItem,
      cursorOf: (item) => encodeCursor({ job_id: String(item.SK).slice(key.job('').length) }),
    });
  }

  async update(
    job: Job,
    expectedVersion: number,
    previousName: string,
    revision: JobRevision,
    keep: number,
    audit?: AuditEntry,
  ): Promise<boolean> {
    // SET only the spec: the job item also carries run counters that other writers ADD to.
    const names: Record<string, string> = { '#version': 'version', '#updated_at': 'updated_at' };
    const values: Record<string, unknown> = { ':expected': expectedVersion, ':one': 1, ':updated_at': job.updated_at };
    const sets = ['#updated_at = :updated_at', '#version = #version + :one'];
    for (const field of JOB_SPEC_FIELDS) {
      names[`#${field}`] = field;
      values[`:${field}`] = job[field];
      sets.push(`#${field} = :${field}`);
    }
    names['#lpk'] = lookups.partitionKey;
    names['#lsk'] = lookups.sortKey;
    const removed: string[] = [];
    // A job resumed no longer says why it was paused.
    if (!job.suspended) {
      names['#reason'] = 'suspended_reason';
      removed.push('#reason');
    }
    if (job.schedule === null) removed.push('#lpk', '#lsk');
    else {
      values[':lpk'] = key.scheduledJobs;
      values[':lsk'] = key.job(job.id);
      sets.push('#lpk = :lpk', '#lsk = :lsk');
    }
    const update = {
      TableName: this.table.name,
      Key: jobKey(job, job.id),
      UpdateExpression: `SET ${sets.join(', ')}${removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : ''}`,
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
    };
    const ref = { ...job, job_id: job.id };
    // The revision written, and the oldest one kept no longer (a Delete of a missing item is no error).
    const revisions: TransactWriteItem[] = [revisionPut(this.table.name, ref, revision)];
    if (revision.revision - keep >= 1)
      revisions.push({ Delete: { TableName: this.table.name, Key: revisionKey(ref, revision.revision - keep) } });
    if (audit) revisions.push(auditPut(this.table.name, audit));
    const rename: TransactWriteItem[] =
      job.name === previousName
        ? []
        : [
            {
              Delete: {
                TableName: this.table.name,
                Key: marshall({ PK: key.project(job), SK: key.jobName(previousName) }),
                ConditionExpression: 'job_id = :id',
                ExpressionAttributeValues: marshall({ ':id': job.id }),
              },
            },
            nameGuardPut(this.table.name, job),
          ];
    try {
      await this.table.send(
        new TransactWriteItemsCommand({ TransactItems: [{ Update: update }, ...revisions, ...rename] }),
      );
      return true;
    } catch (error) {
      const codes = cancellationCodes(error);
      // The job changed meanwhile (its version, or its revision's item made by the writer that got there first).
      if (codes?.[0] === 'ConditionalCheckFailed' || codes?.[1] === 'ConditionalCheckFailed') return false;
      const named = codes?.slice(1 + revisions.length) ?? [];
      if (named[0] === 'ConditionalCheckFailed') return false;
      if (named[1] === 'ConditionalCheckFailed') throw nameTaken(job);
      throw error;
    }
  }

  async revisions(ref: JobRef, page: PageRequest): Promise<Page<JobRevision>> {
    const after = page.cursor
      ? Number(decodeCursor(page.cursor, ['revision'], (v) => /^\d+$/.test(v)).revision)
      : undefined;
    return queryPage(this.table, {
      input: {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
        ExpressionAttributeValues: { ':pk': { S: key.job(ref.job_id) }, ':prefix': { S: key.revisions } },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      limit: page.limit,
      startKey: after ? revisionKey(ref, after) : undefined,
      map: revisionFromItem,
      cursorOf: (item) => encodeCursor({ revision: String(item.revision) }),
    });
  }

  async revision(ref: JobRef, revision: number): Promise<JobRevision | null> {
    const output = await this.table.send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.table.name, Key: revisionKey(ref, revision), ConsistentRead: true }),
    );
    if (!output.Item) return null;
    const item = unmarshall(output.Item);
    // A revision left of a job deleted and made again under the same id cannot be: ids are never reused.
    return item.type === 'revision' ? revisionFromItem(item) : null;
  }

  async listScheduled(page: PageRequest): Promise<Page<Job>> {
    const after = page.cursor
      ? decodeCursor(page.cursor, ['job_id', 'workspace_id', 'project_id'], () => true)
      : undefined;
    return queryPage(this.table, {
      input: {
        IndexName: lookups.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': lookups.partitionKey },
        ExpressionAttributeValues: { ':pk': { S: key.scheduledJobs } },
      },
      limit: page.limit,
      startKey: after && {
        ...jobKey(after, after.job_id),
        ...marshall({ [lookups.partitionKey]: key.scheduledJobs, [lookups.sortKey]: key.job(after.job_id) }),
      },
      map: jobFromItem,
      cursorOf: (item) =>
        encodeCursor({
          job_id: String(item.id ?? String(item.SK).slice(4)),
          workspace_id: String(item.workspace_id),
          project_id: String(item.project_id),
        }),
    });
  }

  async recordScheduleEvent(
    ref: JobRef,
    event: 'fired' | 'skipped',
    scheduledFor: Date,
    outboxEvent?: ServiceEvent,
  ): Promise<void> {
    const attribute = event === 'fired' ? 'last_fired_at' : 'last_skipped_at';
    const update = {
      TableName: this.table.name,
      Key: jobKey(ref, ref.job_id),
      // A late delivery of an older fire never moves the record backwards (and tells of it no second time).
      UpdateExpression: 'SET #at = :at',
      ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(#at) OR #at < :at)',
      ExpressionAttributeNames: { '#at': attribute },
      ExpressionAttributeValues: marshall({ ':at': scheduledFor.toISOString() }),
    };
    try {
      if (outboxEvent)
        await this.table.send(
          new TransactWriteItemsCommand({
            TransactItems: [{ Update: update }, eventPut(this.table.name, outboxEvent)],
          }),
        );
      else await this.table.send(new UpdateItemCommand(update));
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        cancellationCodes(error)?.[0] === 'ConditionalCheckFailed'
      )
        return;
      throw error;
    }
  }

  async scheduleState(ref: JobRef): Promise<ScheduleState> {
    const output = await this.table.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.table.name,
        Key: jobKey(ref, ref.job_id),
        ProjectionExpression: 'last_fired_at, last_skipped_at, suspended_reason, last_missed_at',
        ConsistentRead: true,
      }),
    );
    const item = output.Item ? unmarshall(output.Item) : {};
    return {
      last_fired_at: (item.last_fired_at as string | undefined) ?? null,
      last_skipped_at: (item.last_skipped_at as string | undefined) ?? null,
      suspended_reason: (item.suspended_reason as string | undefined) ?? null,
      last_missed_at: (item.last_missed_at as string | undefined) ?? null,
    };
  }

  async recordMissedFire(ref: JobRef, scheduledFor: Date, event: ServiceEvent): Promise<boolean> {
    try {
      await this.table.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table.name,
                Key: jobKey(ref, ref.job_id),
                UpdateExpression: 'SET #at = :at',
                ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(#at) OR #at < :at)',
                ExpressionAttributeNames: { '#at': 'last_missed_at' },
                ExpressionAttributeValues: marshall({ ':at': scheduledFor.toISOString() }),
              },
            },
            eventPut(this.table.name, event),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async delete(ref: ProjectRef, jobId: string, name: string, audit?: AuditEntry): Promise<boolean> {
    try {
      await this.table.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.table.name,
                Key: jobKey(ref, jobId),
                ConditionExpression: 'attribute_exists(PK)',
              },
            },
            {
              Delete: {
                TableName: this.table.name,
                Key: marshall({ PK: key.project(ref), SK: key.jobName(name) }),
                ConditionExpression: 'job_id = :id',
                ExpressionAttributeValues: marshall({ ':id': jobId }),
              },
            },
            ...(audit ? [auditPut(this.table.name, audit)] : []),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.some((code) => code === 'ConditionalCheckFailed')) return false;
      throw error;
    }
  }
}
