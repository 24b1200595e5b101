// AdmissionStore on DynamoDB. A workspace's admission lives in a partition of its own (PK = ADMISSION#<ws>): its
// waiting attempts (WAIT#<run>#<task>), its held slots (SLOT#<run>#<task>), the usage counters of the workspace
// (USE) and of each project (USE#<project>), and the lease of whoever decides (LEASE). A slot is taken in one
// transaction with the counters, each conditional on its limit, so no limit is ever passed however many decide at
// once; it is given back the same way, conditional on the slot, so it is never given back twice. The deployment's
// launch bucket and the list of workspaces with a queue live under PK = ADMISSION.
import {
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type GetItemCommandOutput,
  type TransactWriteItem,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AdmissionStore, HeldSlot, LaunchRate, QueuedAttempt } from '../../core/ports.ts';
import type { Limits } from '../../core/settings.ts';
import { queryAll } from './paginate.ts';
import { cancellationCodes, updateIfCondition } from './transactions.ts';
import type { DynamoTable } from './table-client.ts';

const partition = (workspaceId: string) => `ADMISSION#${workspaceId}`;
const GLOBAL = 'ADMISSION';
const taskKey = (runId: string, index: number) => `${runId}#${String(index).padStart(4, '0')}`;
const waitKey = (ref: { run_id: string; index: number }) => `WAIT#${taskKey(ref.run_id, ref.index)}`;
const slotKey = (ref: { run_id: string; index: number }) => `SLOT#${taskKey(ref.run_id, ref.index)}`;
const WORKSPACE_USE = 'USE';
const projectUse = (projectId: string) => `USE#${projectId}`;
const milli = (cpu: number) => Math.round(cpu * 1000);

/** The counter update of one scope, conditional on its limits where it has any. */
function useUpdate(table: string, pk: string, sk: string, limits: Limits | null, size: { cpu: number }, by: 1 | -1) {
  const conditions: string[] = [];
  const values: Record<string, unknown> = { ':one': by, ':cpu': by * milli(size.cpu) };
  if (limits?.running_tasks != null) {
    conditions.push('(attribute_not_exists(tasks) OR tasks < :tasks)');
    values[':tasks'] = limits.running_tasks;
  }
  if (limits?.cpu != null) {
    conditions.push('(attribute_not_exists(millicpu) OR millicpu <= :room)');
    values[':room'] = milli(limits.cpu) - milli(size.cpu);
  }
  return {
    Update: {
      TableName: table,
      Key: marshall({ PK: pk, SK: sk }),
      UpdateExpression: 'ADD tasks :one, millicpu :cpu',
      ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
      ExpressionAttributeValues: marshall(values),
    },
  } satisfies TransactWriteItem;
}

/** Whether a transaction was refused by a condition or a concurrent transaction (its writes did not happen). */
function refused(error: unknown): boolean {
  const codes = cancellationCodes(error);
  return !!codes?.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict');
}

export class DynamoAdmissionStore implements AdmissionStore {
  readonly #table: DynamoTable;

  constructor(table: DynamoTable) {
    this.#table = table;
  }

  /** Writes all or nothing: false when a condition (or a concurrent transaction) refused it. */
  async #transact(items: TransactWriteItem[]): Promise<boolean> {
    try {
      await this.#table.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (refused(error)) return false;
      throw error;
    }
  }

  #removal(pk: string, sk: string): TransactWriteItem {
    return {
      Delete: {
        TableName: this.#table.name,
        Key: marshall({ PK: pk, SK: sk }),
        ConditionExpression: 'attribute_exists(PK)',
      },
    };
  }

  async enqueue(attempt: QueuedAttempt): Promise<void> {
    const { name } = this.#table;
    await this.#table.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: name,
              Item: marshall({ PK: partition(attempt.workspace_id), SK: waitKey(attempt), kind: 'wait', ...attempt }),
            },
          },
          {
            Put: {
              TableName: name,
              Item: marshall({ PK: GLOBAL, SK: `WS#${attempt.workspace_id}`, workspace_id: attempt.workspace_id }),
            },
          },
        ],
      }),
    );
  }

  async state(workspaceId: string): Promise<{ waiting: QueuedAttempt[]; held: HeldSlot[] }> {
    const items = await queryAll(this.#table, {
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: marshall({ ':pk': partition(workspaceId) }),
      ConsistentRead: true,
    });
    const waiting: QueuedAttempt[] = [];
    const held: HeldSlot[] = [];
    for (const item of items) {
      const { PK: _pk, SK: _sk, kind, ...fields } = item;
      if (kind === 'wait') waiting.push(fields as unknown as QueuedAttempt);
      else if (kind === 'slot') held.push(fields as unknown as HeldSlot);
    }
    return { waiting, held };
  }

  async workspaces(): Promise<string[]> {
    const items = await queryAll(this.#table, {
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :ws)',
      ExpressionAttributeValues: marshall({ ':pk': GLOBAL, ':ws': 'WS#' }),
    });
    return items.map((item) => item.workspace_id as string);
  }

  async take(attempt: QueuedAttempt, limits: { project: Limits; workspace: Limits }, at: number): Promise<boolean> {
    const { name } = this.#table;
    const pk = partition(attempt.workspace_id);
    const slot: HeldSlot = {
      workspace_id: attempt.workspace_id,
      project_id: attempt.project_id,
      job_id: attempt.job_id,
      run_id: attempt.run_id,
      index: attempt.index,
      cpu: attempt.cpu,
      memory_mb: attempt.memory_mb,
      taken: at,
      relaunches: attempt.relaunch?.count ?? 0,
    };
    return this.#transact([
      this.#removal(pk, waitKey(attempt)),
      {
        Put: {
          TableName: name,
          Item: marshall({ PK: pk, SK: slotKey(attempt), kind: 'slot', ...slot }),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      useUpdate(name, pk, projectUse(attempt.project_id), limits.project, attempt, 1),
      useUpdate(name, pk, WORKSPACE_USE, limits.workspace, attempt, 1),
    ]);
  }

  async drop(attempt: Pick<QueuedAttempt, 'workspace_id' | 'run_id' | 'index'>): Promise<boolean> {
    return this.#transact([this.#removal(partition(attempt.workspace_id), waitKey(attempt))]);
  }

  async release(ref: Pick<HeldSlot, 'workspace_id' | 'run_id' | 'index'>): Promise<boolean> {
    const slot = await this.slot(ref);
    if (!slot) return false;
    const { name } = this.#table;
    const pk = partition(ref.workspace_id);
    return this.#transact([
      this.#removal(pk, slotKey(ref)),
      useUpdate(name, pk, projectUse(slot.project_id), null, slot, -1),
      useUpdate(name, pk, WORKSPACE_USE, null, slot, -1),
    ]);
  }

  async slot(ref: Pick<HeldSlot, 'workspace_id' | 'run_id' | 'index'>): Promise<HeldSlot | null> {
    const found = await this.#table.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.#table.name,
        Key: marshall({ PK: partition(ref.workspace_id), SK: slotKey(ref) }),
        ConsistentRead: true,
      }),
    );
    if (!found.Item) return null;
    const { PK: _pk, SK: _sk, kind: _kind, ...slot } = unmarshall(found.Item);
    return slot as HeldSlot;
  }

  async slotsOf(workspaceId: string, runId: string): Promise<HeldSlot[]> {
    const items = await queryAll(this.#table, {
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :slot)',
      ExpressionAttributeValues: marshall({ ':pk': partition(workspaceId), ':slot': `SLOT#${runId}#` }),
      ConsistentRead: true,
    });
    return items.map(({ PK: _pk, SK: _sk, kind: _kind, ...slot }) => slot as unknown as HeldSlot);
  }

  async poke(workspaceId: string): Promise<void> {
    await this.#table.send(
      new UpdateItemCommand({
        TableName: this.#table.name,
        Key: marshall({ PK: partition(workspaceId), SK: 'LEASE' }),
        UpdateExpression: 'ADD generation :one',
        ExpressionAttributeValues: marshall({ ':one': 1 }),
      }),
    );
  }

  async lease(workspaceId: string, holder: string, ms: number, now: number): Promise<{ generation: number } | null> {
    try {
      const output = await this.#table.send<UpdateItemCommandOutput>(
        new UpdateItemCommand({
          TableName: this.#table.name,
          Key: marshall({ PK: partition(workspaceId), SK: 'LEASE' }),
          UpdateExpression: 'SET holder = :me, expires = :expires',
          ConditionExpression: 'attribute_not_exists(holder) OR holder = :me OR expires < :now',
          ExpressionAttributeValues: marshall({ ':me': holder, ':expires': now + ms, ':now': now }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { generation: Number(unmarshall(output.Attributes ?? {}).generation ?? 0) };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return null;
      throw error;
    }
  }

  async unlease(
    workspaceId: string,
    holder: string,
    generation: number,
  ): Promise<{ released: true } | { generation: number }> {
    const key = marshall({ PK: partition(workspaceId), SK: 'LEASE' });
    const released = await updateIfCondition(this.#table, {
      TableName: this.#table.name,
      Key: key,
      UpdateExpression: 'REMOVE holder, expires',
      ConditionExpression:
        'holder = :me AND (generation = :generation OR (attribute_not_exists(generation) AND :generation = :zero))',
      ExpressionAttributeValues: marshall({ ':me': holder, ':generation': generation, ':zero': 0 }),
    });
    if (released) return { released: true };
    const output = await this.#table.send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.#table.name, Key: key, ConsistentRead: true }),
    );
    return { generation: Number(unmarshall(output.Item ?? {}).generation ?? 0) };
  }

  async launches(wanted: number, rate: LaunchRate, now: number): Promise<{ granted: number; nextInMs: number }> {
    const key = marshall({ PK: GLOBAL, SK: 'LAUNCH' });
    for (let tries = 0; tries < 10; tries++) {
      const output = await this.#table.send<GetItemCommandOutput>(
        new GetItemCommand({ TableName: this.#table.name, Key: key, ConsistentRead: true }),
      );
      const bucket = output.Item ? (unmarshall(output.Item) as { tokens: number; at: number }) : null;
      const elapsed = bucket ? Math.max(0, now - bucket.at) : 0;
      const tokens = Math.min(rate.burst, bucket ? bucket.tokens + (elapsed * rate.per_second) / 1000 : rate.burst);
      const granted = Math.min(wanted, Math.floor(tokens));
      const left = tokens - granted;
      const nextInMs = left >= 1 ? 0 : Math.ceil(((1 - left) * 1000) / rate.per_second);
      if (granted === 0) return { granted, nextInMs };
      const applied = bucket
        ? await updateIfCondition(this.#table, {
            TableName: this.#table.name,
            Key: key,
            UpdateExpression: 'SET tokens = :tokens, #at = :now',
            ConditionExpression: '#at = :before',
            ExpressionAttributeNames: { '#at': 'at' },
            ExpressionAttributeValues: marshall({
              ':tokens': left,
              ':now': Math.max(now, bucket.at),
              ':before': bucket.at,
            }),
          })
        : await this.#putFirst(left, now);
      if (applied) return { granted, nextInMs };
    }
    return { granted: 0, nextInMs: 50 };
  }

  async #putFirst(tokens: number, now: number): Promise<boolean> {
    try {
      await this.#table.send(
        new PutItemCommand({
          TableName: this.#table.name,
          Item: marshall({ PK: GLOBAL, SK: 'LAUNCH', tokens, at: now }),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
