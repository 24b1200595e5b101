// Lambda entry: the metrics route.
import { metricsApi } from '../api/metrics.ts';
import { awsBase, awsKeys, awsMetrics } from '../adapters/aws/services.ts';

const base = awsBase();
export const handler = metricsApi({ logger: base.logger, keys: await awsKeys(base), metrics: awsMetrics(base) });
