// Lambda entry: health and the OpenAPI document.
import { systemApi } from '../api/system.ts';
import { awsBase, awsHealthChecks, awsKeys } from '../adapters/aws/services.ts';

const base = awsBase();
export const handler = systemApi({ logger: base.logger, keys: await awsKeys(base), checks: awsHealthChecks(base), version: base.version });
