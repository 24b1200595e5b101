// The function behind every state-update Task of the run state machine (lambda:invoke in AWS, called directly
// by the local interpreter's task handlers): one action per Task state, each read into the domain's terms and
// handed to the run lifecycle, each leaving one log line with the run's ids.
import type { RunLifecycle } from '../core/run-lifecycle.ts';
import type { RunRef } from '../core/run-model.ts';
import { attemptEnvironment, type EcsEnvironment } from './attempt-environment.ts';
import type { AdmissionDispatcher } from './admission-dispatcher.ts';
import type { AdmissionInput } from './execution-input.ts';
import type { RetryRule } from '../core/job-spec.ts';
import type { Logger } from '../logger.ts';
import {
  ATTEMPT_FAILED,
  asStep,
  attemptOutcome,
  executionFailure,
  launchRefusal,
  namedError,
  type ContainerStepResult,
  type StepError,
} from './step-results.ts';

/** Which task of its run an iteration of the state machine's Map runs. */
export interface TaskOfRun {
  index: number;
  count: number;
}

export type RunStateEvent =
  | {
      action: 'start_attempt';
      run: RunRef;
      task?: TaskOfRun;
      environment?: EcsEnvironment;
      /** In AWS: what admission orders the attempt by, and the task token its answer goes to. */
      admission?: AdmissionInput;
      token?: string;
    }
  | {
      action: 'end_attempt';
      run: RunRef;
      task?: TaskOfRun;
      attempt: number;
      retries: number;
      retry_rules?: RetryRule[];
      result: ContainerStepResult;
    }
  | {
      /** ECS refused to launch the attempt (AWS): it waits in admission's queue again. */
      action: 'relaunch';
      run: RunRef;
      task?: TaskOfRun;
      environment?: EcsEnvironment;
      admission?: AdmissionInput;
      token?: string;
      attempt: number;
      refused?: StepError;
    }
  | { action: 'task_timed_out'; run: RunRef; task?: TaskOfRun }
  | { action: 'task_failed'; run: RunRef; task?: TaskOfRun; error?: StepError }
  | { action: 'finish'; run: RunRef }
  | { action: 'fail'; run: RunRef; error?: StepError }
  /** Every minute (AWS): admission decides for every workspace with a queue and takes back stale slots. */
  | { action: 'admission_tick'; run?: undefined };

const ONLY_TASK: TaskOfRun = { index: 0, count: 1 };

export type RunStateHandler = (event: RunStateEvent) => Promise<Record<string, unknown>>;

/**
 * `admission` (AWS): an attempt waits in its queue and is answered through its task token once admitted, and each
 * end gives its slot back once written (a task's between its attempts and, in a run of several, when it ends; its
 * run's once the run has settled). Locally the orchestrator admits before calling, and gives back itself.
 */
export function runStateHandler(
  lifecycle: RunLifecycle,
  logger?: Logger,
  admission?: AdmissionDispatcher,
): RunStateHandler {
  return async (event) => {
    if (event.action === 'admission_tick') {
      const ticked = (await admission?.tick()) ?? { released: 0, workspaces: 0 };
      logger?.info('admission ticked', ticked);
      return ticked;
    }
    const task = 'task' in event ? (event.task ?? ONLY_TASK) : ONLY_TASK;
    const ids = { ...event.run, execution: event.run.run_id, task_index: task.index };
    const several = task.count > 1;
    switch (event.action) {
      case 'start_attempt': {
        if (admission && event.token && event.admission) {
          const { token, admission: order } = event;
          await asStep(() =>
            admission.wait({ run: event.run, task, environment: event.environment ?? [], admission: order, token }),
          );
          logger?.info('run attempt waiting for admission', ids);
          return { waiting: true };
        }
        const started = await asStep(() => lifecycle.startAttempt(event.run, task.index));
        logger?.info('run attempt starting', { ...ids, attempt: started.attempt });
        return {
          ...started,
          environment: attemptEnvironment(event.environment ?? [], event.run.run_id, task, started.attempt),
        };
      }
      case 'relaunch': {
        const why = launchRefusal(event.refused);
        if (!(admission && event.token && event.admission))
          return {
            attempt: event.attempt,
            environment: attemptEnvironment(event.environment ?? [], event.run.run_id, task, event.attempt),
          };
        const { token, admission: order } = event;
        await admission.relaunch({
          run: event.run,
          task,
          environment: event.environment ?? [],
          admission: order,
          token,
          attempt: event.attempt,
          why,
        });
        logger?.warn('run attempt launch refused; waiting to launch again', { ...ids, attempt: event.attempt, why });
        return { waiting: true };
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
        if (outcome === 'retry' || several) await admission?.release(event.run, task.index);
        // Attempts are left: the definition's Retry runs the attempt again after its backoff.
        if (outcome === 'retry') throw namedError(ATTEMPT_FAILED, end.error ?? 'the attempt failed');
        return { outcome };
      }
      case 'task_timed_out':
        await lifecycle.taskTimedOut(event.run, task.index);
        if (several) await admission?.release(event.run, task.index);
        logger?.info('run task timed out', ids);
        return { ended: true };
      case 'task_failed':
        await lifecycle.taskFailed(event.run, task.index, executionFailure(event.error));
        if (several) await admission?.release(event.run, task.index);
        logger?.warn('run task failed', { ...ids, error: event.error?.Error });
        return { ended: true };
      case 'finish': {
        const settled = await lifecycle.finish(event.run);
        await admission?.release(event.run);
        logger?.info('run finished', { ...ids, status: settled?.status ?? 'already settled' });
        return { settled: true };
      }
      case 'fail':
        await lifecycle.failed(event.run, executionFailure(event.error));
        await admission?.release(event.run);
        logger?.warn('run failed', { ...ids, error: event.error?.Error });
        return { settled: true };
      default:
        throw new Error(`unknown run-state action ${(event as { action: string }).action}`);
    }
  };
}
