// Lambda entry: the log routes.
import { logsApi } from '../api/logs.ts';
import { awsBase } from '../adapters/aws/compose/base.ts';
import { awsJobsAndRuns } from '../adapters/aws/compose/jobs-and-runs.ts';
import { awsKeys } from '../adapters/aws/compose/keys.ts';

const base = awsBase();
const { jobs, runs, logs } = awsJobsAndRuns(base);
export const handler = logsApi({ logger: base.logger, keys: await awsKeys(base), jobs, runs, logs });
