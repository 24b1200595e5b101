// The function behind every state-update Task of the run state machine (lambda:invoke in AWS, called directly
// by the local interpreter's task handlers): one action per Task state, each a call into the run lifecycle.
import type { AttemptResult, RunLifecycle } from '../core/run-lifecycle.ts';
import type { RunRef } from '../core/run-model.ts';

export type RunStateEvent =
  | { action: 'start_attempt'; run: RunRef }
  | { action: 'end_attempt'; run: RunRef; attempt: number; retries: number; result: AttemptResult }
  | { action: 'timed_out'; run: RunRef }
  | { action: 'fail'; run: RunRef; error?: { Error?: string; Cause?: string } };

export type RunStateHandler = (event: RunStateEvent) => Promise<Record<string, unknown>>;

export function runStateHandler(lifecycle: RunLifecycle): RunStateHandler {
  return async (event) => {
    switch (event.action) {
      case 'start_attempt':
        return lifecycle.startAttempt(event.run);
      case 'end_attempt':
        return lifecycle.endAttempt(event.run, event.attempt, event.retries, event.result);
      case 'timed_out':
        await lifecycle.timedOut(event.run);
        return { settled: true };
      case 'fail':
        await lifecycle.failed(event.run, event.error);
        return { settled: true };
      default:
        throw new Error(`unknown run-state action ${(event as { action: string }).action}`);
    }
  };
}
