// Lambda entry: the job routes.
import { jobsApi } from '../api/jobs.ts';
import { awsServices } from '../adapters/aws/services.ts';

export const handler = jobsApi(await awsServices());
