// SettingsStore on DynamoDB: a workspace's settings are one item in the workspace's partition, a project's one
// in the project's (SK = SETTINGS), each replaced whole by a PUT.
import type { AuditEntry } from '../../core/audit.ts';
import { sendWithAudit } from './audit-store.ts';
import { GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ProjectRef, SettingsStore } from '../../core/ports.ts';
import type { ProjectSettings, WorkspaceSettings } from '../../core/settings.ts';
import { key } from './keys.ts';
import type { DynamoTable } from './table-client.ts';

export class DynamoSettingsStore implements SettingsStore {
  readonly #table: DynamoTable;

  constructor(table: DynamoTable) {
    this.#table = table;
  }

  async #get<T>(pk: string): Promise<T | null> {
    const output = await this.#table.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.#table.name,
        Key: marshall({ PK: pk, SK: key.settings }),
        ConsistentRead: true,
      }),
    );
    return output.Item ? (unmarshall(output.Item).settings as T) : null;
  }

  async #put(pk: string, settings: object, audit?: AuditEntry): Promise<void> {
    const Item = marshall({ PK: pk, SK: key.settings, type: 'settings', settings }, { removeUndefinedValues: true });
    await sendWithAudit(this.#table, { Put: { TableName: this.#table.name, Item } }, audit);
  }

  workspace(workspaceId: string): Promise<WorkspaceSettings | null> {
    return this.#get(key.workspace(workspaceId));
  }
  putWorkspace(workspaceId: string, settings: WorkspaceSettings, audit?: AuditEntry): Promise<void> {
    return this.#put(key.workspace(workspaceId), settings, audit);
  }
  project(ref: ProjectRef): Promise<ProjectSettings | null> {
    return this.#get(key.project(ref));
  }
  putProject(ref: ProjectRef, settings: ProjectSettings, audit?: AuditEntry): Promise<void> {
    return this.#put(key.project(ref), settings, audit);
  }
}
