// Lambda entry: the job routes (each job's task definition and schedule follow its spec).
import { jobsApi } from '../api/jobs.ts';
import { awsBase, awsJobsAndRuns, awsKeys } from '../adapters/aws/services.ts';

const base = awsBase();
export const handler = jobsApi({ logger: base.logger, keys: await awsKeys(base), jobs: awsJobsAndRuns(base, { manage: true }).jobs });
