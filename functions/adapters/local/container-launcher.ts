// A run's attempt as a container of its image, on podman or docker, made and started by one call of the engine's
// client (`run`, pulling its image if missing) that the runner's wrapper runs attached: its stdout and stderr
// reach the run's files as a host process's do, and the wrapper outlives a killed service. One call because each
// call of the client costs the engine's own start-up, on the same CPU the runs share. The client's exit status is
// the container's; its cgroup parent tells a kill for memory and keeps its CPU seconds; a client that failed
// before its container ran (125) has its error read from its output, and a pull that failed is said so. Ended
// containers are removed in batches, off the runs' path (one `rm` for many), and then their cgroups.
import { taskUnit, type ContainerSpec } from './container-runner.ts';
import { CgroupParent } from './cgroups.ts';
import { engineCommand, engineMessage, type Engine } from './engines.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../logger.ts';

/** What to do where an image cannot be pulled: most often, no registry is reachable from this machine. */
export const PULL_HINT =
  'if no registry is reachable from this machine, build the image here (`npm run example-image` builds ' +
  'localhost/jobs-busybox:1 for the examples; `podman build -t NAME .` any other), or run host processes ' +
  '(JOBS_RUNNER=process)';

/** ECS's words for an image that could not be pulled and for a container killed by its memory limit. */
export const CANNOT_PULL = 'CannotPullContainerError';
export const OUT_OF_MEMORY = 'OutOfMemoryError: Container killed due to memory usage';

/** Every container of the service carries these labels; `jobs.run-id` finds a run's containers. */
export const LABELS = {
  run: 'jobs.run-id',
  job: 'jobs.job-id',
  workspace: 'jobs.workspace-id',
  project: 'jobs.project-id',
  task: 'jobs.task-index',
  attempt: 'jobs.attempt',
} as const;

/** A task's attempt's container: jobs-<run id>-t<task index>-<attempt> (`unit` is taskUnit's). */
export function containerName(unit: string, attempt: number): string {
  return `jobs-${unit.toLowerCase()}-${attempt}`;
}

/** A container the engine knows of, as `inspect` describes it. */
interface Inspected {
  id: string;
  status: string;
  exitCode: number;
  oomKilled: boolean;
  pid: number;
  memoryBytes: number;
}

export interface EngineEnd {
  exit_code: number | null;
  error?: string;
  cpuSeconds: number | null;
  /** The container never ran (its client failed first: a pull, most often). */
  neverRan?: true;
}

interface Known {
  name: string;
  /** The engine's id, once the container is made (the client writes it); its name stands for it till then. */
  id: string | null;
  cgroup: CgroupParent | null;
  /** The memory limit, where known (it tells an out-of-memory kill from the cgroup). */
  memoryBytes: number | null;
  /** Started by `start --attach`, whose exit status is the container's (an `attach` answers 0 whatever it was). */
  clientExitIsContainers: boolean;
  /** The container's first process, for sampling where there is no cgroup parent. */
  pid: number | null;
  /** The engine secrets made for it, removed with it; null for one taken back after a restart (found by name). */
  secrets: string[] | null;
  /** Where the client writes the container's id once made (`--cidfile`). */
  cidFile: string | null;
  /** The pull's credentials, removed once the container runs (or ends). */
  authDir: string | null;
  /** Its image and the secret it was pulled with, for the words of a failed pull; null for one taken back. */
  image: string | null;
  credentials: string | null;
}

/** What a container taken back after a restart is not known by. */
const UNKNOWN_LAUNCH = { secrets: null, cidFile: null, authDir: null, image: null, credentials: null } as const;

/** The engine's states of a container that was made but never ran, and of one that runs or ran. */
const NOT_RAN = new Set(['created', 'configured', 'initialized']);
const RAN = new Set(['running', 'exited', 'stopped', 'stopping', 'paused']);

/** The id the client wrote once the container was made; null before. */
function readCid(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The engine's client, as the runner's wrapper runs it: arguments and environment. */
export interface Launch {
  argv: string[];
  env: NodeJS.ProcessEnv;
}

/** How a client that failed before its container ran (exit status 125) is told from a container that ran. */
export const ENGINE_FAILED = 125;

/** What the engine's client is run with besides what a call adds: where to find itself and its storage. */
const clientEnv = () => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
});

/** The variable an engine secret's value is handed to `secret create --env` in: never on a command line. */
const SECRET_VALUE_VARIABLE = 'JOBS_SECRET_VALUE';

/** The registry an image reference names (Docker Hub's when it names none). */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : 'docker.io';
}

/** Plain http is allowed to a registry on this machine's loopback only. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/**
 * `run`'s arguments: the image and command, limits, labels, and the env by name only (values travel apart);
 * `extra`: the engine secrets it is given and how its image is pulled. Pull progress is left out of the run's
 * output (`--quiet`); podman replaces a container of the same name a killed service left (docker has no flag).
 */
export function runArgs(
  engine: Engine,
  spec: ContainerSpec,
  cgroupParent: string | null,
  cidFile: string,
  extra: string[] = [],
  byValue: ReadonlySet<string> = new Set(),
): string[] {
  return [
    'run',
    '--quiet',
    ...(engine.name === 'podman' ? ['--replace'] : []),
    '--cidfile',
    cidFile,
    '--name',
    containerName(taskUnit(spec.run_id, spec.task_index), spec.attempt),
    '--label',
    `${LABELS.run}=${spec.run_id}`,
    '--label',
    `${LABELS.job}=${spec.job_id}`,
    '--label',
    `${LABELS.workspace}=${spec.workspace_id}`,
    '--label',
    `${LABELS.project}=${spec.project_id}`,
    '--label',
    `${LABELS.task}=${spec.task_index}`,
    '--label',
    `${LABELS.attempt}=${spec.attempt}`,
    // Swap as large as memory: the limit is the container's memory, as on Fargate.
    '--cpus',
    String(spec.cpu),
    '--memory',
    `${spec.memory_mb}m`,
    '--memory-swap',
    `${spec.memory_mb}m`,
    '--pull=missing',
    ...engine.hostFlags,
    ...(cgroupParent ? ['--cgroup-parent', cgroupParent] : []),
    ...(spec.network === 'none' ? ['--network', 'none'] : []),
    ...Object.keys(spec.env).flatMap((variable) => [
      '--env',
      byValue.has(variable) ? `${variable}=${spec.env[variable]}` : variable,
    ]),
    ...extra,
    spec.image,
    ...spec.command,
  ];
}

/** Whether the client's exit status and the cgroup say all there is to say of a container's end. */
function clientClaims(known: Known, clientExit: number | null): clientExit is number {
  return (
    known.clientExitIsContainers &&
    clientExit !== null &&
    clientExit !== 125 &&
    known.cgroup !== null &&
    known.memoryBytes !== null
  );
}

export class ContainerLauncher {
  readonly engine: Engine;
  readonly #logger: Logger;
  readonly #known = new Map<string, Known>();
  /** Ended containers waiting for the next batch `rm`, and that batch's work while it runs. */
  readonly #removals: Known[] = [];
  #removing: Promise<void> | null = null;

  constructor(engine: Engine, logger: Logger) {
    this.engine = engine;
    this.#logger = logger;
  }

  get kind(): Engine['name'] {
    return this.engine.name;
  }

  #command(args: string[], timeoutMs?: number, env?: NodeJS.ProcessEnv): Promise<string> {
    return engineCommand(this.engine.name, args, timeoutMs, env);
  }

  /**
   * Everything the attempt's container needs before the client runs (its engine secrets, the pull's
   * credentials), and the client's arguments and environment. `dir` is the attempt's own directory.
   */
  async prepare(spec: ContainerSpec, dir: string): Promise<Launch> {
    const unit = taskUnit(spec.run_id, spec.task_index);
    const name = containerName(unit, spec.attempt);
    const cgroup = this.engine.cgroups ? new CgroupParent(name, this.engine.cgroups) : null;
    const secrets = spec.secrets ?? {};
    // podman hands secrets to the container itself (never in its command or stored config); docker has secrets
    // only in swarm mode, so there they travel as the rest of the env does.
    const engineSecrets = this.engine.name === 'podman' ? secrets : {};
    const made: string[] = [];
    const pull = spec.registry_login ? this.#login(spec, name) : null;
    const extra: string[] = [];
    try {
      for (const [variable, value] of Object.entries(engineSecrets)) {
        const secret = `${name}-${variable.toLowerCase()}`;
        await this.#secret(secret, spec.run_id, value);
        made.push(secret);
        extra.push('--secret', `${secret},type=env,target=${variable}`);
      }
    } catch (error) {
      await this.#removeSecrets(made);
      if (pull) rmSync(pull.dir, { recursive: true, force: true });
      throw error;
    }
    if (pull) extra.push('--authfile', pull.authFile);
    // podman's flag (docker allows plain http to loopback registries by itself).
    if (this.engine.name === 'podman' && isLoopbackRegistry(registryOf(spec.image))) extra.push('--tls-verify=false');
    const cidFile = join(dir, 'container-id');
    rmSync(cidFile, { force: true }); // the client refuses to write over one (an earlier attempt's)
    this.#known.set(unit, {
      name,
      id: null,
      cgroup,
      pid: null,
      memoryBytes: spec.memory_mb * 1024 * 1024,
      clientExitIsContainers: true,
      secrets: made,
      cidFile,
      authDir: pull?.dir ?? null,
      image: spec.image,
      credentials: spec.registry_credentials ?? null,
    });
    // The client finds itself by its own PATH and HOME: a job's variable of such a name travels by value.
    const own = clientEnv();
    const byValue = new Set(Object.keys(spec.env).filter((variable) => variable in own));
    return {
      argv: [this.engine.name, ...runArgs(this.engine, spec, cgroup?.path ?? null, cidFile, extra, byValue)],
      env: { ...spec.env, ...(this.engine.name === 'podman' ? {} : secrets), ...own },
    };
  }

  /**
   * An engine secret holding `value`, named after its container (so one a killed service left is found again) and
   * labelled with its run for whoever lists the engine's secrets.
   */
  async #secret(secret: string, runId: string, value: string, again = true): Promise<void> {
    const args = ['secret', 'create', '--env', '--label', `${LABELS.run}=${runId}`, secret, SECRET_VALUE_VARIABLE];
    try {
      await this.#command(args, 30_000, { ...clientEnv(), [SECRET_VALUE_VARIABLE]: value });
    } catch (error) {
      if (!again || !/already in use|already exists/i.test((error as Error).message)) throw error;
      await this.#removeSecrets([secret]);
      await this.#secret(secret, runId, value, false);
    }
  }

  /** The engine secrets whose name starts with `prefix` (podman's only: docker is given none). */
  async #secretsNamed(prefix: string): Promise<string[]> {
    if (this.engine.name !== 'podman') return [];
    const text = await this.#command(['secret', 'ls', '--format', '{{.Name}}'], 30_000).catch(() => '');
    return text
      .split('\n')
      .map((line) => line.trim())
      .filter((name) => name.startsWith(prefix));
  }

  async #removeSecrets(secrets: string[]): Promise<void> {
    if (secrets.length === 0) return;
    await this.#command(['secret', 'rm', ...secrets], 30_000).catch((error: Error) =>
      this.#logger.warn('could not remove engine secrets', { secrets, error }),
    );
  }

  /**
   * The pull's credentials, in an auth file of the attempt's own (0600) that is gone once the container exists:
   * never on a command line, never in the engine's shared login.
   */
  #login(spec: ContainerSpec, name: string): { authFile: string; dir: string } {
    const { username, password } = spec.registry_login!;
    const dir = mkdtempSync(join(tmpdir(), `${name}-auth-`));
    const authFile = join(dir, 'auth.json');
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    writeFileSync(authFile, JSON.stringify({ auths: { [registryOf(spec.image)]: { auth } } }), { mode: 0o600 });
    return { authFile, dir };
  }

  /** After a restart, a container still running without its client: attached again (output from now on). */
  attachArgv(unit: string): string[] {
    return [this.engine.name, 'attach', '--no-stdin', '--sig-proxy=false', this.#require(unit).name];
  }

  /**
   * The container runs: its id (from the client's cid file), its first process where there is no cgroup parent
   * to sample, and the pull's credentials are no longer needed.
   */
  async started(unit: string): Promise<void> {
    const known = this.#known.get(unit);
    if (!known) return;
    this.#dropCredentials(known);
    if (known.cidFile && !known.id) known.id = readCid(known.cidFile);
    if (!known.cgroup) known.pid = (await this.#inspect(known.name))?.pid || null;
  }

  #dropCredentials(known: Known): void {
    if (known.authDir) rmSync(known.authDir, { recursive: true, force: true });
    known.authDir = null;
  }

  task(unit: string): string {
    const known = this.#require(unit);
    return known.id ?? known.name;
  }

  #require(unit: string): Known {
    const known = this.#known.get(unit);
    if (!known) throw new Error(`no container of task ${unit}`);
    return known;
  }

  /** A SIGTERM or SIGKILL to the container's main process; `failed` when the engine could not deliver it. */
  signal(unit: string, signal: NodeJS.Signals, failed?: () => void): void {
    const known = this.#known.get(unit);
    if (!known) return;
    this.#command(['kill', '--signal', signal, known.name], 30_000).catch((error: Error) => {
      // A container that has just ended can no longer be signalled: nothing to do.
      if (/not running|no such container|does not exist|is not running/i.test(error.message)) return;
      this.#logger.warn('could not signal a container', { task: unit, signal, error });
      failed?.();
    });
  }

  /** The engine's graceful stop: SIGTERM, then SIGKILL after the grace. */
  stop(unit: string, graceSeconds: number): void {
    const known = this.#known.get(unit);
    if (!known) return;
    this.#command(['stop', '--time', String(graceSeconds), known.name], (graceSeconds + 30) * 1000).catch(
      (error: Error) => {
        if (!/no such container|does not exist/i.test(error.message))
          this.#logger.warn('could not stop a container', { task: unit, error });
      },
    );
  }

  /** What the run's container uses now, for the metric samples. */
  measure(unit: string): { cgroup: CgroupParent } | { pid: number } | null {
    const known = this.#known.get(unit);
    if (!known) return null;
    if (known.cgroup) return { cgroup: known.cgroup };
    return known.pid ? { pid: known.pid } : null;
  }

  async #inspect(name: string): Promise<Inspected | null> {
    try {
      const format =
        '{{.Id}} {{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Pid}} {{.HostConfig.Memory}}';
      const text = await this.#command(['inspect', '--type', 'container', '--format', format, name], 30_000);
      const [id, status, exitCode, oomKilled, pid, memory] = text.trim().split(/\s+/);
      return {
        id: id!,
        status: status!,
        exitCode: Number(exitCode),
        oomKilled: oomKilled === 'true',
        pid: Number(pid),
        memoryBytes: Number(memory),
      };
    } catch (error) {
      if (/no such (container|object)|does not exist|no container with name/i.test((error as Error).message))
        return null;
      throw error;
    }
  }

  /**
   * The container's client has ended: how the container ended and what it used, then the container is removed
   * (in the background). `clientOutput` is the client's error output, read when it failed itself (125).
   */
  async finish(unit: string, clientExit: number | null = null, clientOutput = ''): Promise<EngineEnd> {
    const known = this.#known.get(unit);
    if (!known) return { exit_code: null, cpuSeconds: null };
    this.#dropCredentials(known);
    const reading = known.cgroup?.read();
    let end: EngineEnd;
    // The client's own status is the container's, and the cgroup tells a kill for memory: no need to ask (an
    // engine call costs a tenth of a second of CPU). 125 is the engine's own failure: asked.
    if (clientClaims(known, clientExit)) {
      const outOfMemory = clientExit === 137 && known.cgroup!.reachedMemoryLimit(known.memoryBytes!);
      this.#remove(unit);
      return {
        exit_code: clientExit,
        ...(outOfMemory ? { error: OUT_OF_MEMORY } : {}),
        cpuSeconds: reading?.cpuSeconds ?? null,
      };
    }
    try {
      const inspected = await this.#inspect(known.name);
      end =
        clientExit === ENGINE_FAILED && (!inspected || NOT_RAN.has(inspected.status))
          ? await this.#notRun(known, clientOutput)
          : !inspected
            ? { exit_code: null, error: 'the container is gone from the engine', cpuSeconds: null }
            : NOT_RAN.has(inspected.status)
              ? { exit_code: null, error: 'its container was made but never ran', cpuSeconds: null, neverRan: true }
              : inspected.status === 'running'
                ? {
                    exit_code: null,
                    error: `the container engine stopped answering for the container (${this.engine.name} left it running; it was killed)`,
                    cpuSeconds: null,
                  }
                : {
                    exit_code: inspected.exitCode,
                    ...(this.#outOfMemory(inspected, known) ? { error: OUT_OF_MEMORY } : {}),
                    cpuSeconds: null,
                  };
    } catch (error) {
      end = {
        exit_code: null,
        error: `the container engine stopped answering: ${(error as Error).message}`,
        cpuSeconds: null,
      };
    }
    if (!end.neverRan) end.cpuSeconds = reading?.cpuSeconds ?? null;
    this.#remove(unit);
    return end;
  }

  /** Why the client failed before its container ran, from its own words: an image that could not be pulled, said so. */
  async #notRun(known: Known, clientOutput: string): Promise<EngineEnd> {
    const message = engineMessage(clientOutput) || `${this.engine.name} run failed and said nothing`;
    const image = known.image;
    const said = (error: string): EngineEnd => ({ exit_code: null, error, cpuSeconds: null, neverRan: true });
    if (!image) return said(`the container could not be created: ${message}`);
    if (/unauthorized|authentication required|denied/i.test(message)) {
      const why = known.credentials
        ? `refused the credentials of ${known.credentials}`
        : "requires credentials (set the job's registry_credentials)";
      return said(`${CANNOT_PULL}: the registry ${registryOf(image)} ${why} for ${image}: ${message}`);
    }
    const present = await this.#command(['image', 'inspect', '--format', '{{.Id}}', image], 10_000).then(
      () => true,
      () => false,
    );
    return said(
      present ? `the container could not be created: ${message}` : `${CANNOT_PULL}: ${message}; ${PULL_HINT}`,
    );
  }

  /**
   * Resolves true once the attempt's container really runs (its process is in a cgroup of its own under the
   * run's parent, or the engine says so); false if `ended` says its client is gone first (a container that ran
   * for less than a look's interval included: its end tells which).
   */
  async running(unit: string, ended: () => boolean): Promise<boolean> {
    const known = this.#known.get(unit);
    for (let waited = 0; known && !ended() && waited < 15 * 60_000; ) {
      if (
        known.cgroup
          ? known.cgroup.hasMember()
          : RAN.has((await this.#inspect(known.name).catch(() => null))?.status ?? '')
      )
        return true;
      // Promptly for an image at hand; a pull that takes long is looked at less often.
      const pause = !known.cgroup ? 50 : waited < 2_000 ? 5 : 100;
      await new Promise((resolve) => setTimeout(resolve, pause));
      waited += pause;
    }
    return false;
  }

  /** Killed by the kernel for its memory: as the engine says, or, where it cannot tell, as the cgroup shows. */
  #outOfMemory(inspected: Inspected, known: Known): boolean {
    if (inspected.oomKilled) return true;
    return (
      inspected.exitCode === 137 &&
      inspected.memoryBytes > 0 &&
      (known.cgroup?.reachedMemoryLimit(inspected.memoryBytes) ?? false)
    );
  }

  /** Removes the task's container (killing it if it runs), its engine secrets and its cgroup parent, soon. */
  remove(unit: string): Promise<void> {
    this.#remove(unit);
    return this.drained();
  }

  #remove(unit: string): void {
    const known = this.#known.get(unit);
    if (!known) return;
    this.#known.delete(unit);
    this.#dropCredentials(known);
    this.#removals.push(known);
    this.#removing ??= this.#removeQueued().finally(() => {
      this.#removing = null;
    });
  }

  /** Resolves once every container handed for removal is gone. */
  async drained(): Promise<void> {
    while (this.#removing) await this.#removing;
  }

  /** One `rm` for every container queued meanwhile: the engine's start-up is paid once for many. */
  async #removeQueued(): Promise<void> {
    while (this.#removals.length > 0) {
      const batch = this.#removals.splice(0);
      const names = batch.map((known) => known.name);
      await this.#command(
        ['rm', '--force', ...(this.engine.name === 'podman' ? ['--ignore'] : []), ...names],
        60_000,
      ).catch((error: Error) => this.#logger.warn('could not remove containers', { containers: names, error }));
      const secrets: string[] = [];
      for (const known of batch) secrets.push(...(known.secrets ?? (await this.#secretsNamed(`${known.name}-`))));
      await this.#removeSecrets(secrets);
      for (const known of batch) {
        if (!known.cgroup) continue;
        // The engine's monitor leaves the cgroup a moment after the container is removed.
        for (let tries = 0; !known.cgroup.remove() && tries < 50; tries++)
          await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /**
   * After a restart, a run whose wrapper is gone: its container, if the engine still has it. Running, it is
   * taken back; ended, its recorded exit status settles it.
   */
  async find(unit: string, attempt: number): Promise<'running' | EngineEnd | null> {
    const name = containerName(unit, attempt);
    const inspected = await this.#inspect(name).catch(() => null);
    if (!inspected) return null;
    const cgroup = this.engine.cgroups ? new CgroupParent(name, this.engine.cgroups) : null;
    this.#known.set(unit, {
      name,
      id: inspected.id,
      cgroup,
      pid: inspected.pid || null,
      memoryBytes: inspected.memoryBytes || null,
      clientExitIsContainers: false,
      ...UNKNOWN_LAUNCH,
    });
    if (inspected.status === 'running') return 'running';
    return this.finish(unit);
  }

  /** Takes back a run's container whose wrapper still runs (after a restart). */
  adopt(unit: string, attempt: number, id: string | null): void {
    const name = containerName(unit, attempt);
    // Its wrapper's client was started by `run`: its recorded status is the container's.
    this.#known.set(unit, {
      name,
      id,
      cgroup: this.engine.cgroups ? new CgroupParent(name, this.engine.cgroups) : null,
      pid: null,
      memoryBytes: null,
      clientExitIsContainers: true,
      ...UNKNOWN_LAUNCH,
    });
  }

  /** Removes every container of the service whose run is not among `keep` (left by a service that was killed). */
  async removeLeftovers(keep: Set<string>): Promise<string[]> {
    const text = await this.#command(
      ['ps', '--all', '--filter', `label=${LABELS.run}`, '--format', '{{.Names}}'],
      30_000,
    ).catch(() => '');
    const kept = new Set([...keep].map((runId) => runId.toLowerCase()));
    // The name carries the run id: jobs-<run id>-t<task index>-<attempt>.
    const left = text
      .split('\n')
      .map((line) => line.trim())
      .filter((name) => /^jobs-run_/.test(name) && !kept.has(name.slice('jobs-'.length).replace(/-t\d+-\d+$/, '')));
    if (left.length > 0) await this.#command(['rm', '--force', ...left], 60_000).catch(() => undefined);
    // Engine secrets of runs no longer here (named after their container): their values go with them.
    const stale = (await this.#secretsNamed('jobs-run_')).filter(
      (name) => !kept.has(name.slice('jobs-'.length).replace(/-t\d+-\d+-[a-z0-9_]+$/, '')),
    );
    await this.#removeSecrets(stale);
    return left;
  }
}
