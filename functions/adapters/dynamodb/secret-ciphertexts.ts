// Where the local vault keeps each secret's ciphertext: an item beside the secret's metadata in its project's
// partition (SK = SECRETVALUE#<name>). It stores and returns opaque text: the sealing is the vault's.
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { SecretRef } from '../../core/secrets.ts';
import { key } from './keys.ts';
import type { DynamoTable } from './table-client.ts';

export class DynamoSecretCiphertexts {
  readonly #table: DynamoTable;

  constructor(table: DynamoTable) {
    this.#table = table;
  }

  #key(ref: SecretRef) {
    return marshall({ PK: key.project(ref), SK: key.secretValue(ref.name) });
  }

  async put(ref: SecretRef, ciphertext: string): Promise<void> {
    await this.#table.send(
      new PutItemCommand({
        TableName: this.#table.name,
        Item: { ...this.#key(ref), type: { S: 'secret-value' }, ciphertext: { S: ciphertext } },
      }),
    );
  }

  async get(ref: SecretRef): Promise<string | null> {
    const output = await this.#table.send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.#table.name, Key: this.#key(ref), ConsistentRead: true }),
    );
    const item = output.Item ? unmarshall(output.Item) : null;
    return typeof item?.ciphertext === 'string' ? item.ciphertext : null;
  }

  async delete(ref: SecretRef): Promise<void> {
    await this.#table.send(new DeleteItemCommand({ TableName: this.#table.name, Key: this.#key(ref) }));
  }
}
