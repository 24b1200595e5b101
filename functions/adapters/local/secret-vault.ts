// The local vault: each secret value encrypted with AES-256-GCM under a key of this data directory
// (<data dir>/secrets.key, 32 random bytes, mode 0600, made on first use) and stored as ciphertext in the table
// (SK = SECRETVALUE#<name>). The secret's workspace, project and name are the cipher's associated data, so a
// ciphertext copied to another secret's item does not decrypt. Without the key file the values cannot be read:
// back it up with the data directory.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { SecretVault } from '../../core/ports.ts';
import type { SecretRef } from '../../core/secrets.ts';
import { key } from '../dynamodb/keys.ts';
import type { DynamoTable } from '../dynamodb/table-client.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_FILE = 'secrets.key';
/** Where a local value is: always in the table, beside its metadata. */
const LOCATION = 'local';

/** The data directory's key, made (0600) when first needed. */
export function vaultKey(dataDir: string): Buffer {
  const path = join(dataDir, KEY_FILE);
  try {
    return readKey(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another writer made it first
  }
  chmodSync(path, 0o600);
  return readKey(path);
}

function readKey(path: string): Buffer {
  const secret = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (secret.length !== 32) throw new Error(`${path} is not a 32-byte key: the stored secrets cannot be read`);
  return secret;
}

const context = (ref: SecretRef) => Buffer.from(`${ref.workspace_id}/${ref.project_id}/${ref.name}`);

export function seal(secretKey: Buffer, ref: SecretRef, value: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', secretKey, iv).setAAD(context(ref));
  const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
}

export function open(secretKey: Buffer, ref: SecretRef, ciphertext: string): string {
  const bytes = Buffer.from(ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', secretKey, bytes.subarray(0, IV_BYTES))
    .setAAD(context(ref))
    .setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

export class LocalSecretVault implements SecretVault {
  readonly links = false;
  readonly #table: DynamoTable;
  readonly #dataDir: string;
  #key: Buffer | undefined;

  constructor(table: DynamoTable, dataDir: string) {
    this.#table = table;
    this.#dataDir = dataDir;
  }

  get #secretKey(): Buffer {
    this.#key ??= vaultKey(this.#dataDir);
    return this.#key;
  }

  #itemKey(ref: SecretRef) {
    return marshall({ PK: key.project(ref), SK: key.secretValue(ref.name) });
  }

  async write(ref: SecretRef, value: string): Promise<string> {
    await this.#table.send(
      new PutItemCommand({
        TableName: this.#table.name,
        Item: {
          ...this.#itemKey(ref),
          type: { S: 'secret-value' },
          ciphertext: { S: seal(this.#secretKey, ref, value) },
        },
      }),
    );
    return LOCATION;
  }

  async read(ref: SecretRef): Promise<string> {
    const output = await this.#table.send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.#table.name, Key: this.#itemKey(ref), ConsistentRead: true }),
    );
    const item = output.Item ? unmarshall(output.Item) : null;
    if (typeof item?.ciphertext !== 'string') throw new Error(`secret '${ref.name}' has no stored value`);
    return open(this.#secretKey, ref, item.ciphertext);
  }

  async remove(ref: SecretRef): Promise<void> {
    await this.#table.send(new DeleteItemCommand({ TableName: this.#table.name, Key: this.#itemKey(ref) }));
  }
}
