// The local orchestrator running the real state machine definition over a host process, with a store that
// refuses every write of the run's end for longer than the definition's retries last (as a full disk does): the
// execution fails, and the run is still settled, from its exit status, once the store takes writes again.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalLogStore } from '../../../functions/adapters/local/log-store.ts';
import { LocalOrchestrator } from '../../../functions/adapters/local/local-orchestrator.ts';
import { LocalRunner } from '../../../functions/adapters/local/local-runner.ts';
import { UnavailableError } from '../../../functions/core/errors.ts';
import type { RunLifecycle } from '../../../functions/core/run-lifecycle.ts';
import type { Logger } from '../../../functions/logger.ts';
import { runStateHandler } from '../../../functions/orchestration/run-state.ts';
import {
  LOCAL_PLACEHOLDERS,
  runStateMachineDefinition,
} from '../../../functions/orchestration/state-machine/definition.ts';
import { useCore } from '../../helpers/core.ts';
import { eventually } from '../../helpers/wait.ts';
import { TEST_ACTOR } from '../../helpers/actor.ts';

const t = useCore('local-orchestrator');
const project = { workspace_id: 'acme', project_id: 'orchestrator' };
const dataDir = mkdtempSync(join(tmpdir(), 'jobs-orchestrator-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The lifecycle, refusing every write while `down` is set, as a store on a full disk does. */
function flaky(real: RunLifecycle): {
  lifecycle: RunLifecycle;
  refused: () => number;
  setDown: (down: boolean) => void;
} {
  let down = false;
  let refused = 0;
  const lifecycle = new Proxy(real, {
    get(target, name) {
      const value = Reflect.get(target, name, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (down) {
          refused++;
          return Promise.reject(new UnavailableError('DynamoDB'));
        }
        return value.apply(target, args);
      };
    },
  });
  return { lifecycle, refused: () => refused, setDown: (value) => (down = value) };
}

describe('a run whose execution fails because its end cannot be written', () => {
  it('is settled from its exit status once writes are taken again', async () => {
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (message: string) => warnings.push(message),
      error: (message: string) => warnings.push(message),
    } as unknown as Logger;
    const store = flaky(t.core.services.runLifecycle());
    const runner = new LocalRunner({ dataDir, logs: new LocalLogStore(dataDir), logger });
    const orchestrator = new LocalOrchestrator({
      definition: runStateMachineDefinition(LOCAL_PLACEHOLDERS),
      runner,
      runState: runStateHandler(store.lifecycle, logger),
      lifecycle: store.lifecycle,
      logger,
      retryIntervalMs: 1,
    });
    const hold = join(dataDir, 'hold');
    writeFileSync(hold, '');
    const job = await t.core.services.jobs().create(
      project,
      {
        name: 'held',
        image: 'alpine',
        command: ['sh', '-c', `while [ -e ${hold} ]; do sleep 0.02; done; exit 0`],
      },
      TEST_ACTOR,
    );
    const run = await t.core.services.runs().trigger({ ...project, job_id: job.id }, {});
    const ref = { ...project, job_id: job.id, run_id: run.id };
    await orchestrator.start(t.core.orchestrator.started.at(-1)!);
    await eventually(async () => (await t.core.runStore.get(ref))?.status === 'running', 'the run running');

    store.setDown(true);
    rmSync(hold);
    // Every retry of the state machine is refused; the execution fails, and the settle after it is refused too.
    await eventually(
      () => warnings.includes('could not settle a run whose execution failed; trying again until it is'),
      'the settle refused',
    );
    expect(store.refused()).toBeGreaterThan(6);
    expect((await t.core.runStore.get(ref))?.status).toBe('running');

    store.setDown(false);
    await eventually(async () => (await t.core.runStore.get(ref))?.status === 'succeeded', 'the run settled', 20_000);
    expect(await t.core.runStore.get(ref)).toMatchObject({ status: 'succeeded', exit_code: 0, error: null });
    await orchestrator.shutdown();
  });
});
