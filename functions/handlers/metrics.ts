// Lambda entry: the metrics route.
import { metricsApi } from '../api/metrics.ts';
import { awsBase } from '../adapters/aws/compose/base.ts';
import { awsKeys } from '../adapters/aws/compose/keys.ts';
import { awsMetrics } from '../adapters/aws/compose/metrics.ts';

const base = awsBase();
export const handler = metricsApi({ logger: base.logger, keys: await awsKeys(base), metrics: awsMetrics(base) });
