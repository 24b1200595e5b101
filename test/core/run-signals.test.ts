import { describe, expect, it } from 'vitest';
import { RunSignals } from '../../functions/core/run-signals.ts';

describe('RunSignals', () => {
  it('wakes a waiter when one of its runs changes, well before its timeout', async () => {
    const signals = new RunSignals();
    let woke = false;
    const waiting = signals.wait(['run_a', 'run_b'], 10_000).then(() => (woke = true));
    signals.notify('run_x');
    await new Promise((resolve) => setImmediate(resolve)); // whatever that notify woke has run by now
    expect(woke).toBe(false);
    signals.notify('run_b');
    await waiting;
    expect(woke).toBe(true);
  });

  it('lets a waiter go when its time is up, and forgets it', async () => {
    const signals = new RunSignals();
    await signals.wait(['run_a'], 5);
    signals.notify('run_a'); // nobody left to wake
    let woke = 0;
    const next = signals.wait(['run_a'], 10_000).then(() => woke++);
    signals.notify('run_a');
    await next;
    expect(woke).toBe(1);
  });
});
