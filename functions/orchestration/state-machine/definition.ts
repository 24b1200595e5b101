// The run state machine's definition, one file for both hosts: CDK deploys run.asl.json with its
// ${placeholders} substituted by CloudFormation; the local host substitutes them here and executes it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RUN_STATE_MACHINE_FILE = fileURLToPath(new URL('./run.asl.json', import.meta.url));

/** The placeholders the definition contains, each filled by the stack (or, locally, by a marker). */
export const PLACEHOLDERS = [
  'RunStateFunctionArn',
  'ClusterArn',
  'ContainerTimeoutPath',
  'AdmissionTimeoutPath',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export function runStateMachineText(): string {
  return readFileSync(RUN_STATE_MACHINE_FILE, 'utf8');
}

export function runStateMachineDefinition(values: Record<Placeholder, string>): Record<string, unknown> {
  const text = runStateMachineText().replace(/\$\{(\w+)\}/g, (match, name: string) => {
    if (!(name in values)) throw new Error(`run.asl.json: unknown placeholder ${match}`);
    return values[name as Placeholder];
  });
  return JSON.parse(text) as Record<string, unknown>;
}

/** Step Functions reads TimeoutSecondsPath from the state's input, as documented. */
export const CONTAINER_TIMEOUT_PATH = '$.timeout_seconds';
/** The backstop of an attempt's wait for admission, past the queue timeout admission itself enforces. */
export const ADMISSION_TIMEOUT_PATH = '$.admission.wait_backstop_seconds';

/**
 * Local mode runs every Task in-process; the placeholders only have to name what they stand for. One differs in
 * substance: aws-local-stepfunctions resolves TimeoutSecondsPath against the input *after* Parameters (the ECS
 * request, which has no such field), so locally the same number is taken from the execution's input through the
 * context object; inside the Attempt branch that input is the branch's, which carries timeout_seconds too.
 */
export const LOCAL_PLACEHOLDERS: Record<Placeholder, string> = {
  RunStateFunctionArn: 'local:run-state',
  ClusterArn: 'local:runner',
  ContainerTimeoutPath: '$$.Execution.Input.timeout_seconds',
  AdmissionTimeoutPath: '$$.Execution.Input.admission.wait_backstop_seconds',
};

/**
 * The context object locally: aws-local-stepfunctions has no task tokens, so `$$.Task.Token` names what it stands
 * for; the local StartAttempt handler resolves once admitted instead of waiting for a token.
 */
export const LOCAL_CONTEXT = { Task: { Token: 'local' } };
