// Starting and measuring the processes a benchmark needs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
export { isAlive } from '../../local-server/data-dir.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = process.execPath;

/** Resident set size of a process, in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** CPU time every core of the machine has spent busy so far (not idle, not waiting for I/O), in seconds. */
export function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number) as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/** Every process a benchmark started; all are killed when the benchmark exits, however it exits. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

export interface Started {
  child: ChildProcess;
  lines: string[];
  /** The first JSON line matching the predicate. */
  line: Record<string, any>;
  elapsedMs: number;
  exited: Promise<number | null>;
}

/** Spawns a command and waits for a JSON output line the predicate accepts. */
export function startAndWait(
  command: string,
  args: string[],
  env: Record<string, string>,
  accept: (line: Record<string, any>) => boolean,
  timeoutMs = 60_000,
  cwd = ROOT,
): Promise<Started> {
  const startedAt = performance.now();
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, PATH: `${dirname(NODE)}:${process.env.PATH}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: not ready in ${timeoutMs} ms\n${lines.join('\n')}`));
    }, timeoutMs);
    let rest = '';
    let done = false;
    const onData = (chunk: Buffer) => {
      rest += chunk.toString('utf8');
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      for (const text of parts) {
        if (lines.length < 200) lines.push(text);
        if (done || !text.startsWith('{')) continue;
        let parsed: Record<string, any>;
        try {
          parsed = JSON.parse(text);
        } catch {
          continue;
        }
        if (accept(parsed)) {
          done = true;
          clearTimeout(timer);
          resolve({ child, lines, line: parsed, elapsedMs: performance.now() - startedAt, exited });
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      if (!done) {
        clearTimeout(timer);
        reject(new Error(`${command} exited with ${code}:\n${lines.join('\n')}`));
      }
    });
  });
}

export async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** One line about the machine a result was measured on. */
export function machine(): string {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0] ?? 'java ?';
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux, Node ${process.version}, ${java.trim()}`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export { join };
