// Lambda entry: the API key routes.
import { keysApi } from '../api/keys.ts';
import { awsBase, awsKeys } from '../adapters/aws/services.ts';

const base = awsBase();
export const handler = keysApi({ logger: base.logger, keys: await awsKeys(base) });
