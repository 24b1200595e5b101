// The function behind every state-update Task of the run state machine (lambda:invoke in AWS, called directly
// by the local interpreter's task handlers): one action per Task state, each read into the domain's terms and
// handed to the run lifecycle, each leaving one log line with the run's ids.
import type { RunLifecycle } from '../core/run-lifecycle.ts';
import { taskVariables, type RunRef } from '../core/run-model.ts';
import type { RetryRule } from '../core/job-spec.ts';
import type { Logger } from '../logger.ts';
import {
  ATTEMPT_FAILED,
  asStep,
  attemptOutcome,
  executionFailure,
  namedError,
  type ContainerStepResult,
  type StepError,
} from './step-results.ts';

/** Which task of its run an iteration of the state machine's Map runs. */
export interface TaskOfRun {
  index: number;
  count: number;
}

export type EcsEnvironment = Array<{ Name: string; Value: string }>;

export type RunStateEvent =
  | { action: 'start_attempt'; run: RunRef; task?: TaskOfRun; environment?: EcsEnvironment }
  | {
      action: 'end_attempt';
      run: RunRef;
      task?: TaskOfRun;
      attempt: number;
      retries: number;
      retry_rules?: RetryRule[];
      result: ContainerStepResult;
    }
  | { action: 'task_timed_out'; run: RunRef; task?: TaskOfRun }
  | { action: 'task_failed'; run: RunRef; task?: TaskOfRun; error?: StepError }
  | { action: 'finish'; run: RunRef }
  | { action: 'fail'; run: RunRef; error?: StepError };

const ONLY_TASK: TaskOfRun = { index: 0, count: 1 };

export type RunStateHandler = (event: RunStateEvent) => Promise<Record<string, unknown>>;

export function runStateHandler(lifecycle: RunLifecycle, logger?: Logger): RunStateHandler {
  return async (event) => {
    const task = 'task' in event ? (event.task ?? ONLY_TASK) : ONLY_TASK;
    const ids = { ...event.run, execution: event.run.run_id, task_index: task.index };
    switch (event.action) {
      case 'start_attempt': {
        const started = await asStep(() => lifecycle.startAttempt(event.run, task.index));
        logger?.info('run attempt starting', { ...ids, attempt: started.attempt });
        // The container's environment: the job's, then which run, task and attempt it is.
        const variables = Object.entries(taskVariables(event.run.run_id, task, started.attempt)).map(
          ([Name, Value]) => ({ Name, Value }),
        );
        const names = new Set(variables.map((v) => v.Name));
        return {
          ...started,
          environment: [...(event.environment ?? []).filter((v) => !names.has(v.Name)), ...variables],
        };
      }
      case 'end_attempt': {
        const { outcome, end } = await lifecycle.endAttempt(
          event.run,
          event.attempt,
          event.retries,
          attemptOutcome(event.result),
          event.retry_rules ?? [],
          task.index,
        );
        logger?.info('run attempt ended', {
          ...ids,
          attempt: event.attempt,
          exit_code: end.exit_code,
          error: end.error,
          outcome,
        });
        // Attempts are left: the definition's Retry runs the attempt again after its backoff.
        if (outcome === 'retry') throw namedError(ATTEMPT_FAILED, end.error ?? 'the attempt failed');
        return { outcome };
      }
      case 'task_timed_out':
        await lifecycle.taskTimedOut(event.run, task.index);
        logger?.info('run task timed out', ids);
        return { ended: true };
      case 'task_failed':
        await lifecycle.taskFailed(event.run, task.index, executionFailure(event.error));
        logger?.warn('run task failed', { ...ids, error: event.error?.Error });
        return { ended: true };
      case 'finish': {
        const settled = await lifecycle.finish(event.run);
        logger?.info('run finished', { ...ids, status: settled?.status ?? 'already settled' });
        return { settled: true };
      }
      case 'fail':
        await lifecycle.failed(event.run, executionFailure(event.error));
        logger?.warn('run failed', { ...ids, error: event.error?.Error });
        return { settled: true };
      default:
        throw new Error(`unknown run-state action ${(event as { action: string }).action}`);
    }
  };
}
