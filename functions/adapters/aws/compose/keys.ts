// Key checks, for every function that answers authenticated requests (Secrets Manager: the first admin key).
import { KeyService } from '../../../core/keys.ts';
import { adminKeyHashFromSecret } from '../admin-key.ts';
import { DynamoKeyStore } from '../dynamodb/key-store.ts';
import type { AwsBase } from './base.ts';

export async function awsKeys(base: AwsBase): Promise<KeyService> {
  const secret = base.config.adminKeySecretArn;
  return new KeyService(new DynamoKeyStore(base.table), { bootstrapAdminHash: secret ? await adminKeyHashFromSecret(secret) : undefined });
}
