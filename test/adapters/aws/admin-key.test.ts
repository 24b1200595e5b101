import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { adminKeyHashFromSecret } from '../../../functions/adapters/aws/admin-key.ts';
import { hashSecret } from '../../../functions/core/keys.ts';

const secrets = mockClient(SecretsManagerClient);
const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:JobsAdminKey-AbCdEf';
beforeEach(() => secrets.reset());

describe('adminKeyHashFromSecret', () => {
  it("reads the admin key's secret once and keeps only its hash", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'the-admin-key\n' });
    expect(await adminKeyHashFromSecret(arn, new SecretsManagerClient({ region: 'eu-west-1' }))).toBe(
      hashSecret('the-admin-key'),
    );
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: arn }]);
  });

  it('fails when the secret holds no string', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(adminKeyHashFromSecret(arn, new SecretsManagerClient({ region: 'eu-west-1' }))).rejects.toThrow(
      /has no string value/,
    );
  });
});
