// A job's container description follows its spec: ECS cannot override a task's image when it runs one, so each
// job owns a task-definition family, registered when the job is created and again when its image, cpu, memory or
// secrets change. Command and env are per run (container overrides), so they never need a new revision; a secret's
// new value needs none either (ECS reads the current one as each task starts).
import type { Job } from './jobs.ts';
import type { JobHooks } from './job-service.ts';
import type { TaskDefinitions } from './ports.ts';

/** The fields a task definition is made from. */
const DESCRIBED = ['image', 'cpu', 'memory_mb', 'secrets', 'registry_credentials', 'task_role'] as const;

export function taskDefinitionHooks(
  definitions: TaskDefinitions,
  locate: (job: Job) => Promise<ReadonlyMap<string, string>>,
): JobHooks {
  const register = async (job: Job) => definitions.register(job, await locate(job));
  return {
    created: register,
    updated: async (job: Job, previous: Job) => {
      if (DESCRIBED.some((field) => JSON.stringify(job[field]) !== JSON.stringify(previous[field])))
        await register(job);
    },
  };
}
