// What follows each job's spec in AWS, for the function that creates, changes and deletes jobs: its ECS
// task-definition family and its EventBridge schedule, in that order.
import { need } from '../../../config.ts';
import type { JobLifecycle } from '../../../core/jobs.ts';
import { scheduleLifecycle } from '../../../core/schedules.ts';
import { taskDefinitionLifecycle } from '../../../core/task-definitions.ts';
import { EcsTaskDefinitions } from '../ecs-task-definitions.ts';
import { EventBridgeScheduleStore } from '../scheduler.ts';
import type { AwsBase } from './base.ts';

export function awsJobResources(base: AwsBase): JobLifecycle[] {
  const definitions = new EcsTaskDefinitions({
    ...need(base.config.taskRoles, 'JOBS_TASK_EXECUTION_ROLE_ARN'),
    logGroup: need(base.config.containerLogGroup, 'JOBS_CONTAINER_LOG_GROUP'),
    region: need(base.config.region, 'AWS_REGION'),
  });
  return [taskDefinitionLifecycle(definitions), scheduleLifecycle(new EventBridgeScheduleStore(need(base.config.scheduler, 'JOBS_SCHEDULE_GROUP')))];
}
