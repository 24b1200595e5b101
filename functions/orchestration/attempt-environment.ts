// An attempt's container environment as ECS takes it: the job's variables, then which run, task and attempt it
// is (those always win). Built where an attempt is admitted: the run-state function locally, the dispatcher in AWS.
import { taskVariables } from '../core/run-model.ts';

export type EcsEnvironment = Array<{ Name: string; Value: string }>;

export function attemptEnvironment(
  environment: EcsEnvironment,
  runId: string,
  task: { index: number; count: number },
  attempt: number,
): EcsEnvironment {
  const variables = Object.entries(taskVariables(runId, task, attempt)).map(([Name, Value]) => ({ Name, Value }));
  const names = new Set(variables.map((v) => v.Name));
  return [...environment.filter((v) => !names.has(v.Name)), ...variables];
}
