// Keeps DynamoDB Local up: an engine that exits without being asked to (killed, crashed, out of memory) is
// started again on the same port and the same data files, so the service's client reconnects by itself.
// Requests made meanwhile fail fast as 503s (the client's timeouts); nothing is written twice because every
// write is conditional or idempotent.
import { startDynamoDBLocal, type DynamoDBLocal, type EngineOptions } from './dynamodb-local.ts';

export interface SupervisedEngine {
  endpoint: string;
  port: number;
  /** The current engine process. */
  readonly pid: number;
  /** How many times the engine was started again. */
  readonly restarts: number;
  /** The service is stopping: an exit from now on is final, never restarted. */
  keepDown(): void;
  /** Stops the engine for good. */
  stop(): Promise<void>;
  /** Rejects when the engine cannot be started again (the service should stop). */
  failed: Promise<never>;
}

export interface SupervisorEvents {
  onExit?: (info: { pid: number; code: number | null }) => void;
  onRestart?: (info: { pid: number; restarts: number; down_ms: number }) => void;
  onStart?: (pid: number) => void;
}

/** Attempts at each outage before giving up, and the pause between them (doubling). */
const ATTEMPTS = 5;
const FIRST_PAUSE_MS = 200;

export async function superviseDynamoDBLocal(
  options: EngineOptions,
  events: SupervisorEvents = {},
): Promise<SupervisedEngine> {
  let engine: DynamoDBLocal = await startDynamoDBLocal(options);
  const port = engine.port;
  let stopping = false;
  let restarts = 0;
  let giveUp!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => (giveUp = reject));
  failed.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection

  const restart = async (previous: DynamoDBLocal, code: number | null) => {
    const downSince = Date.now();
    events.onExit?.({ pid: previous.pid, code });
    let pause = FIRST_PAUSE_MS;
    for (let attempt = 1; attempt <= ATTEMPTS && !stopping; attempt++) {
      try {
        const next = await startDynamoDBLocal({ ...options, port });
        if (stopping) return next.stop();
        engine = next;
        restarts++;
        events.onStart?.(next.pid);
        events.onRestart?.({ pid: next.pid, restarts, down_ms: Date.now() - downSince });
        watch(next);
        return;
      } catch (error) {
        if (attempt === ATTEMPTS)
          return giveUp(new Error(`DynamoDB Local could not be started again: ${(error as Error).message}`));
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause *= 2;
      }
    }
  };
  const watch = (current: DynamoDBLocal) => {
    void current.exited.then((code) => {
      if (!stopping && current === engine) void restart(current, code);
    });
  };
  events.onStart?.(engine.pid);
  watch(engine);

  return {
    endpoint: engine.endpoint,
    port,
    get pid() {
      return engine.pid;
    },
    get restarts() {
      return restarts;
    },
    keepDown() {
      stopping = true;
    },
    async stop() {
      stopping = true;
      await engine.stop();
    },
    failed,
  };
}
