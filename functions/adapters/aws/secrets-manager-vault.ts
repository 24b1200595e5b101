// The vault in AWS: each stored secret is a Secrets Manager secret named <prefix>/<workspace>/<project>/<name>
// (the prefix is the stack's, and the only one the functions and the task execution role may touch), tagged with
// its ids. A new value is a new version of the same secret, so its ARN, which the job's task definition names,
// never changes; ECS reads the current version as each task starts. The service itself reads a value only to mask
// it in served output, and keeps it in memory briefly for that.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretVault } from '../../core/ports.ts';
import type { SecretRef } from '../../core/secrets.ts';
import { unavailableIfTransient } from '../transient.ts';
import { LazySdk } from './lazy-sdk.ts';

const loadSecrets = () => import('@aws-sdk/client-secrets-manager');
type Sdk = Awaited<ReturnType<typeof loadSecrets>>;

/** How long a value read for masking is kept: a burst of log pages reads it once. */
const READ_CACHE_MS = 30_000;

export function secretName(prefix: string, ref: SecretRef): string {
  return `${prefix}/${ref.workspace_id}/${ref.project_id}/${ref.name}`;
}

export class SecretsManagerVault implements SecretVault {
  readonly links = true;
  readonly #prefix: string;
  readonly #sm: LazySdk<Sdk, SecretsManagerClient>;
  readonly #read = new Map<string, { value: Promise<string>; until: number }>();

  constructor(options: { prefix: string }, client?: SecretsManagerClient) {
    this.#prefix = options.prefix;
    this.#sm = new LazySdk(loadSecrets, (sdk) => new sdk.SecretsManagerClient({}), client);
  }

  async write(ref: SecretRef, value: string): Promise<string> {
    const { sdk, client } = await this.#sm.get();
    const name = secretName(this.#prefix, ref);
    try {
      const created = await client.send(
        new sdk.CreateSecretCommand({
          Name: name,
          SecretString: value,
          Description: `Secret ${ref.name} of project ${ref.workspace_id}/${ref.project_id}`,
          Tags: [
            { Key: 'jobs:workspace-id', Value: ref.workspace_id },
            { Key: 'jobs:project-id', Value: ref.project_id },
          ],
        }),
      );
      return created.ARN!;
    } catch (error) {
      if (!(error instanceof sdk.ResourceExistsException)) throw unavailableIfTransient('Secrets Manager', error);
    }
    try {
      const put = await client.send(new sdk.PutSecretValueCommand({ SecretId: name, SecretString: value }));
      this.#read.delete(put.ARN!);
      return put.ARN!;
    } catch (error) {
      throw unavailableIfTransient('Secrets Manager', error);
    }
  }

  async read(_ref: SecretRef, location: string): Promise<string> {
    const cached = this.#read.get(location);
    if (cached && cached.until > Date.now()) return cached.value;
    const value = this.#sm.get().then(async ({ sdk, client }) => {
      const output = await client.send(new sdk.GetSecretValueCommand({ SecretId: location }));
      if (output.SecretString === undefined) throw new Error(`secret ${location} has no string value`);
      return output.SecretString;
    });
    this.#read.set(location, { value, until: Date.now() + READ_CACHE_MS });
    value.catch(() => this.#read.delete(location));
    return value;
  }

  async remove(_ref: SecretRef, location: string): Promise<void> {
    const { sdk, client } = await this.#sm.get();
    this.#read.delete(location);
    try {
      // At once, not after a recovery window: the name can be used again for a new secret of the project.
      await client.send(new sdk.DeleteSecretCommand({ SecretId: location, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (error instanceof sdk.ResourceNotFoundException) return;
      throw unavailableIfTransient('Secrets Manager', error);
    }
  }
}
