// Waiting on a condition itself, never on a clock: the condition is polled until it holds or the time is up.

/** Resolves once `condition` holds; throws after the timeout, saying what never happened. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Whether `condition` came to hold within the time (for tests that assert on the answer). */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  return eventually(condition, 'the condition', timeoutMs).then(
    () => true,
    () => false,
  );
}
