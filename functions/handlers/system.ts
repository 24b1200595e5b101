// Lambda entry: health and the OpenAPI document.
import { systemApi } from '../api/system.ts';
import { awsBase, awsHealthChecks } from '../adapters/aws/compose/base.ts';
import { awsKeys } from '../adapters/aws/compose/keys.ts';

const base = awsBase();
export const handler = systemApi({ logger: base.logger, keys: await awsKeys(base), checks: awsHealthChecks(base), version: base.version });
