import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMIT, parseRateLimit, RateLimiter } from '../../local-server/rate-limit.ts';

describe('the rate limiter', () => {
  it('allows the burst, then the rate, and tells how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter({ rate: 2, burst: 3 }, () => now);
    expect([1, 2, 3].map(() => limiter.take('Bearer a', '::1'))).toEqual([null, null, null]);
    expect(limiter.take('Bearer a', '::1')).toBe(1);
    expect(limiter.take('Bearer b', '::1')).toBeNull(); // its own bucket
    now += 500; // half a second refills one request at 2 per second
    expect(limiter.take('Bearer a', '::1')).toBeNull();
    expect(limiter.take('Bearer a', '::1')).toBe(1);
    expect(limiter.take(undefined, '10.0.0.1')).toBeNull(); // without a key, by address
  });

  it('reads JOBS_RATE_LIMIT, refusing a wrong value by name', () => {
    expect(parseRateLimit(undefined)).toEqual(DEFAULT_RATE_LIMIT);
    expect(parseRateLimit('off')).toBeNull();
    expect(parseRateLimit('50')).toEqual({ rate: 50, burst: 100 });
    expect(parseRateLimit('50/60')).toEqual({ rate: 50, burst: 60 });
    expect(() => parseRateLimit('fast')).toThrow(/JOBS_RATE_LIMIT/);
    expect(() => parseRateLimit('0')).toThrow(/JOBS_RATE_LIMIT/);
  });
});
