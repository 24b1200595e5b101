// What the run state machine's steps hand on, read into the domain's terms: the container step's result (the
// stopped ECS task on success, or the {Error, Cause} a Catch passes on, whose Cause is the task described as
// JSON) and an execution's error. The names the definition's Retry and Catch match on are made here too.
import { NotAdmittedError, RunAlreadySettledError } from '../core/errors.ts';
import type { AttemptOutcome } from '../core/run-lifecycle.ts';

/** What the container step produced, as the definition passes it to EndAttempt. */
export type ContainerStepResult = { exit_code: number; task?: string | null } | { Error?: string; Cause?: string };

/** A state machine error: the {Error, Cause} of a Catch. */
export interface StepError {
  Error?: string;
  Cause?: string;
}

/** The error name the definition's Catch treats as "nothing more to run". */
export const ALREADY_SETTLED = 'Run.AlreadySettled';
/** The error name an attempt that failed with attempts left raises: the definition's Retry runs it again. */
export const ATTEMPT_FAILED = 'Run.AttemptFailed';
/** The error name of a task admission never started (its Cause is the whole reason, as the run shows it). */
export const NOT_ADMITTED = 'Run.NotAdmitted';
const TIMED_OUT = ['States.Timeout', 'Run.TimedOut'];

/** What a Cause holds: a stopped ECS task, or a Lambda function's error; any field may be missing. */
interface CauseShape {
  Containers?: Array<{ ExitCode?: unknown; Reason?: string }>;
  StoppedReason?: string;
  errorMessage?: unknown;
}

export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function parseJson(text: string | undefined): CauseShape | undefined {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** ECS's reasons for an image it could not pull, and for a container its memory limit killed. */
const CANNOT_PULL = /^CannotPullContainerError:\s*/;
const OUT_OF_MEMORY = /^OutOfMemoryError/;

export function attemptOutcome(result: ContainerStepResult): AttemptOutcome {
  if ('exit_code' in result && typeof result.exit_code === 'number')
    return { ended: 'exited', exit_code: result.exit_code };
  const failure = result as StepError;
  const task = parseJson(failure.Cause);
  const container = task?.Containers?.[0];
  if (container && typeof container.ExitCode === 'number') {
    return {
      ended: 'exited',
      exit_code: container.ExitCode as number,
      ...(OUT_OF_MEMORY.test(container.Reason ?? '') ? { out_of_memory: true } : {}),
    };
  }
  const reason: string = container?.Reason ?? task?.StoppedReason ?? failure.Cause ?? failure.Error ?? 'unknown error';
  if (CANNOT_PULL.test(reason)) return { ended: 'not-pulled', reason: reason.replace(CANNOT_PULL, '') };
  return { ended: 'not-started', reason };
}

/** Why ECS refused a launch, in its own words ("Rate exceeded", "Capacity is unavailable at this time…"). */
export function launchRefusal(error: StepError | undefined): string {
  const cause = parseJson(error?.Cause);
  const message = typeof cause?.errorMessage === 'string' ? cause.errorMessage : error?.Cause;
  return (message || error?.Error || 'refused').slice(0, 500);
}

/** A readable reason from an execution's error. */
export function executionFailure(error: StepError | undefined): string {
  if (!error) return 'the run failed';
  if (TIMED_OUT.includes(error.Error ?? '')) return 'timed out';
  if (error.Error === NOT_ADMITTED && error.Cause) return error.Cause;
  const cause = parseJson(error.Cause);
  const message = typeof cause?.errorMessage === 'string' ? cause.errorMessage : error.Cause;
  return [error.Error, message].filter(Boolean).join(': ') || 'the run failed';
}

/** Runs a step; a run found already settled is raised under the name the definition's Catch expects. */
export async function asStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const name =
      error instanceof RunAlreadySettledError
        ? ALREADY_SETTLED
        : error instanceof NotAdmittedError
          ? NOT_ADMITTED
          : undefined;
    if (name) throw namedError(name, (error as Error).message);
    throw error;
  }
}
