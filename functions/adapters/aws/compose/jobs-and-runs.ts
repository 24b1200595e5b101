// Jobs and runs together (Step Functions, CloudWatch Logs): a job's deletion stops and removes its runs, a run
// reads its job.
import { need } from '../../../config.ts';
import { combineLifecycles, JobService, type JobLifecycle } from '../../../core/jobs.ts';
import { RunService } from '../../../core/runs.ts';
import { CloudWatchLogSource } from '../cloudwatch-logs.ts';
import { DynamoIdempotency } from '../dynamodb/idempotency.ts';
import { DynamoJobStore } from '../dynamodb/job-store.ts';
import { StepFunctionsOrchestrator } from '../step-functions.ts';
import { awsRunLifecycle, type AwsBase } from './base.ts';

/** `follow`: what else follows each job's spec (the function that manages jobs passes awsJobResources). */
export function awsJobsAndRuns(base: AwsBase, follow: JobLifecycle[] = []): { jobs: JobService; runs: RunService; logs: CloudWatchLogSource } {
  const { store, lifecycle } = awsRunLifecycle(base);
  const orchestrator = new StepFunctionsOrchestrator({ stateMachineArn: need(base.config.stateMachineArn, 'JOBS_STATE_MACHINE_ARN') });
  const logs = new CloudWatchLogSource({ logGroupName: need(base.config.containerLogGroup, 'JOBS_CONTAINER_LOG_GROUP'), runs: store });
  let runs: RunService | undefined;
  const jobs = new JobService(new DynamoJobStore(base.table), {
    // A job's task definition exists before its schedule can fire; a deleted job stops firing before its runs stop.
    lifecycle: combineLifecycles(...follow, () => (runs as RunService).lifecycle()),
  });
  runs = new RunService({ jobs, store, orchestrator, lifecycle, logs, idempotency: new DynamoIdempotency(base.table), pollMs: 500 });
  return { jobs, runs, logs };
}
