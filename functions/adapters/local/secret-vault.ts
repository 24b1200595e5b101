// The local vault: each secret value encrypted with AES-256-GCM under a key of this data directory
// (<data dir>/secrets.key, 32 random bytes, mode 0600, made on first use) and stored as ciphertext in the table
// (SK = SECRETVALUE#<name>). The secret's workspace, project and name are the cipher's associated data, so a
// ciphertext copied to another secret's item does not decrypt. Without the key file the values cannot be read:
// back it up with the data directory.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretVault } from '../../core/ports.ts';
import type { SecretRef } from '../../core/secrets.ts';
import type { DynamoSecretCiphertexts } from '../dynamodb/secret-ciphertexts.ts';

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
  readonly #ciphertexts: DynamoSecretCiphertexts;
  readonly #dataDir: string;
  #key: Buffer | undefined;

  constructor(ciphertexts: DynamoSecretCiphertexts, dataDir: string) {
    this.#ciphertexts = ciphertexts;
    this.#dataDir = dataDir;
  }

  get #secretKey(): Buffer {
    this.#key ??= vaultKey(this.#dataDir);
    return this.#key;
  }

  async write(ref: SecretRef, value: string): Promise<string> {
    await this.#ciphertexts.put(ref, seal(this.#secretKey, ref, value));
    return LOCATION;
  }

  async read(ref: SecretRef): Promise<string> {
    const ciphertext = await this.#ciphertexts.get(ref);
    if (ciphertext === null) throw new Error(`secret '${ref.name}' has no stored value`);
    return open(this.#secretKey, ref, ciphertext);
  }

  async remove(ref: SecretRef): Promise<void> {
    await this.#ciphertexts.delete(ref);
  }
}
