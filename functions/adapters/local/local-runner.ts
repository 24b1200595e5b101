// The local Runner: each run's container is a Docker container when a Docker engine answers, otherwise a host
// process (the image is then ignored, and the run's backend says `process`). Either way it is started through
// a small shell wrapper, detached in its own process group, that sends stdout and stderr to files and records
// the exit status in a file: so output survives the service, and a run can outlive the service and be
// re-attached when it comes back.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerExit, ContainerRunner, ContainerSpec, Recovered } from './container-runner.ts';
import { signalExitCode, type Run } from '../../core/run-model.ts';
import type { Logger } from '../../logger.ts';
import type { Follower, LocalLogStore } from './log-store.ts';
import { MarkedProcessReaper, signalTree } from './process-tree.ts';

/** The scheduling priority of a run's processes (nice): below the service's, which is 0. */
const RUN_NICENESS = 19;

/**
 * A detached run leads a session of its own, and Linux's autogroup scheduling shares the CPU between sessions
 * regardless of nice: without this, a flood of output got as much CPU as the whole service and stalled every
 * process for tens of milliseconds. The session's group takes the run's niceness; elsewhere the line does nothing.
 */
function lowerAutogroupPriority(): string {
  return `{ echo ${RUN_NICENESS} >/proc/self/autogroup; } 2>/dev/null; `;
}

/**
 * $1 is the run directory; the rest is the command. The exit status lands in <dir>/exit, atomically. The no-op
 * trap keeps the wrapper alive through a graceful stop's SIGTERM (POSIX defers it until the foreground command
 * ends) while the command, which gets default dispositions back on exec, receives the signal as a container's
 * main process would; so the command's own exit status is still recorded.
 */
const WRAPPER = `dir=$1; shift; trap : TERM INT; ${lowerAutogroupPriority()}"$@" >>"$dir/stdout" 2>>"$dir/stderr"; code=$?; times >"$dir/times"; echo $code >"$dir/exit.tmp"; mv "$dir/exit.tmp" "$dir/exit"; exit $code`;
const RECOVERY_POLL_MS = 200;

/** How a container is launched and stopped: the one difference between Docker and a host process. */
interface Launcher {
  readonly kind: 'docker' | 'process';
  argv(spec: ContainerSpec): string[];
  env(spec: ContainerSpec): NodeJS.ProcessEnv;
  task(spec: { run_id: string }, pid: number): string;
  /** Stops a run (cancel, timeout, service stop): every process of it. */
  signal(runId: string, pid: number, signal: NodeJS.Signals): void;
  /** Its main process has ended: whatever it left running goes too, as with a container's end. */
  reap(runId: string, pid: number): void;
}

/** What a host process gets from the service's environment, before the job's own variables. */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

/**
 * Set on every host process of a run (after the job's own variables, so it cannot be replaced): every process
 * the run starts inherits it, so a cancel finds even those that left the process group and the tree.
 */
export const RUN_ID_VARIABLE = 'JOBS_RUN_ID';
const runMark = (runId: string) => `${RUN_ID_VARIABLE}=${runId}`;
const reaper = new MarkedProcessReaper();

export const processLauncher: Launcher = {
  kind: 'process',
  argv: (spec) => spec.command,
  env: (spec) => ({
    ...Object.fromEntries(INHERITED.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]])),
    ...spec.env,
    [RUN_ID_VARIABLE]: spec.run_id,
  }),
  task: (_spec, pid) => `pid ${pid}`,
  signal: (runId, pid, signal) => signalTree(pid, signal, runMark(runId)),
  reap: (runId, pid) => {
    signalTree(pid, 'SIGKILL'); // the group and the tree, at once
    reaper.reap(runMark(runId)); // what escaped both, in the background
  },
};

export function containerName(runId: string): string {
  return `jobs-${runId.toLowerCase()}`;
}

export const dockerLauncher: Launcher = {
  kind: 'docker',
  argv: (spec) => [
    'docker', 'run', '--rm', '--name', containerName(spec.run_id), '--label', `jobs.run-id=${spec.run_id}`, '--label', `jobs.job-id=${spec.job_id}`,
    '--cpus', String(spec.cpu), '--memory', `${spec.memory_mb}m`,
    ...Object.keys(spec.env).flatMap((name) => ['--env', name]),
    spec.image, ...spec.command,
  ],
  // Values travel in the docker client's environment (`--env NAME`), never on its command line.
  env: (spec) => ({ PATH: process.env.PATH, HOME: process.env.HOME, ...spec.env }),
  task: (spec) => containerName(spec.run_id),
  signal: (runId, pid, signal) => {
    spawnSync('docker', ['kill', '--signal', signal, containerName(runId)], { stdio: 'ignore', timeout: 10_000 });
    signalTree(pid, signal);
  },
  reap: (_runId, pid) => signalTree(pid, 'SIGKILL'), // the container ended with its client (--rm)
};

/** Docker when an engine answers within a few seconds, otherwise host processes. */
export function detectLauncher(): Launcher {
  const probe = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'ignore', timeout: 3_000 });
  return probe.status === 0 ? dockerLauncher : processLauncher;
}

interface Active {
  pid: number;
  jobId: string;
  stopping?: NodeJS.Signals;
  graceTimer?: NodeJS.Timeout;
}

export class LocalRunner implements ContainerRunner {
  readonly kind: 'docker' | 'process';
  readonly #launcher: Launcher;
  readonly #runsDir: string;
  /** Where finished runs' directories wait to be removed: one folder per service start. */
  readonly #trashDir: string;
  readonly #logs: LocalLogStore;
  readonly #logger: Logger;
  readonly #active = new Map<string, Active>();

  readonly #onFinished: ((runId: string, pid: number, cpuSeconds: number | null) => void) | undefined;

  constructor(options: {
    dataDir: string;
    logs: LocalLogStore;
    logger: Logger;
    launcher?: Launcher;
    /** Told when an attempt's process ends, with the CPU seconds its shell reports for it. */
    onFinished?: (runId: string, pid: number, cpuSeconds: number | null) => void;
  }) {
    this.#onFinished = options.onFinished;
    this.#launcher = options.launcher ?? detectLauncher();
    this.kind = this.#launcher.kind;
    this.#runsDir = join(options.dataDir, 'runs');
    this.#logs = options.logs;
    this.#logger = options.logger;
    const trash = join(this.#runsDir, '.discarded');
    this.#trashDir = join(trash, `${Date.now()}-${process.pid}`);
    // What an earlier service moved aside but had no time to remove (it was killed): removed in the background.
    if (existsSync(trash)) for (const name of readdirSync(trash)) void rm(join(trash, name), { recursive: true, force: true }).catch(() => undefined);
  }

  #dir(jobId: string, runId: string): string {
    return join(this.#runsDir, jobId, runId);
  }

  /** The runs whose processes are running now, for the metric sampler. */
  activeProcesses(): Array<{ run_id: string; job_id: string; pid: number }> {
    return [...this.#active].map(([run_id, active]) => ({ run_id, job_id: active.jobId, pid: active.pid }));
  }

  run(spec: ContainerSpec, started: (task: string) => Promise<void>): Promise<ContainerExit> {
    const dir = this.#dir(spec.job_id, spec.run_id);
    mkdirSync(join(dir, 'work'), { recursive: true });
    rmSync(join(dir, 'exit'), { force: true }); // a retried attempt starts afresh
    // Runs at a lower priority than the service: a job that saturates the machine slows itself, not the API.
    const [command, ...args] = ['nice', '-n', String(RUN_NICENESS), '/bin/sh', '-c', WRAPPER, 'jobs-run', dir, ...this.#launcher.argv(spec)] as [string, ...string[]];
    const child = spawn(command, args, { cwd: join(dir, 'work'), env: this.#launcher.env(spec), detached: true, stdio: 'ignore' });

    return new Promise((resolve) => {
      let startedWrite: Promise<void> = Promise.resolve();
      let follower: Promise<Follower> | undefined;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      child.once('error', (error) => resolve({ exit_code: null, timed_out: false, error: `could not start: ${error.message}`, task: null }));
      child.once('spawn', () => {
        const pid = child.pid as number;
        writeFileSync(join(dir, 'pid'), String(pid));
        this.#active.set(spec.run_id, { pid, jobId: spec.job_id });
        follower = this.#logs.follow(spec.job_id, spec.run_id, { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') }, String(pid), spec.attempt);
        timer = setTimeout(() => {
          timedOut = true;
          this.#launcher.signal(spec.run_id, pid, 'SIGKILL');
        }, spec.timeout_seconds * 1000);
        startedWrite = started(this.#launcher.task(spec, pid)).catch((error: Error) => {
          this.#logger.error('could not record that a run started', { run_id: spec.run_id, error });
        });
      });
      child.once('exit', async (code, signal) => {
        clearTimeout(timer);
        const active = this.#active.get(spec.run_id);
        clearTimeout(active?.graceTimer);
        this.#active.delete(spec.run_id);
        // The main process is done: like a container's end, whatever it left running goes with it.
        if (child.pid) this.#launcher.reap(spec.run_id, child.pid);
        await (await follower)?.stop();
        await startedWrite;
        const recorded = readExit(dir);
        const exitCode = recorded ?? (signal ? signalExitCode(signal) : code);
        if (child.pid) this.#onFinished?.(spec.run_id, child.pid, readChildCpuSeconds(dir));
        resolve({ exit_code: exitCode, timed_out: timedOut, task: child.pid ? this.#launcher.task(spec, child.pid) : null });
        this.#discard(spec.job_id, spec.run_id);
      });
    });
  }

  async stop(runId: string, mode: 'graceful' | 'force', graceSeconds: number): Promise<void> {
    const active = this.#active.get(runId);
    if (!active) return;
    if (mode === 'force' || graceSeconds <= 0) {
      active.stopping = 'SIGKILL';
      this.#launcher.signal(runId, active.pid, 'SIGKILL');
      return;
    }
    active.stopping = 'SIGTERM';
    this.#launcher.signal(runId, active.pid, 'SIGTERM');
    active.graceTimer = setTimeout(() => this.#launcher.signal(runId, active.pid, 'SIGKILL'), graceSeconds * 1000);
  }

  async recover(run: Run): Promise<Recovered> {
    const dir = this.#dir(run.job_id, run.id);
    const raw = { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') };
    const pid = readPid(dir);
    const task = pid ? this.#launcher.task({ run_id: run.id }, pid) : null;
    const recorded = readExit(dir);
    const generation = String(pid);
    if (recorded !== null) {
      await (await this.#logs.follow(run.job_id, run.id, raw, generation, run.attempt)).stop();
      this.#discard(run.job_id, run.id);
      return { state: 'ended', exit: { exit_code: recorded, timed_out: false, task } };
    }
    if (pid === null || !isOurs(pid, dir)) {
      if (existsSync(raw.stdout) || existsSync(raw.stderr)) await (await this.#logs.follow(run.job_id, run.id, raw, generation, run.attempt)).stop();
      this.#discard(run.job_id, run.id);
      const reason = pid !== null || run.started_at ? 'its process is gone and recorded no exit status' : 'its container never started';
      return { state: 'unknown', reason };
    }
    // Still running: take it back, and watch for its end the only way left (it is no longer our child).
    this.#active.set(run.id, { pid, jobId: run.job_id });
    const follower = await this.#logs.follow(run.job_id, run.id, raw, generation, run.attempt);
    const exit = new Promise<ContainerExit>((resolve) => {
      const poll = setInterval(async () => {
        const code = readExit(dir);
        if (code === null && isOurs(pid, dir)) return;
        clearInterval(poll);
        const active = this.#active.get(run.id);
        clearTimeout(active?.graceTimer);
        this.#active.delete(run.id);
        this.#launcher.reap(run.id, pid); // what its main process left running goes with it
        await follower.stop();
        resolve({ exit_code: code ?? (active?.stopping ? signalExitCode(active.stopping) : null), timed_out: false, task, ...(code === null && !active?.stopping ? { error: 'its process ended without recording an exit status' } : {}) });
        this.#discard(run.job_id, run.id);
      }, RECOVERY_POLL_MS);
    });
    return { state: 'alive', exit };
  }

  /** A finished run's raw files and work dir: its output is in the log store now. */
  #discard(jobId: string, runId: string): void {
    // Moved aside at once (a retried attempt reuses the name), removed in the background: deleting a run that
    // wrote gigabytes takes long enough to stall every request if done on this thread.
    const dir = this.#dir(jobId, runId);
    const aside = join(this.#trashDir, `${runId}-${process.hrtime.bigint()}`);
    try {
      mkdirSync(this.#trashDir, { recursive: true });
      renameSync(dir, aside);
    } catch {
      return; // nothing there
    }
    void rm(aside, { recursive: true, force: true }).catch((error: Error) => this.#logger.warn('could not remove a finished run\'s files', { run_id: runId, error }));
  }

  /** Kills every container still running (the service is stopping) and waits until they are gone. */
  async stopAll(): Promise<void> {
    for (const [runId, active] of this.#active) this.#launcher.signal(runId, active.pid, 'SIGKILL');
    for (let waited = 0; this.#active.size > 0 && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  }
}

function readExit(dir: string): number | null {
  try {
    const text = readFileSync(join(dir, 'exit'), 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

/** The CPU seconds (user + system) of everything the wrapper's command ran, from the shell's `times`. */
function readChildCpuSeconds(dir: string): number | null {
  try {
    const durations = [...readFileSync(join(dir, 'times'), 'utf8').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    // Two lines: the shell's own user and system time, then its children's.
    return durations.length >= 4 ? (durations[2] as number) + (durations[3] as number) : null;
  } catch {
    return null;
  }
}

function readPid(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The pid still names our wrapper (pids are reused): its command line carries the run directory. */
function isOurs(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dir);
  } catch {
    return false;
  }
}
