// Lambda entry: the log routes.
import { logsApi } from '../api/logs.ts';
import { awsBase, awsJobsAndRuns, awsKeys } from '../adapters/aws/services.ts';

const base = awsBase();
const { jobs, runs, logs } = awsJobsAndRuns(base);
export const handler = logsApi({ logger: base.logger, keys: await awsKeys(base), jobs, runs, logs });
