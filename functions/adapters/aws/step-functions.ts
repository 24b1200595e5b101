// The RunOrchestrator in AWS: one Step Functions execution per run, named by the run id (so the console
// finds a run by its id, and Step Functions itself refuses a second start of the same run).
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionRequest, RunOrchestrator, StopOptions } from '../../core/ports.ts';
import { toExecutionInput, type TaskNetworks } from '../../orchestration/execution-input.ts';
import type { Run } from '../../core/run-model.ts';
import { LazySdk } from './lazy-sdk.ts';
import { unavailableIfTransient } from '../transient.ts';

const loadSfn = () => import('@aws-sdk/client-sfn');
type Sfn = Awaited<ReturnType<typeof loadSfn>>;

export class StepFunctionsOrchestrator implements RunOrchestrator {
  readonly runner = 'ecs' as const;
  readonly #stateMachineArn: string;
  readonly #networks: () => TaskNetworks;
  readonly #sfn: LazySdk<Sfn, SFNClient>;

  /** `networks` is read when a run first starts: a function that only stops or describes executions has none. */
  constructor(options: { stateMachineArn: string; networks: () => TaskNetworks; client?: SFNClient }) {
    this.#stateMachineArn = options.stateMachineArn;
    this.#networks = options.networks;
    this.#sfn = new LazySdk(loadSfn, (sdk) => new sdk.SFNClient({}), options.client);
  }

  /** arn:aws:states:<region>:<account>:stateMachine:<name> → …:execution:<name>:<run id> */
  executionId(runId: string): string {
    return `${this.#stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
  }

  async start(request: ExecutionRequest): Promise<void> {
    // A network the deployment no longer offers is the request's fault, not Step Functions' unavailability.
    const input = JSON.stringify(toExecutionInput(request, this.#networks()));
    const { sdk, client } = await this.#sfn.get();
    try {
      await client.send(
        new sdk.StartExecutionCommand({
          stateMachineArn: this.#stateMachineArn,
          name: request.run.run_id,
          input,
        }),
      );
    } catch (error) {
      if (error instanceof sdk.ExecutionAlreadyExists) return; // started already: a retried request
      throw unavailableIfTransient('Step Functions', error);
    }
  }

  /**
   * Stops the execution; Step Functions then stops the ECS task (SIGTERM, and SIGKILL after the container's
   * stop timeout). ECS has no immediate kill, so `force` and `graceful` end the same way in AWS.
   */
  async stop(run: Run, options: StopOptions): Promise<void> {
    const { sdk, client } = await this.#sfn.get();
    try {
      await client.send(
        new sdk.StopExecutionCommand({
          executionArn: run.backend.execution ?? this.executionId(run.id),
          error: 'Run.Cancelled',
          cause: options.cause,
        }),
      );
    } catch (error) {
      if (error instanceof sdk.ExecutionDoesNotExist) return;
      throw unavailableIfTransient('Step Functions', error);
    }
  }

  async isRunning(executionArn: string): Promise<boolean | 'unknown'> {
    const { sdk, client } = await this.#sfn.get();
    try {
      const output = await client.send(new sdk.DescribeExecutionCommand({ executionArn }));
      return output.status === 'RUNNING' || output.status === 'PENDING_REDRIVE';
    } catch (error) {
      if (error instanceof sdk.ExecutionDoesNotExist) return false;
      return 'unknown';
    }
  }
}
