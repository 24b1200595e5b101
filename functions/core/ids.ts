// Resource ids: a type prefix and a ULID, so ids sort by creation time and say what they name.
import { createHash } from 'node:crypto';
import { encodeTime, monotonicFactory } from 'ulid';

import { idPattern, ULID_PATTERN, type IdPrefix } from './id-patterns.ts';

export { idPattern, ULID_PATTERN, type IdPrefix };

const nextUlid = monotonicFactory();

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${nextUlid(now)}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The run id of a scheduled fire, derived from the job and the scheduled time: a ULID whose time is the fire's
 * and whose randomness is a hash of both. A second delivery of the same fire (EventBridge Scheduler delivers at
 * least once) names the same run, so it cannot create a second one.
 */
export function scheduledRunId(jobId: string, scheduledFor: Date): string {
  return derivedRunId(`${jobId}@${scheduledFor.toISOString()}`, scheduledFor);
}

/**
 * The run id of a job's run after another run ended (run_after), derived from the job and that run: the run
 * events that fire it are handed on at least once, and every repeat names the same run.
 */
export function chainedRunId(jobId: string, upstreamRunId: string, endedAt: Date): string {
  return derivedRunId(`${jobId}<${upstreamRunId}`, endedAt);
}

function derivedRunId(name: string, at: Date): string {
  const digest = createHash('sha256').update(name).digest();
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[(digest[i] as number) % 32];
  return `run_${encodeTime(at.getTime(), 10)}${random}`;
}
