// Wakes waiting reads when a run changes, where the code that changes runs shares the process with the reads
// (the local host). Elsewhere reads simply look again after a while; a signal only makes them look sooner.
export class RunSignals {
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #listeners = new Set<(runId: string) => void>();

  /** Told of every change of every run (the local event pump, which hands their events on). */
  onChange(listener: (runId: string) => void): void {
    this.#listeners.add(listener);
  }

  notify(runId: string): void {
    for (const listener of this.#listeners) listener(runId);
    const waiters = this.#waiters.get(runId);
    if (!waiters) return;
    this.#waiters.delete(runId);
    for (const wake of waiters) wake();
  }

  /** Resolves when any of these runs changes, after `ms` at the latest, or when `signal` aborts. */
  wait(runIds: readonly string[], ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        for (const id of runIds) this.#waiters.get(id)?.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal?.addEventListener('abort', wake, { once: true });
      for (const id of runIds) {
        const set = this.#waiters.get(id) ?? new Set();
        set.add(wake);
        this.#waiters.set(id, set);
      }
    });
  }
}
