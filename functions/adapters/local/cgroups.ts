// A container run's own cgroup parent: the engine is told to place the container (and its monitor, conmon, in a
// `conmon` child) under /jobs/<name>. The kernel charges CPU time to every ancestor, and an ancestor keeps it
// when the container's cgroup is removed at its end, so the parent still holds the container's exact CPU seconds
// after it exited: what `usage` reports. While it runs, the same files give the metric samples. cgroups v1 and
// v2 are both read; on a host whose engine manages cgroups through systemd there is no such parent (null).
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';
const MONITOR = 'conmon';

export interface CgroupReading {
  cpuSeconds: number;
  /** Resident memory (anonymous plus mapped file pages), as a process's RSS counts it. */
  memoryBytes: number;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function stat(text: string | null, name: string): number {
  const match = text?.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  return match ? Number(match[1]) : 0;
}

export type CgroupVersion = 'v1' | 'v2';

/** Where cgroups v1 accounts CPU time: its own hierarchy, or one shared with cpu. */
function cpuHierarchy(): string {
  return existsSync(join(ROOT, 'cpuacct')) ? 'cpuacct' : 'cpu,cpuacct';
}

export function cgroupVersion(): CgroupVersion | null {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) return 'v2';
  if (existsSync(join(ROOT, 'cpuacct')) || existsSync(join(ROOT, 'cpu,cpuacct'))) return 'v1';
  return null;
}

export class CgroupParent {
  /** The path the engine is given (`--cgroup-parent`). */
  readonly path: string;
  readonly #version: CgroupVersion;

  constructor(name: string, version: CgroupVersion) {
    this.path = `/jobs/${name}`;
    this.#version = version;
  }

  #reading(dir: string): CgroupReading | null {
    if (this.#version === 'v2') {
      const cpu = read(join(ROOT, dir, 'cpu.stat'));
      if (cpu === null) return null;
      const memory = read(join(ROOT, dir, 'memory.stat'));
      return {
        cpuSeconds: stat(cpu, 'usage_usec') / 1e6,
        memoryBytes: stat(memory, 'anon') + stat(memory, 'file_mapped'),
      };
    }
    const usage = read(join(ROOT, cpuHierarchy(), dir, 'cpuacct.usage'));
    if (usage === null) return null;
    const memory = read(join(ROOT, 'memory', dir, 'memory.stat'));
    return {
      cpuSeconds: Number(usage.trim()) / 1e9,
      memoryBytes: stat(memory, 'total_rss') + stat(memory, 'total_mapped_file'),
    };
  }

  /** What the container has used (CPU seconds in all) and holds now, its monitor's share taken out. */
  read(): CgroupReading | null {
    const all = this.#reading(this.path);
    if (!all) return null;
    const monitor = this.#reading(join(this.path, MONITOR)) ?? { cpuSeconds: 0, memoryBytes: 0 };
    return {
      cpuSeconds: Math.max(0, all.cpuSeconds - monitor.cpuSeconds),
      memoryBytes: Math.max(0, all.memoryBytes - monitor.memoryBytes),
    };
  }

  /**
   * Whether the container was killed for its memory: the kernel's OOM kill count where cgroups v2 keeps one
   * for the subtree, else its peak having reached its limit (v1 counts kills only against a cgroup's own limit,
   * which the parent does not have).
   */
  reachedMemoryLimit(limitBytes: number): boolean {
    if (this.#version === 'v2') {
      if (stat(read(join(ROOT, this.path, 'memory.events')), 'oom_kill') > 0) return true;
      const peak = Number(read(join(ROOT, this.path, 'memory.peak'))?.trim() ?? 0);
      return peak >= limitBytes * 0.95;
    }
    const peak = Number(read(join(ROOT, 'memory', this.path, 'memory.max_usage_in_bytes'))?.trim() ?? 0);
    const monitor = Number(read(join(ROOT, 'memory', this.path, MONITOR, 'memory.max_usage_in_bytes'))?.trim() ?? 0);
    return peak - monitor >= limitBytes * 0.95;
  }

  /** Whether a process of the container itself (not its monitor) is in the parent's subtree yet. */
  hasMember(): boolean {
    const base = this.#version === 'v2' ? join(ROOT, this.path) : join(ROOT, cpuHierarchy(), this.path);
    try {
      return readdirSync(base, { withFileTypes: true }).some(
        (entry) =>
          entry.isDirectory() &&
          entry.name !== MONITOR &&
          (read(join(base, entry.name, 'cgroup.procs')) ?? '').trim() !== '',
      );
    } catch {
      return false;
    }
  }

  /** Removes the parent (its monitor's child first) in every hierarchy; false while something still lives in it. */
  remove(): boolean {
    const hierarchies = this.#version === 'v2' ? [ROOT] : readdirSync(ROOT).map((name) => join(ROOT, name));
    let removed = true;
    for (const hierarchy of hierarchies) {
      for (const dir of [join(hierarchy, this.path, MONITOR), join(hierarchy, this.path)]) {
        try {
          rmdirSync(dir);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') removed = false;
        }
      }
    }
    return removed;
  }
}
