// The AWS vault against Secrets Manager, which has no local engine: the exact requests it makes (a secret per
// project secret under the stack's prefix, a new version for a new value, deletion at once), and that a value read
// for masking is read once for a burst of reads.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerVault } from '../../../functions/adapters/aws/secrets-manager-vault.ts';

const sm = mockClient(SecretsManagerClient);
const vault = new SecretsManagerVault({ prefix: 'Jobs/secrets' }, new SecretsManagerClient({ region: 'eu-west-1' }));
const ref = { workspace_id: 'acme', project_id: 'etl', name: 'db-password' };
const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:Jobs/secrets/acme/etl/db-password-AbCdEf';

beforeEach(() => sm.reset());

describe('SecretsManagerVault', () => {
  it('creates a secret under the prefix, tagged with its project, and answers its ARN', async () => {
    sm.on(CreateSecretCommand).resolves({ ARN: arn });
    expect(await vault.write(ref, 'v1')).toBe(arn);
    expect(sm.commandCalls(CreateSecretCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: 'Jobs/secrets/acme/etl/db-password',
        SecretString: 'v1',
        Description: 'Secret db-password of project acme/etl',
        Tags: [
          { Key: 'jobs:workspace-id', Value: 'acme' },
          { Key: 'jobs:project-id', Value: 'etl' },
        ],
      },
    ]);
  });

  it('puts a new version of an existing secret, keeping its ARN', async () => {
    sm.on(CreateSecretCommand).rejects(new ResourceExistsException({ message: 'exists', $metadata: {} }));
    sm.on(PutSecretValueCommand).resolves({ ARN: arn });
    expect(await vault.write(ref, 'v2')).toBe(arn);
    expect(sm.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: 'Jobs/secrets/acme/etl/db-password', SecretString: 'v2' },
    ]);
  });

  it('reads a value once for a burst of reads, and deletes without a recovery window', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'v2' });
    sm.on(DeleteSecretCommand).resolves({});
    expect(await Promise.all([vault.read(ref, arn), vault.read(ref, arn)])).toEqual(['v2', 'v2']);
    expect(await vault.read(ref, arn)).toBe('v2');
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: arn }]);
    await vault.remove(ref, arn);
    expect(sm.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: arn, ForceDeleteWithoutRecovery: true },
    ]);
  });
});
