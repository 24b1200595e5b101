// Lambda entry: the run routes.
import { runsApi } from '../api/runs.ts';
import { awsBase } from '../adapters/aws/compose/base.ts';
import { awsJobsAndRuns } from '../adapters/aws/compose/jobs-and-runs.ts';
import { awsKeys } from '../adapters/aws/compose/keys.ts';

const base = awsBase();
export const handler = runsApi({ logger: base.logger, keys: await awsKeys(base), runs: awsJobsAndRuns(base).runs });
