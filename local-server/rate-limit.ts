// The local stand-in for API Gateway's throttling, per API key: a token bucket of `burst` requests refilled at
// `rate` per second. A request beyond it gets 429 with Retry-After and never reaches a handler. Keys are told
// apart by a digest of their Authorization header (never kept in clear); requests without one by source address.
import { createHash } from 'node:crypto';
import { RATE_LIMIT } from '../functions/api/limits.ts';

export interface RateLimit {
  /** Requests per second, sustained. */
  rate: number;
  /** Requests allowed at once above the rate. */
  burst: number;
}

/** The same rate the AWS stack's stage throttles at, so both hosts refuse at the same load. */
export const DEFAULT_RATE_LIMIT: RateLimit = { rate: RATE_LIMIT.perSecond, burst: RATE_LIMIT.burst };

/** Buckets kept before full (idle) ones are dropped. */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    this.#limit = limit;
    this.#now = now;
  }

  /** Takes one request from the caller's bucket: null when allowed, else the seconds to wait. */
  take(authorization: string | undefined, sourceIp: string): number | null {
    const id = authorization ? createHash('sha256').update(authorization).digest('base64url') : `ip:${sourceIp}`;
    const now = this.#now();
    const bucket = this.#buckets.get(id) ?? this.#add(id, now);
    bucket.tokens = Math.min(this.#limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#limit.rate);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#limit.rate));
  }

  #add(id: string, now: number): Bucket {
    if (this.#buckets.size >= MAX_BUCKETS) {
      for (const [key, bucket] of this.#buckets) {
        if (bucket.tokens + ((now - bucket.at) / 1000) * this.#limit.rate >= this.#limit.burst)
          this.#buckets.delete(key);
      }
    }
    const bucket = { tokens: this.#limit.burst, at: now };
    this.#buckets.set(id, bucket);
    return bucket;
  }
}

/** `JOBS_RATE_LIMIT`: `<rate>/<burst>` (requests per second / at once), `<rate>` (burst twice the rate), or `off`. */
export function parseRateLimit(text: string | undefined): RateLimit | null {
  if (text === undefined || text === '') return DEFAULT_RATE_LIMIT;
  if (text === 'off') return null;
  const match = /^(\d+)(?:\/(\d+))?$/.exec(text);
  const rate = Number(match?.[1]);
  const burst = match?.[2] === undefined ? rate * 2 : Number(match[2]);
  if (!match || rate < 1 || burst < 1) {
    throw new Error(`JOBS_RATE_LIMIT must be <requests per second>[/<burst>] or off, not '${text}'`);
  }
  return { rate, burst };
}
