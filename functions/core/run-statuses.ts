// The statuses a run goes through: plain values with no imports, so the domain and the API client (the CLI, and
// the console in the browser) share the very same list.

export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Every status, in the order a run goes through them. */
export const RUN_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const satisfies readonly RunStatus[];

export const ACTIVE_STATUSES: readonly RunStatus[] = ['pending', 'running'];

/** Whether a run with this status has yet to finish. */
export function isActive(status: RunStatus): boolean {
  return status === 'pending' || status === 'running';
}
