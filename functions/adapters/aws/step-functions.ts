// The RunOrchestrator in AWS: one Step Functions execution per run, named by the run id (so the console
// finds a run by its id, and Step Functions itself refuses a second start of the same run).
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { UnavailableError } from '../../core/errors.ts';
import type { ExecutionInput, RunOrchestrator, StopOptions } from '../../core/ports.ts';
import type { Run } from '../../core/run-model.ts';

function isThrottle(error: unknown): boolean {
  const name = (error as Error | undefined)?.name ?? '';
  return /Throttl|TooManyRequests|ServiceUnavailable|InternalServer|TimeoutError/.test(name) || (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === undefined;
}

export class StepFunctionsOrchestrator implements RunOrchestrator {
  readonly runner = 'ecs' as const;
  readonly #stateMachineArn: string;
  readonly #client: SFNClient;

  constructor(options: { stateMachineArn: string; client?: SFNClient }) {
    this.#stateMachineArn = options.stateMachineArn;
    this.#client = options.client ?? new SFNClient({});
  }

  /** arn:aws:states:<region>:<account>:stateMachine:<name> → …:execution:<name>:<run id> */
  executionId(runId: string): string {
    return `${this.#stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
  }

  async start(input: ExecutionInput): Promise<void> {
    try {
      await this.#client.send(new StartExecutionCommand({ stateMachineArn: this.#stateMachineArn, name: input.run.run_id, input: JSON.stringify(input) }));
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return; // started already: a retried request
      if (isThrottle(error)) throw new UnavailableError('Step Functions', { cause: error });
      throw error;
    }
  }

  /**
   * Stops the execution; Step Functions then stops the ECS task (SIGTERM, and SIGKILL after the container's
   * stop timeout). ECS has no immediate kill, so `force` and `graceful` end the same way in AWS.
   */
  async stop(run: Run, options: StopOptions): Promise<void> {
    try {
      await this.#client.send(
        new StopExecutionCommand({ executionArn: run.backend.execution ?? this.executionId(run.id), error: 'Run.Cancelled', cause: options.cause }),
      );
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return;
      if (isThrottle(error)) throw new UnavailableError('Step Functions', { cause: error });
      throw error;
    }
  }

  async isRunning(executionArn: string): Promise<boolean | 'unknown'> {
    try {
      const output = await this.#client.send(new DescribeExecutionCommand({ executionArn }));
      return output.status === 'RUNNING' || output.status === 'PENDING_REDRIVE';
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return false;
      return 'unknown';
    }
  }
}
