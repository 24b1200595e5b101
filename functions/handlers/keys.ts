// Lambda entry: the API key routes.
import { keysApi } from '../api/keys.ts';
import { awsBase } from '../adapters/aws/compose/base.ts';
import { awsKeys } from '../adapters/aws/compose/keys.ts';

const base = awsBase();
export const handler = keysApi({ logger: base.logger, keys: await awsKeys(base) });
