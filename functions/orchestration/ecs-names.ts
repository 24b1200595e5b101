// How a job's ECS resources are named, shared by the adapters that create them and those that read what they
// produce (metrics by family, logs by stream). The state machine and the IAM policies rely on the job- prefix.
import { idPattern } from '../core/ids.ts';

export const CONTAINER_NAME = 'job';

export function taskFamily(jobId: string): string {
  return `job-${jobId}`;
}

export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

/** The awslogs driver writes a container's output to <stream prefix>/<container name>/<task id>. */
export function logStreamName(jobId: string, taskArn: string): string {
  return `${jobId}/${CONTAINER_NAME}/${taskId(taskArn)}`;
}

/** The job id a task's group (`family:job-<job id>`) names, or null for a task that is not a run's. */
export function jobOfTaskGroup(group: string | undefined): string | null {
  const family = /^family:(.+)$/.exec(group ?? '')?.[1] ?? '';
  const jobId = family.startsWith(taskFamily('')) ? family.slice(taskFamily('').length) : '';
  return idPattern('job').test(jobId) ? jobId : null;
}
