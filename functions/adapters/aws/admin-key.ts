// The first admin key in AWS lives in Secrets Manager; functions that authenticate read it once per cold start
// and keep only its hash in memory. Its client loads with that first read, so functions that never
// authenticate never load it.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { hashSecret } from '../../core/keys.ts';
import { LazySdk } from './lazy-sdk.ts';

const loadSecrets = () => import('@aws-sdk/client-secrets-manager');

export async function adminKeyHashFromSecret(secretArn: string, client?: SecretsManagerClient): Promise<string> {
  const { sdk, client: secrets } = await new LazySdk(loadSecrets, (s) => new s.SecretsManagerClient({}), client).get();
  const output = await secrets.send(new sdk.GetSecretValueCommand({ SecretId: secretArn }));
  if (!output.SecretString) throw new Error(`secret ${secretArn} has no string value`);
  return hashSecret(output.SecretString.trim());
}
