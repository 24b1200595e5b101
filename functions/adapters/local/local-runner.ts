// The local Runner: each run's attempt is a container of its image when a container engine answers (podman or
// docker, see engines.ts), otherwise a host process (the image is then ignored, and the run's backend says
// `process`). Either way its command is started through a small shell wrapper, detached in its own process
// group, that sends stdout and stderr to files and records the exit status in a file: so output survives the
// service, and a run can outlive the service and be re-attached when it comes back. For a container the
// wrapper's command is the engine's client, making and running the attempt's container in one call.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  taskIndexOfUnit,
  taskUnit,
  type ContainerExit,
  type ContainerRunner,
  type ContainerSpec,
  type Recovered,
  type RecoveredTask,
} from './container-runner.ts';
import {
  type ContainerLauncher,
  containerName,
  ENGINE_FAILED,
  type Launch,
  OUT_OF_MEMORY,
} from './container-launcher.ts';
import type { SampledRun } from './metric-sampler.ts';
import { signalExitCode, taskVariables, type Run } from '../../core/run-model.ts';
import type { Logger } from '../../logger.ts';
import type { Follower, LocalLogStore } from './log-store.ts';
import { Background } from './background.ts';
import { commandLine } from './proc.ts';
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
 * The exit status is written over a file made before the command starts: a run that fills the disk can still
 * record how it ended (writing over bytes already on disk, and a rename, need no free space).
 */
function reserveExitFile(): string {
  return `printf '    \\n' >"$dir/exit.tmp" 2>/dev/null; `;
}

/**
 * $1 is the run directory; the rest is the command. The exit status lands in <dir>/exit, atomically. The no-op
 * trap keeps the wrapper alive through a graceful stop's SIGTERM (POSIX defers it until the foreground command
 * ends) while the command, which gets default dispositions back on exec, receives the signal as a container's
 * main process would; so the command's own exit status is still recorded.
 */
const WRAPPER =
  `dir=$1; shift; trap : TERM INT; ${lowerAutogroupPriority()}${reserveExitFile()}` +
  `"$@" >>"$dir/stdout" 2>>"$dir/stderr"; code=$?; times >"$dir/times" 2>/dev/null; ` +
  `printf '%-4s\\n' "$code" 1<>"$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"; exit $code`;
const RECOVERY_POLL_MS = 200;
const TOMBSTONE_SUFFIX = '.exit';
/** Long past the moment an attempt's end takes to be written, however slow the table is then. */
const TOMBSTONE_MS = 10 * 60_000;
/** Why a job with network none cannot run here (said at create, and by a run after a restart without an engine). */
export const NONE_NEEDS_AN_ENGINE =
  'none needs a container engine (podman or docker): this service runs jobs as host processes, which share its network';

/** What a host process gets from the service's environment, before the job's own variables. */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

/**
 * Set on every host process of a task (after the job's own variables, so it cannot be replaced): every process
 * the task starts inherits it, so a cancel finds even those that left the process group and the tree, and the end
 * of one task never touches another's.
 */
export const TASK_ID_VARIABLE = 'JOBS_TASK_ID';
const taskMark = (unit: string) => `${TASK_ID_VARIABLE}=${unit}`;
const reaper = new MarkedProcessReaper();

/** What a task's command finds in its environment besides the job's own: which run, task and attempt it is. */
export function runVariables(
  spec: Pick<ContainerSpec, 'run_id' | 'attempt' | 'task_index' | 'task_count'>,
): Record<string, string> {
  return taskVariables(spec.run_id, { index: spec.task_index, count: spec.task_count }, spec.attempt);
}

/** A host process's environment: a few of the service's variables, the job's, then the run's (which win). */
export function processEnv(spec: ContainerSpec): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(INHERITED.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]])),
    ...spec.env,
    ...spec.secrets,
    ...runVariables(spec),
    [TASK_ID_VARIABLE]: taskUnit(spec.run_id, spec.task_index),
  };
}

/** How an attempt ended, as its container or process tree tells. */
interface Ended {
  exit_code: number | null;
  error?: string;
  cpuSeconds: number | null;
  /** A container whose client failed before it ran. */
  neverRan?: true;
}

interface Active {
  pid: number;
  runId: string;
  index: number;
  jobId: string;
  /** The attempt's container, when the run is one (on this runner's engine). */
  container: boolean;
  /** A container not seen running yet (its client may still be pulling the image): nothing to stop but the client. */
  starting?: true;
  stopping?: NodeJS.Signals;
  graceTimer?: NodeJS.Timeout;
}

export class LocalRunner implements ContainerRunner {
  readonly kind: ContainerRunner['kind'];
  /** The container engine's side of runs; null where runs are host processes. */
  readonly #engine: ContainerLauncher | null;
  readonly #runsDir: string;
  /** Where finished runs' directories wait to be removed: one folder per service start. */
  readonly #trashDir: string;
  readonly #logs: LocalLogStore;
  readonly #logger: Logger;
  readonly #background: Background;
  /** Each task running now, by its unit (taskUnit). */
  readonly #active = new Map<string, Active>();
  /** Tasks whose container is being created, and whether a stop came meanwhile. */
  readonly #creating = new Map<string, { runId: string; stopped: boolean }>();

  readonly #onFinished:
    | ((runId: string, taskIndex: number, pid: number, cpuSeconds: number | null) => void)
    | undefined;

  constructor(options: {
    dataDir: string;
    logs: LocalLogStore;
    logger: Logger;
    /** Runs become containers on this engine; without one, host processes. */
    engine?: ContainerLauncher | null;
    /** Told when an attempt ends, with the CPU seconds it used (its cgroup's, or its shell's report). */
    onFinished?: (runId: string, taskIndex: number, pid: number, cpuSeconds: number | null) => void;
  }) {
    this.#onFinished = options.onFinished;
    this.#engine = options.engine ?? null;
    this.kind = this.#engine?.kind ?? 'process';
    this.#runsDir = join(options.dataDir, 'runs');
    this.#logs = options.logs;
    this.#logger = options.logger;
    this.#background = new Background(options.logger);
    const trash = join(this.#runsDir, '.discarded');
    this.#trashDir = join(trash, `${Date.now()}-${process.pid}`);
    // What an earlier service moved aside but had no time to remove (it was killed): removed in the background.
    if (existsSync(trash))
      for (const name of readdirSync(trash))
        void rm(join(trash, name), { recursive: true, force: true }).catch(() => undefined);
  }

  #dir(jobId: string, unit: string): string {
    return join(this.#runsDir, jobId, unit);
  }

  /** The runs running now, for the metric sampler: a host process's tree, or a container's cgroup or process. */
  activeProcesses(): SampledRun[] {
    const active: SampledRun[] = [];
    for (const [unit, run] of this.#active) {
      const ids = { run_id: run.runId, task_index: run.index, job_id: run.jobId };
      if (!run.container) {
        active.push({ ...ids, pid: run.pid });
        continue;
      }
      const measured = this.#engine?.measure(unit);
      if (measured && 'cgroup' in measured) active.push({ ...ids, pid: run.pid, cgroup: measured.cgroup });
      else if (measured) active.push({ ...ids, pid: measured.pid });
    }
    return active;
  }

  async run(spec: ContainerSpec, started: (task: string) => Promise<void>): Promise<ContainerExit> {
    const unit = taskUnit(spec.run_id, spec.task_index);
    const dir = this.#dir(spec.job_id, unit);
    mkdirSync(join(dir, 'work'), { recursive: true });
    rmSync(join(dir, 'exit'), { force: true }); // a retried attempt starts afresh
    if (!this.#engine) {
      // Created under a container engine, run after a restart without one: it is not run on the host's network.
      if (spec.network === 'none')
        return { exit_code: null, timed_out: false, error: `network ${NONE_NEEDS_AN_ENGINE}`, task: null };
      return this.#start(spec, dir, spec.command, processEnv(spec), false, started);
    }

    const engine = this.#engine;
    const creating = { runId: spec.run_id, stopped: false };
    this.#creating.set(unit, creating);
    let launch: Launch;
    try {
      launch = await engine.prepare({ ...spec, env: { ...spec.env, ...runVariables(spec) } }, dir);
    } catch (error) {
      const reason = `the container engine failed: ${(error as Error).message}`;
      return { exit_code: null, timed_out: false, error: reason, task: null };
    } finally {
      this.#creating.delete(unit);
    }
    if (creating.stopped) {
      await engine.remove(unit);
      return { exit_code: null, timed_out: false, error: 'stopped before its container started', task: null };
    }
    return this.#start(spec, dir, launch.argv, launch.env, true, started);
  }

  #task(unit: string, pid: number, container: boolean): string {
    return container && this.#engine ? this.#engine.task(unit) : `pid ${pid}`;
  }

  /** Starts the wrapper around `argv`, and resolves with the attempt's end. */
  #start(
    spec: ContainerSpec,
    dir: string,
    argv: string[],
    env: NodeJS.ProcessEnv,
    container: boolean,
    started: (task: string) => Promise<void>,
  ): Promise<ContainerExit> {
    // Runs at a lower priority than the service: a job that saturates the machine slows itself, not the API.
    const unit = taskUnit(spec.run_id, spec.task_index);
    const [command, ...args] = [
      'nice',
      '-n',
      String(RUN_NICENESS),
      '/bin/sh',
      '-c',
      WRAPPER,
      'jobs-run',
      dir,
      ...argv,
    ] as [string, ...string[]];
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd: join(dir, 'work'), env, detached: true, stdio: 'ignore' });
    } catch (error) {
      return Promise.resolve({
        exit_code: null,
        timed_out: false,
        error: `could not start: ${(error as Error).message}`,
        task: null,
      });
    }

    return new Promise((resolve) => {
      let startedWrite: Promise<void> = Promise.resolve();
      // How the attempt ended, known before its start is told: a container whose client failed first never ran.
      let endKnown!: (end: Ended) => void;
      const ending = new Promise<Ended>((settle) => {
        endKnown = settle;
      });
      let follower: Promise<Follower | null> = Promise.resolve(null);
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      child.once('error', (error) =>
        resolve({ exit_code: null, timed_out: false, error: `could not start: ${error.message}`, task: null }),
      );
      child.once('spawn', () => {
        const pid = child.pid as number;
        this.#active.set(unit, {
          pid,
          runId: spec.run_id,
          index: spec.task_index,
          jobId: spec.job_id,
          container,
          ...(container ? { starting: true as const } : {}),
        });
        // What a restarted service needs to take the task back; a full disk only costs it that.
        this.#background.run("recording a run's process", () => {
          writeFileSync(join(dir, 'pid'), String(pid));
          writeFileSync(join(dir, 'attempt'), String(spec.attempt));
        });
        follower = this.#logs
          .follow(
            spec.job_id,
            spec.run_id,
            { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') },
            String(pid),
            spec.attempt,
            spec.task_index,
            spec.masks,
          )
          .catch((error: unknown) => {
            this.#background.report("following a run's output (it stays in the raw files)", error);
            return null;
          });
        timer = setTimeout(() => {
          timedOut = true;
          this.#signal(unit, 'SIGKILL');
        }, spec.timeout_seconds * 1000);
        // A container runs once the engine has started it, not when its client does.
        const running =
          container && this.#engine ? this.#engine.running(unit, () => !this.#active.has(unit)) : Promise.resolve(true);
        startedWrite = running
          .then(async (ran) => {
            const active = this.#active.get(unit);
            if (ran && active) delete active.starting;
            if (!ran && (await ending).neverRan) return;
            if (container) await this.#engine?.started(unit).catch(() => undefined);
            await started(this.#task(unit, pid, container));
          })
          .catch((error: Error) => {
            this.#logger.error('could not record that a run started', { run_id: spec.run_id, error });
          });
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const pid = child.pid as number;
        const task = this.#task(unit, pid, container);
        // The attempt's end is settled from its exit status whatever else fails here (its log, a full disk).
        void (async () => {
          const { end, active } = await this.#release(unit, pid, dir, container);
          // A container stopped while its client was still starting it never ran, whatever the client said.
          const cut = active?.starting && (active.stopping || timedOut);
          const neverRan = end.neverRan || cut ? true : undefined;
          endKnown({ ...end, neverRan });
          await (await follower)?.stop();
          await startedWrite;
          if (neverRan) {
            const error = cut
              ? `${timedOut ? 'timed out' : 'stopped'} before its container started`
              : (end.error ?? 'it never ran');
            resolve({ exit_code: null, timed_out: timedOut, task: null, error });
            this.#discard(spec.job_id, unit);
            return;
          }
          const exitCode = end.exit_code ?? readExit(dir) ?? (signal ? signalExitCode(signal) : code);
          this.#onFinished?.(spec.run_id, spec.task_index, pid, end.cpuSeconds);
          // A container the service killed (cancel, timeout) near its memory limit was not killed for its memory.
          const error = end.error === OUT_OF_MEMORY && (timedOut || active?.stopping) ? undefined : end.error;
          resolve({ exit_code: exitCode, timed_out: timedOut, task, ...(error ? { error } : {}) });
          this.#discard(spec.job_id, unit);
        })();
      });
    });
  }

  /** A task's main process has ended: what it left is stopped and read back, and the task is no longer active. */
  async #release(
    unit: string,
    pid: number,
    dir: string,
    container: boolean,
  ): Promise<{ end: Ended; active: Active | undefined }> {
    const end = await this.#ended(unit, pid, dir, container).catch((error: unknown): Ended => {
      this.#background.report('reading how a run ended', error);
      return { exit_code: null, cpuSeconds: null };
    });
    const active = this.#active.get(unit);
    clearTimeout(active?.graceTimer);
    this.#active.delete(unit);
    return { end, active };
  }

  /**
   * An attempt's main process has ended. Like a container's end, whatever it left running goes with it; a
   * container is read back from its engine (exit status, out of memory, CPU seconds) and removed.
   */
  async #ended(unit: string, pid: number, dir: string, container: boolean): Promise<Ended> {
    if (container && this.#engine) {
      const exit = readExit(dir);
      return this.#engine.finish(unit, exit, exit === ENGINE_FAILED ? readTail(join(dir, 'stderr')) : '');
    }
    signalTree(pid, 'SIGKILL'); // the group and the tree, at once
    reaper.reap(taskMark(unit)); // what escaped both, in the background
    return { exit_code: null, cpuSeconds: readChildCpuSeconds(dir) };
  }

  #signal(unit: string, signal: NodeJS.Signals): void {
    const active = this.#active.get(unit);
    if (!active) return;
    // Before the container runs there is only its client to stop: killed, it leaves at most a container made but
    // not started, which its end removes.
    if (active.container && active.starting) signalTree(active.pid, 'SIGKILL');
    // An engine that does not answer a kill has its client killed: the task then ends, saying so, not hangs.
    else if (active.container && this.#engine)
      this.#engine.signal(unit, signal, signal === 'SIGKILL' ? () => signalTree(active.pid, 'SIGKILL') : undefined);
    else signalTree(active.pid, signal, taskMark(unit));
  }

  /** Stops every task of the run at once. */
  async stop(runId: string, mode: 'graceful' | 'force', graceSeconds: number): Promise<void> {
    for (const creating of this.#creating.values()) if (creating.runId === runId) creating.stopped = true;
    for (const [unit, active] of this.#active)
      if (active.runId === runId) this.#stopTask(unit, active, mode, graceSeconds);
  }

  #stopTask(unit: string, active: Active, mode: 'graceful' | 'force', graceSeconds: number): void {
    if (mode === 'force' || graceSeconds <= 0) {
      active.stopping = 'SIGKILL';
      this.#signal(unit, 'SIGKILL');
      return;
    }
    active.stopping = 'SIGTERM';
    if (active.container && this.#engine && !active.starting) {
      this.#engine.stop(unit, graceSeconds); // the engine's own: SIGTERM, then SIGKILL after the grace
      return;
    }
    this.#signal(unit, 'SIGTERM');
    active.graceTimer = setTimeout(() => this.#signal(unit, 'SIGKILL'), graceSeconds * 1000);
  }

  async recover(run: Run, masks: readonly string[] = []): Promise<RecoveredTask[]> {
    const jobDir = join(this.#runsDir, run.job_id);
    const indexes = existsSync(jobDir)
      ? [
          ...new Set(
            readdirSync(jobDir)
              .map((name) => taskIndexOfUnit(name.replace(TOMBSTONE_SUFFIX, ''), run.id))
              .filter((index) => index !== null),
          ),
        ]
      : [];
    const found: RecoveredTask[] = [];
    for (const index of indexes.sort((a, b) => a - b))
      found.push({ index, ...(await this.#recoverTask(run, index, masks)) });
    return found;
  }

  async #recoverTask(run: Run, index: number, masks: readonly string[]): Promise<Recovered> {
    const unit = taskUnit(run.id, index);
    const dir = this.#dir(run.job_id, unit);
    // Discarded a moment before the service stopped, before its end was recorded: its exit status was kept.
    const kept = existsSync(dir) ? null : readExitFile(tombstone(dir));
    if (kept !== null) {
      rmSync(tombstone(dir), { force: true });
      const task = run.tasks.count === 1 ? run.backend.task : null;
      return { state: 'ended', exit: { exit_code: kept, timed_out: false, task } };
    }
    const raw = { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') };
    const pid = readPid(dir);
    const attempt = readNumber(join(dir, 'attempt')) ?? run.attempt;
    // A container of this runner's engine is read back from the engine; any other run by its wrapper alone.
    const container = this.#engine !== null && run.backend.runner === this.kind;
    const known = run.tasks.count === 1 ? run.backend.task : null;
    const task = container ? (known ?? containerName(unit, attempt)) : pid ? `pid ${pid}` : known;
    if (container) this.#engine!.adopt(unit, attempt, known);
    const recorded = readExit(dir);
    const generation = String(pid);
    const follow = () => this.#logs.follow(run.job_id, run.id, raw, generation, attempt, index, masks);
    if (recorded !== null) {
      await (await follow()).stop();
      const end = container ? await this.#engine!.finish(unit) : null;
      this.#discard(run.job_id, unit);
      return {
        state: 'ended',
        exit: {
          exit_code: end?.exit_code ?? recorded,
          timed_out: false,
          task,
          ...(end?.error ? { error: end.error } : {}),
        },
      };
    }
    if (pid === null || !isOurs(pid, dir)) {
      if (existsSync(raw.stdout) || existsSync(raw.stderr)) await (await follow()).stop();
      // The wrapper is gone, but the engine may still have the container: running, it is attached again.
      const found = container ? await this.#engine!.find(unit, attempt) : null;
      if (found === 'running') {
        // The orchestrator times it.
        const spec = {
          run_id: run.id,
          job_id: run.job_id,
          task_index: index,
          task_count: run.tasks.count,
          attempt,
          timeout_seconds: 24 * 3600,
        } as ContainerSpec;
        mkdirSync(join(dir, 'work'), { recursive: true });
        const exit = this.#start(
          spec,
          dir,
          this.#engine!.attachArgv(unit),
          { PATH: process.env.PATH, HOME: process.env.HOME },
          true,
          async () => undefined,
        );
        return { state: 'alive', exit };
      }
      this.#discard(run.job_id, unit);
      if (found)
        return {
          state: 'ended',
          exit: { exit_code: found.exit_code, timed_out: false, task, ...(found.error ? { error: found.error } : {}) },
        };
      const reason =
        pid !== null || run.started_at
          ? 'its process is gone and recorded no exit status'
          : 'its container never started';
      return { state: 'unknown', reason };
    }
    // Still running: take it back, and watch for its end the only way left (it is no longer our child).
    this.#active.set(unit, { pid, runId: run.id, index, jobId: run.job_id, container });
    const follower = await follow();
    const exit = new Promise<ContainerExit>((resolve) => {
      const poll = setInterval(async () => {
        const code = readExit(dir);
        if (code === null && isOurs(pid, dir)) return;
        clearInterval(poll);
        const { end, active } = await this.#release(unit, pid, dir, container);
        await follower.stop();
        const exitCode = end.exit_code ?? code ?? (active?.stopping ? signalExitCode(active.stopping) : null);
        const error =
          end.error ?? (exitCode === null ? 'its process ended without recording an exit status' : undefined);
        resolve({ exit_code: exitCode, timed_out: false, task, ...(error ? { error } : {}) });
        this.#discard(run.job_id, unit);
      }, RECOVERY_POLL_MS);
    });
    return { state: 'alive', exit };
  }

  /** After recovery: removes every container of the service no active run owns (left by a killed service). */
  async removeLeftovers(activeRunIds: Set<string>): Promise<string[]> {
    return this.#engine ? this.#engine.removeLeftovers(activeRunIds) : [];
  }

  /** A finished task's raw files and work dir: its output is in the log store now. */
  #discard(jobId: string, unit: string): void {
    // Moved aside at once (a retried attempt reuses the name), removed in the background: deleting a run that
    // wrote gigabytes takes long enough to stall every request if done on this thread.
    const dir = this.#dir(jobId, unit);
    // Its exit status stays beside it until its end is surely recorded (see tombstone()).
    try {
      copyFileSync(join(dir, 'exit'), tombstone(dir));
      setTimeout(() => void rm(tombstone(dir), { force: true }).catch(() => undefined), TOMBSTONE_MS).unref();
    } catch {
      // no exit status to keep
    }
    const aside = join(this.#trashDir, `${unit}-${process.hrtime.bigint()}`);
    try {
      mkdirSync(this.#trashDir, { recursive: true });
      renameSync(dir, aside);
    } catch {
      return; // nothing there
    }
    void rm(aside, { recursive: true, force: true }).catch((error: Error) =>
      this.#logger.warn("could not remove a finished run's files", { task: unit, error }),
    );
  }

  /** Kills every container still running (the service is stopping) and waits until they are gone. */
  async stopAll(): Promise<void> {
    for (const creating of this.#creating.values()) creating.stopped = true;
    for (const unit of this.#active.keys()) this.#signal(unit, 'SIGKILL');
    // Each ended container is handed for removal before its run leaves the active set: once those removals are
    // done, none is left behind.
    for (let waited = 0; (this.#active.size > 0 || this.#creating.size > 0) && waited < 20_000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    await this.#engine?.drained();
  }
}

/** The last few kilobytes of a file (an engine client's error output): where its own words are. */
function readTail(path: string, bytes = 8192): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(bytes, size));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readExit(dir: string): number | null {
  return readExitFile(join(dir, 'exit'));
}

/**
 * A finished attempt's exit status kept beside its run directory once that is discarded: the attempt's end is
 * written to the table a moment after, and a service killed in that moment finds it here at its next start.
 */
function tombstone(dir: string): string {
  return `${dir}${TOMBSTONE_SUFFIX}`;
}

function readExitFile(file: string): number | null {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

/** The CPU seconds (user + system) of everything the wrapper's command ran, from the shell's `times`. */
function readChildCpuSeconds(dir: string): number | null {
  try {
    const durations = [...readFileSync(join(dir, 'times'), 'utf8').matchAll(/(\d+)m([\d.]+)s/g)].map(
      (m) => Number(m[1]) * 60 + Number(m[2]),
    );
    // Two lines: the shell's own user and system time, then its children's.
    return durations.length >= 4 ? (durations[2] as number) + (durations[3] as number) : null;
  } catch {
    return null;
  }
}

function readPid(dir: string): number | null {
  return readNumber(join(dir, 'pid'));
}

function readNumber(path: string): number | null {
  try {
    const value = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

/** The pid still names our wrapper (pids are reused): its command line carries the run directory. */
function isOurs(pid: number, dir: string): boolean {
  const argv = commandLine(pid);
  // Not known now (out of file descriptors): taken to be still running, and looked at again.
  return argv === 'unknown' || (argv?.includes(dir) ?? false);
}
