// A function's permissions and settings, from its declaration alone (functions/composition/functions.ts): each
// use it declares is bound by the construct that owns the resource, and nothing else is.
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Use } from '../../functions/composition/functions.ts';
import type { Events } from './events.ts';
import type { Orchestration } from './orchestration.ts';
import type { Runner } from './runner.ts';
import type { Scheduling } from './scheduling.ts';
import type { Store } from './store.ts';

/** The constructs that own what functions use; the later ones exist only once they are built. */
export interface Providers {
  store: Store;
  runner: Runner;
  orchestration?: Orchestration;
  scheduling?: Scheduling;
  events?: Events;
}

function provided<T>(provider: T | undefined, what: string): T {
  if (!provider) throw new Error(`${what} is not built yet where this function is declared`);
  return provider;
}

export function bindUses(fn: NodejsFunction, uses: readonly Use[], providers: Providers): void {
  const has = (use: Use) => uses.includes(use);
  const table = (['read', 'write', 'batch-delete'] as const).filter((access) => has(`table:${access}`));
  if (table.length > 0) providers.store.bindTable(fn, ...table);
  if (has('admin-key')) providers.store.bindAdminKey(fn);
  const calls = (['start', 'stop', 'describe'] as const).filter((call) => has(`executions:${call}`));
  if (calls.length > 0) provided(providers.orchestration, 'the state machine').bind(fn, ...calls);
  const logs = (['read', 'delete', 'write'] as const).filter((access) => has(`container-logs:${access}`));
  if (logs.length > 0) providers.runner.bindLogs(fn, ...logs);
  if (has('task-definitions')) providers.runner.bindTaskDefinitions(fn);
  const secretValues = (['read', 'write'] as const).filter((access) => has(`secret-values:${access}`));
  if (secretValues.length > 0) providers.runner.bindSecretValues(fn, ...secretValues);
  if (has('container-metrics')) providers.runner.bindMetrics(fn);
  if (has('admission')) providers.runner.bindAdmission(fn);
  if (has('schedules')) provided(providers.scheduling, 'the schedule group').bindManager(fn);
  if (has('events:put')) provided(providers.events, 'the event bus').bindPut(fn);
  if (has('deliveries:enqueue')) provided(providers.events, 'the deliveries queue').bindEnqueue(fn);
}
