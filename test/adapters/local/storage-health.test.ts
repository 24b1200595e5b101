// A health check answered from its last result while a newer one is on its way: health stays quick when the
// check waits in line (a write behind a burst), follows a change within a check's time, and says when checks
// stop coming back.
import { describe, expect, it } from 'vitest';
import { lastKnown } from '../../../functions/adapters/local/storage-health.ts';

/** A check whose every call waits until the test settles it. */
function controlled() {
  const calls: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const check = () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, check };
}

describe('a last-known health check', () => {
  it('waits for its first result, then answers from the last one while a newer one is on its way', async () => {
    const { calls, check } = controlled();
    const health = lastKnown(check, { freshMs: 0, stuckMs: 60_000 });
    const first = health();
    calls[0]!.resolve();
    await expect(first).resolves.toBeUndefined();
    // A second call starts a check and answers at once from the first result, although the check hangs.
    await expect(health()).resolves.toBeUndefined();
    expect(calls).toHaveLength(2);
    // No second check while one is on its way.
    await expect(health()).resolves.toBeUndefined();
    expect(calls).toHaveLength(2);
    calls[1]!.reject(new Error('the disk is full'));
    await expect
      .poll(() =>
        health().then(
          () => 'ok',
          (error: Error) => error.message,
        ),
      )
      .toBe('the disk is full');
  });

  it('says so when no check has come back for a while', async () => {
    const { calls, check } = controlled();
    const health = lastKnown(check, { freshMs: 0, stuckMs: 0 });
    const first = health();
    calls[0]!.resolve();
    await first;
    void health(); // starts a check that never comes back
    await new Promise((resolve) => setImmediate(resolve));
    await expect
      .poll(() =>
        health().then(
          () => 'ok',
          (error: Error) => error.message,
        ),
      )
      .toMatch(/^no check has come back in \d+ s$/);
  });

  it('answers a fresh result without checking again', async () => {
    const { calls, check } = controlled();
    const health = lastKnown(check, { freshMs: 60_000 });
    const first = health();
    calls[0]!.resolve();
    await first;
    for (let i = 0; i < 5; i++) await health();
    expect(calls).toHaveLength(1);
  });
});
