// TaskTokens on Step Functions: an admitted attempt's waiting StartAttempt step answered with SendTaskSuccess,
// one admission refuses with SendTaskFailure under the error name the definition's Catch and Retry match. A token
// nothing waits on any more (its execution was stopped) is answered false, so its slot goes back at once.
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { TaskTokens } from '../../orchestration/admission-dispatcher.ts';
import { ALREADY_SETTLED, NOT_ADMITTED } from '../../orchestration/step-results.ts';
import { unavailableIfTransient } from '../transient.ts';
import { LazySdk } from './lazy-sdk.ts';

const loadSfn = () => import('@aws-sdk/client-sfn');
type Sfn = Awaited<ReturnType<typeof loadSfn>>;

/** The error each refusal is raised under: the run-state function's Retry list names UnavailableError. */
const ERROR_NAMES = {
  'not-admitted': NOT_ADMITTED,
  settled: ALREADY_SETTLED,
  unavailable: 'UnavailableError',
} as const;

/** What Step Functions answers for a token whose task no longer waits. */
const GONE = ['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'];

export class StepFunctionsTaskTokens implements TaskTokens {
  readonly #sfn: LazySdk<Sfn, SFNClient>;

  constructor(client?: SFNClient) {
    this.#sfn = new LazySdk(loadSfn, (sdk) => new sdk.SFNClient({}), client);
  }

  async succeed(token: string, output: object): Promise<boolean> {
    const { sdk, client } = await this.#sfn.get();
    return this.#answer(() =>
      client.send(new sdk.SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })),
    );
  }

  async fail(token: string, error: keyof typeof ERROR_NAMES, cause: string): Promise<boolean> {
    const { sdk, client } = await this.#sfn.get();
    return this.#answer(() =>
      client.send(
        new sdk.SendTaskFailureCommand({ taskToken: token, error: ERROR_NAMES[error], cause: cause.slice(0, 32_768) }),
      ),
    );
  }

  async #answer(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      if (GONE.includes((error as Error).name)) return false;
      throw unavailableIfTransient('Step Functions', error);
    }
  }
}
