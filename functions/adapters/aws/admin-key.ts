// The first admin key in AWS lives in Secrets Manager; functions read it once per cold start and keep only
// its hash in memory.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { hashSecret } from '../../core/keys.ts';

export async function adminKeyHashFromSecret(secretArn: string, client = new SecretsManagerClient({})): Promise<string> {
  const output = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!output.SecretString) throw new Error(`secret ${secretArn} has no string value`);
  return hashSecret(output.SecretString.trim());
}
