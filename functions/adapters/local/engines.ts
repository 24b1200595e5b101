// Which container engine runs local runs: podman (preferred) or docker, when one answers; otherwise host
// processes. `JOBS_RUNNER` chooses (auto|podman|docker|process). What an engine needs on this host is found out
// here, once, not left to the user: an OCI runtime that works with the host's cgroups (crun refuses hybrid
// cgroups v1, where runc works), ulimits within the hard limits the service itself runs under (an engine's
// defaults can exceed them, and the container then fails to start), and whether a cgroup parent of the run's
// own can be given (the cgroupfs manager), from which a run's exact CPU seconds are read.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { cgroupVersion, type CgroupVersion } from './cgroups.ts';
import { ownLimit } from './proc.ts';

const run = promisify(execFile);

export type EngineName = 'podman' | 'docker';
export type RunnerChoice = 'auto' | EngineName | 'process';
export const RUNNER_CHOICES: readonly RunnerChoice[] = ['auto', 'podman', 'docker', 'process'];

/** JOBS_RUNNER names an engine that does not answer. */
export class RunnerUnavailableError extends Error {
  override name = 'RunnerUnavailableError';
}

/** What a container engine answered when asked, and what runs on it need. */
export interface Engine {
  name: EngineName;
  version: string;
  /** Flags every `create` takes on this host (runtime, ulimits). */
  hostFlags: string[];
  /** Set when runs get a cgroup parent of their own (cgroupfs manager). */
  cgroups: CgroupVersion | null;
}

export interface RunnerDecision {
  engine: Engine | null;
  /** Why this runner, in a sentence for the start log line. */
  why: string;
}

/** An engine command's output; fails with the engine's own message. */
export async function engineCommand(
  name: EngineName,
  args: string[],
  timeoutMs = 30_000,
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  try {
    const { stdout } = await run(name, args, {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
      ...(env ? { env } : {}),
    });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stderr?: string; killed?: boolean; code?: string | number };
    if (failed.killed) throw new Error(`${name} ${args[0]} did not answer within ${timeoutMs / 1000} s`);
    if (failed.code === 'ENOENT') throw new Error(`${name} is not installed`);
    throw new Error(engineMessage(failed.stderr) || failed.message);
  }
}

/** The engine's own words from its error output: its last `Error:` line, or its last line. */
export function engineMessage(stderr: string | undefined): string {
  const lines = (stderr ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = [...lines].reverse().find((l) => /^Error( response from daemon)?:/i.test(l)) ?? lines.at(-1) ?? '';
  return error.replace(/^Error( response from daemon)?:\s*/i, '');
}

/** Open files and processes a container may have: the engine's usual values, lowered to the host's hard limits. */
function ulimitFlags(): string[] {
  const files = Math.min(ownLimit('Max open files').hard ?? 1_048_576, 1_048_576);
  // A container's root is a user like any other for RLIMIT_NPROC; 4096 processes is ample for a job.
  const processes = Math.min(ownLimit('Max processes').hard ?? 4096, 4096);
  return ['--ulimit', `nofile=${files}:${files}`, '--ulimit', `nproc=${processes}:${processes}`];
}

const RUNC = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'];

async function probe(name: EngineName): Promise<Engine> {
  if (name === 'podman') {
    const info = JSON.parse(await engineCommand('podman', ['info', '--format', 'json'], 10_000)) as {
      host?: { cgroupManager?: string; cgroupVersion?: string; ociRuntime?: { name?: string } };
      version?: { Version?: string };
    };
    const version = cgroupVersion();
    const flags: string[] = [];
    // crun needs the unified hierarchy; on cgroups v1 (or hybrid) runc is the runtime that works.
    const runc = RUNC.find((path) => existsSync(path));
    if (version !== 'v2' && info.host?.ociRuntime?.name !== 'runc' && runc) flags.push('--runtime', runc);
    return {
      name,
      version: info.version?.Version ?? 'unknown',
      hostFlags: [...flags, ...ulimitFlags()],
      cgroups: info.host?.cgroupManager === 'cgroupfs' ? version : null,
    };
  }
  const info = JSON.parse(await engineCommand('docker', ['info', '--format', '{{json .}}'], 10_000)) as {
    ServerVersion?: string;
    CgroupDriver?: string;
  };
  if (!info.ServerVersion) throw new Error('no Docker engine answers');
  return {
    name,
    version: info.ServerVersion,
    hostFlags: ulimitFlags(),
    cgroups: info.CgroupDriver === 'cgroupfs' ? cgroupVersion() : null,
  };
}

/** The runner `choice` asks for: an engine that answers, or host processes (and, for `auto`, why). */
export async function chooseRunner(choice: RunnerChoice): Promise<RunnerDecision> {
  if (choice === 'process')
    return { engine: null, why: 'JOBS_RUNNER=process: runs are host processes and their images are not used' };
  if (choice !== 'auto') {
    const engine = await probe(choice).catch((error: Error) => {
      throw new RunnerUnavailableError(`JOBS_RUNNER=${choice}, but ${choice} does not answer: ${error.message}`);
    });
    return { engine, why: `JOBS_RUNNER=${choice}: runs are ${choice} containers of their images` };
  }
  const refusals: string[] = [];
  for (const name of ['podman', 'docker'] as const) {
    try {
      const engine = await probe(name);
      return { engine, why: `${name} ${engine.version} answers: runs are containers of their images` };
    } catch (error) {
      refusals.push(`${name}: ${(error as Error).message}`);
    }
  }
  return {
    engine: null,
    why: `no container engine answers (${refusals.join('; ')}): runs are host processes and their images are not used`,
  };
}
