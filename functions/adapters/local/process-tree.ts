// A run's processes, read from /proc: its process group and every descendant, including children that left
// the group. Used to stop a run completely and to measure what it uses.
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export { isRunning } from './proc.ts';

/** The pids of a process group and of all descendants of its leader, leader included. */
export function processTree(leader: number): number[] {
  return treeOf(leader, readProcesses()).map((p) => p.pid);
}

/**
 * Signals a process group and every descendant of its leader; returns how many processes it reached. The tree is
 * read before any signal: once a parent dies its children are re-parented, and one that left the group (setsid)
 * could no longer be found. With a `mark` (NAME=value in the environment every process of the run inherits) the
 * stop is thorough: processes carrying it are included, and for SIGKILL all are first frozen with SIGSTOP and
 * read again until none is added (nothing stopped can fork), then killed.
 */
export function signalTree(leader: number, signal: NodeJS.Signals, mark?: string): number {
  const read = () => {
    // Out of file descriptors, /proc cannot be read: the group is still signalled, which needs none.
    let tree: number[];
    try {
      tree = processTree(leader);
      return mark ? [...new Set([...tree, ...markedProcesses(mark)])] : tree;
    } catch {
      return [];
    }
  };
  let tree = read();
  if (signal === 'SIGKILL' && mark) {
    for (let pass = 0; pass < 5; pass++) {
      for (const pid of tree) trySignal(pid, 'SIGSTOP');
      const again = read();
      const known = new Set(tree);
      tree = [...tree, ...again.filter((pid) => !known.has(pid))];
      if (again.every((pid) => known.has(pid))) break;
    }
  }
  let reached = trySignal(-leader, signal) ? 1 : 0;
  for (const pid of tree) if (trySignal(pid, signal)) reached++;
  return reached;
}

/** Whether a process's environment (NUL-separated NAME=value entries) holds `needle` (the entry and its NUL). */
function carries(environ: Buffer, needle: Buffer): boolean {
  const at = environ.indexOf(needle);
  return at === 0 || (at > 0 && environ[at - 1] === 0);
}

/**
 * The processes whose environment carries `mark` (NAME=value): a run's processes inherit it, so this finds one
 * that left both the process group and the tree (a double fork, a daemon), which no parent link leads to.
 */
export function markedProcesses(mark: string): number[] {
  const needle = Buffer.from(`${mark}\0`);
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (carries(readFileSync(`/proc/${name}/environ`), needle)) found.push(Number(name));
    } catch {
      // exited, or not ours to read
    }
  }
  return found;
}

/**
 * Kills, in the background, whatever still carries the marks of runs that ended: one pass over /proc, with
 * asynchronous reads, serves every run that ended meanwhile, so 200 runs ending together cost one scan and
 * never hold up a request.
 */
export class MarkedProcessReaper {
  readonly #pending = new Set<string>();
  #sweeping: Promise<void> | undefined;

  reap(mark: string): void {
    this.#pending.add(mark);
    this.#begin();
  }

  #begin(): void {
    this.#sweeping ??= this.#sweep().catch(() => {
      // /proc could not be read (out of file descriptors): the marks stay queued, and are swept again soon.
      this.#sweeping = undefined;
      setTimeout(() => this.#begin(), 1_000).unref();
    });
  }

  /** Resolves when every mark queued so far has been swept. */
  async idle(): Promise<void> {
    while (this.#sweeping) await this.#sweeping;
  }

  async #sweep(): Promise<void> {
    while (this.#pending.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the runs ending together queue up
      const marks = [...this.#pending];
      const needles = marks.map((mark) => Buffer.from(`${mark}\0`));
      const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
      for (const mark of marks) this.#pending.delete(mark);
      for (let i = 0; i < pids.length; i += 64) {
        await Promise.all(
          pids.slice(i, i + 64).map(async (pid) => {
            const environ = await readFile(`/proc/${pid}/environ`).catch(() => null);
            if (environ && needles.some((needle) => carries(environ, needle))) trySignal(Number(pid), 'SIGKILL');
          }),
        );
      }
    }
    this.#sweeping = undefined;
  }
}

function trySignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // gone already, or (a negative pid) the group is empty
  }
}

/** One process as /proc/<pid>/stat describes it, with what it has used. */
export interface ProcessUsage {
  pid: number;
  ppid: number;
  pgrp: number;
  /** CPU seconds: its own (user + system) and its reaped children's. */
  cpuSeconds: number;
  rssBytes: number;
}

/** /proc counts CPU time in USER_HZ ticks, which the kernel's userspace ABI fixes at 100 per second. */
const CLOCK_TICKS = 100;

/** /proc counts resident memory in pages; their size (4 KiB, or 16/64 KiB on some arm64) is read off this process. */
const PAGE_BYTES = (() => {
  try {
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rssPages = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[21]);
    const estimate = (rssKiB * 1024) / rssPages;
    return [4096, 16384, 65536].reduce((best, size) =>
      Math.abs(size - estimate) < Math.abs(best - estimate) ? size : best,
    );
  } catch {
    return 4096;
  }
})();

/** Every live process, read once: a sampler builds every run's tree from one pass instead of one per run. */
export function readProcesses(): Map<number, ProcessUsage> {
  const processes = new Map<number, ProcessUsage>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z' || f[0] === 'X') continue;
      // After the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
      // utime(11) stime(12) cutime(13) cstime(14) priority nice threads itrealvalue starttime vsize rss(21)
      const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      processes.set(Number(name), {
        pid: Number(name),
        ppid: Number(f[1]),
        pgrp: Number(f[2]),
        cpuSeconds: ticks / CLOCK_TICKS,
        rssBytes: Number(f[21]) * PAGE_BYTES,
      });
    } catch {
      // exited while we looked
    }
  }
  return processes;
}

export function childrenOf(processes: Map<number, ProcessUsage>): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const p of processes.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  return children;
}

/** The processes of a run from a snapshot: its process group and every descendant of its leader. */
export function treeOf(
  leader: number,
  processes: Map<number, ProcessUsage>,
  children = childrenOf(processes),
): ProcessUsage[] {
  const found = new Map<number, ProcessUsage>();
  for (const p of processes.values()) if (p.pgrp === leader) found.set(p.pid, p);
  const queue = [leader];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    const self = processes.get(pid);
    if (self) found.set(pid, self);
    for (const child of children.get(pid) ?? []) if (!found.has(child)) queue.push(child);
  }
  return [...found.values()];
}
