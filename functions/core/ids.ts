// Resource ids: a type prefix and a ULID, so ids sort by creation time and say what they name.
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

export const ULID_PATTERN = '[0-9A-HJKMNP-TV-Z]{26}';

export type IdPrefix = 'job' | 'run' | 'key';

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${nextUlid(now)}`;
}

export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_${ULID_PATTERN}$`);
}
