// Work the local service does on its own, on a timer or an event (sampling runs, tailing their output, watching a
// re-attached run): whatever it throws or rejects with is logged, never thrown, so no I/O error (out of file
// descriptors, a full disk) can take the process, and every run with it, down. The work is simply done again
// on its next turn. The same failure repeating (once a second, for as long as a disk is full) is logged at
// most once a minute, with how many were left out.
import type { Logger } from '../../logger.ts';

const REPEAT_MS = 60_000;

export class Background {
  readonly #logger: Logger;
  readonly #reported = new Map<string, { at: number; left: number }>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Runs `work` now: a throw or a rejection is reported as a failure of `what`. */
  run(what: string, work: () => unknown): void {
    try {
      const result = work();
      if (result instanceof Promise) result.catch((error: unknown) => this.report(what, error));
    } catch (error) {
      this.report(what, error);
    }
  }

  /** Logs a failure of `what`, at most once a minute for the same `what`. */
  report(what: string, error: unknown): void {
    const now = Date.now();
    const last = this.#reported.get(what);
    if (last && now - last.at < REPEAT_MS) {
      last.left++;
      return;
    }
    this.#reported.set(what, { at: now, left: 0 });
    const code = (error as { code?: unknown } | null)?.code;
    this.#logger.warn(`background work failed, tried again on its next turn: ${what}`, {
      error: error as Error,
      ...(typeof code === 'string' ? { code } : {}),
      ...(last?.left ? { repeated_since_last_logged: last.left } : {}),
    });
  }
}
