// Lambda entry: the run routes.
import { runsApi } from '../api/runs.ts';
import { awsBase, awsJobsAndRuns, awsKeys } from '../adapters/aws/services.ts';

const base = awsBase();
export const handler = runsApi({ logger: base.logger, keys: await awsKeys(base), runs: awsJobsAndRuns(base).runs });
