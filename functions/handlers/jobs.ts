// Lambda entry: the job routes (each job's task definition and schedule follow its spec).
import { jobsApi } from '../api/jobs.ts';
import { awsBase } from '../adapters/aws/compose/base.ts';
import { awsJobResources } from '../adapters/aws/compose/job-resources.ts';
import { awsJobsAndRuns } from '../adapters/aws/compose/jobs-and-runs.ts';
import { awsKeys } from '../adapters/aws/compose/keys.ts';

const base = awsBase();
export const handler = jobsApi({ logger: base.logger, keys: await awsKeys(base), jobs: awsJobsAndRuns(base, awsJobResources(base)).jobs });
