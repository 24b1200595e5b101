// The function behind every state-update Task of the run state machine (lambda:invoke in AWS, called directly
// by the local interpreter's task handlers): one action per Task state, each read into the domain's terms and
// handed to the run lifecycle, each leaving one log line with the run's ids.
import type { RunLifecycle } from '../core/run-lifecycle.ts';
import type { RunRef } from '../core/run-model.ts';
import type { RetryRule } from '../core/job-spec.ts';
import type { Logger } from '../logger.ts';
import { asStep, attemptOutcome, executionFailure, type ContainerStepResult, type StepError } from './step-results.ts';

export type RunStateEvent =
  | { action: 'start_attempt'; run: RunRef }
  | { action: 'end_attempt'; run: RunRef; attempt: number; retries: number; retry_rules?: RetryRule[]; result: ContainerStepResult }
  | { action: 'timed_out'; run: RunRef }
  | { action: 'fail'; run: RunRef; error?: StepError };

export type RunStateHandler = (event: RunStateEvent) => Promise<Record<string, unknown>>;

export function runStateHandler(lifecycle: RunLifecycle, logger?: Logger): RunStateHandler {
  return async (event) => {
    const ids = { ...event.run, execution: event.run.run_id };
    switch (event.action) {
      case 'start_attempt': {
        const started = await asStep(() => lifecycle.startAttempt(event.run));
        logger?.info('run attempt starting', { ...ids, attempt: started.attempt });
        return started;
      }
      case 'end_attempt': {
        const { outcome, end } = await lifecycle.endAttempt(event.run, event.attempt, event.retries, attemptOutcome(event.result), event.retry_rules ?? []);
        logger?.info('run attempt ended', { ...ids, attempt: event.attempt, exit_code: end.exit_code, error: end.error, outcome });
        return { outcome };
      }
      case 'timed_out':
        await lifecycle.timedOut(event.run);
        logger?.info('run timed out', ids);
        return { settled: true };
      case 'fail':
        await lifecycle.failed(event.run, executionFailure(event.error));
        logger?.warn('run failed', { ...ids, error: event.error?.Error });
        return { settled: true };
      default:
        throw new Error(`unknown run-state action ${(event as { action: string }).action}`);
    }
  };
}
