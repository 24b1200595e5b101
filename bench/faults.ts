// Fault figures: runs the fault suite (test/reliability) and reports what each fault cost, beside the floor a
// recovery cannot beat: DynamoDB Local's own start on this machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDBLocal } from '../local-server/engine/dynamodb-local.ts';
import { ENGINE_CACHE_DIR } from '../local-server/service.ts';
import { median, ROOT } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

type Fault = Record<string, string | number> & { fault: string };

function runSuite(): Promise<{ faults: Fault[]; passed: boolean }> {
  return new Promise((resolve) => {
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const child = spawn(process.execPath, [vitest, 'run', '--config', 'vitest.reliability.config.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes before a line are what it skips
      const faults = [...output.matchAll(/^(?:\x1b\[[0-9;]*m)*(\{"fault".*\})\s*$/gm)].map(
        (m) => JSON.parse(m[1]!) as Fault,
      );
      if (code !== 0) console.error(output.split('\n').slice(-60).join('\n'));
      resolve({ faults, passed: code === 0 });
    });
  });
}

async function engineStartMs(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-engine-'));
    const started = performance.now();
    const engine = await startDynamoDBLocal({ dbPath: dir, cacheDir: ENGINE_CACHE_DIR });
    samples.push(performance.now() - started);
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return Math.round(median(samples));
}

export async function faults(): Promise<Section> {
  const floor = await engineStartMs();
  const { faults: found, passed } = await runSuite();
  const get = (name: string) => found.find((f) => f.fault === name);
  const kill = get('service SIGKILL');
  const outage = get('dynamodb-local killed');
  const flood = get('100 MB stdout');
  const stubborn = get('children ignoring SIGTERM');
  const missing = '(not reported)';
  return {
    title: 'Faults: what each one cost (the fault suite, test/reliability)',
    tables: [
      {
        caption: `Each fault, what was lost (goal: nothing) and the time to recover; the suite ${passed ? 'passed' : 'FAILED'}`,
        head: ['fault', 'lost', 'recovery', 'floor or peer'],
        rows: [
          [
            'service killed with SIGKILL, 20 runs in flight, 50 jobs scheduled every minute',
            kill
              ? `nothing: ${kill.jobs} jobs, ${kill.runs} runs and their log lines kept; no minute fired twice`
              : missing,
            kill
              ? `ready again in ${kill.ready_ms} ms; every run terminal ${kill.all_runs_terminal_ms} ms after the restart began`
              : missing,
            `DynamoDB Local alone starts in ${floor} ms`,
          ],
          [
            'DynamoDB Local killed under 4 clients calling in a loop',
            outage
              ? `${outage.lost_writes === 0 ? 'nothing' : `${outage.lost_writes} of ${outage.acknowledged_writes} acknowledged creates, the latest acknowledged ${outage.lost_latest_ms_before_kill} ms before the kill (the engine answers before its data is on disk)`}; ${outage.unavailable} of ${outage.requests} requests answered 503 (none 500, none over 10 s)`
              : missing,
            outage ? `${outage.recovery_ms} ms from the kill to the last 503` : missing,
            `DynamoDB Local alone starts in ${floor} ms`,
          ],
          [
            'a run writing 100 MB to stdout',
            'by design: output past 10 MiB, with one marker line saying so',
            flood
              ? `GET p50 ${flood.get_p50_ms} ms, p99 ${flood.get_p99_ms} ms meanwhile (goal: p99 under 100 ms)`
              : missing,
            '',
          ],
          [
            'a run whose 4 children ignore SIGTERM, one double-forked into its own session, cancelled gracefully (1 s)',
            'nothing left behind',
            stubborn
              ? `all ${stubborn.processes} processes gone ${stubborn.all_gone_ms} ms after the cancel (1 s of it the grace period)`
              : missing,
            '',
          ],
        ],
      },
    ],
  };
}
