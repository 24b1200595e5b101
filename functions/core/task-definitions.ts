// A job's container description follows its spec: ECS cannot override a task's image when it runs one, so each
// job owns a task-definition family, registered when the job is created and again when its image, cpu or memory
// change. Command and env are per run (container overrides), so they never need a new revision.
import type { Job } from './jobs.ts';
import type { JobHooks } from './job-service.ts';
import type { TaskDefinitions } from './ports.ts';

export function taskDefinitionHooks(definitions: TaskDefinitions): JobHooks {
  return {
    created: (job) => definitions.register(job),
    updated: async (job: Job, previous: Job) => {
      if (job.image !== previous.image || job.cpu !== previous.cpu || job.memory_mb !== previous.memory_mb)
        await definitions.register(job);
    },
  };
}
