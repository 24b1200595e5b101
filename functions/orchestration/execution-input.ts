// The run state machine's input document, the same in AWS and locally: what the definition's states read
// ($.run, $.timeout_seconds, $.retries, $.retry_rules, $.task_indexes, $.task_count, $.parallelism, $.container,
// $.network, $.admission) in the shapes ECS RunTask takes them. The domain's request is translated here and nowhere else.
import { taskFamily } from './ecs-names.ts';
import type { ExecutionRequest } from '../core/ports.ts';
import type { RunRef } from '../core/run-model.ts';
import { NETWORKS, type Network, type RetryRule } from '../core/job-spec.ts';

export interface ExecutionInput {
  run: RunRef;
  timeout_seconds: number;
  retries: number;
  retry_rules: RetryRule[];
  /** The Map's items: one per task, 0..count-1. */
  task_indexes: number[];
  task_count: number;
  /** The Map's concurrency. */
  parallelism: number;
  container: {
    /** The job's ECS task-definition family. */
    task_definition: string;
    image: string;
    command: string[];
    environment: Array<{ Name: string; Value: string }>;
    cpu: number;
    memory_mb: number;
  };
  /** Where its tasks' network interfaces go: ECS's AwsvpcConfiguration for the job's network. */
  network: TaskNetwork;
  /** What admission orders and sizes each task by, and how long it may wait. */
  admission: AdmissionInput;
}

export interface AdmissionInput {
  priority: number;
  created_at: string;
  queue_timeout_seconds: number;
  /** The wait's own timeout in the definition, a backstop well past the queue timeout admission enforces. */
  wait_backstop_seconds: number;
  cpu: number;
  memory_mb: number;
}

/** How far past its queue timeout an attempt's wait times out by itself, should admission never answer. */
export const WAIT_BACKSTOP_SECONDS = 900;

export interface TaskNetwork {
  subnets: string[];
  security_groups: string[];
  assign_public_ip: 'ENABLED' | 'DISABLED';
}

/** The deployment's task network for each job network it offers (a deployment without private subnets has none). */
export type TaskNetworks = Partial<Record<Network, TaskNetwork>>;

/** Locally the definition's ECS parameters only have to name what they stand for: the local runner reads the job's. */
export const LOCAL_TASK_NETWORKS: Record<Network, TaskNetwork> = Object.fromEntries(
  NETWORKS.map((network) => [
    network,
    { subnets: [`local:${network}`], security_groups: [`local:${network}`], assign_public_ip: 'DISABLED' },
  ]),
) as Record<Network, TaskNetwork>;

export function toExecutionInput(request: ExecutionRequest, networks: TaskNetworks): ExecutionInput {
  const { container } = request;
  const network = networks[container.network];
  if (!network) throw new Error(`this deployment names no ${container.network} network`);
  return {
    run: request.run,
    timeout_seconds: request.timeout_seconds,
    retries: request.retries,
    retry_rules: request.retry_rules,
    task_indexes: Array.from({ length: request.tasks.count }, (_, i) => i),
    task_count: request.tasks.count,
    parallelism: request.tasks.parallelism,
    container: {
      task_definition: taskFamily(request.run.job_id),
      image: container.image,
      command: container.command,
      environment: Object.entries(container.env)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([Name, Value]) => ({ Name, Value })),
      cpu: container.cpu,
      memory_mb: container.memory_mb,
    },
    network,
    admission: {
      priority: request.priority,
      created_at: request.created_at,
      queue_timeout_seconds: request.queue_timeout_seconds,
      wait_backstop_seconds: request.queue_timeout_seconds + WAIT_BACKSTOP_SECONDS,
      cpu: container.cpu,
      memory_mb: container.memory_mb,
    },
  };
}
