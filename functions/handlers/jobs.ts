// Lambda entry: the job routes.
import { jobsApi } from '../api/jobs.ts';
import { awsBase, awsJobsAndRuns, awsKeys } from '../adapters/aws/services.ts';

const base = awsBase();
export const handler = jobsApi({ logger: base.logger, keys: await awsKeys(base), jobs: awsJobsAndRuns(base).jobs });
