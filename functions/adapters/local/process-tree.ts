// A run's processes, read from /proc: its process group and every descendant, including children that left
// the group. Used to stop a run completely and to measure what it uses.
import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
}

/** A live process's ids; null for one that is gone or a zombie (dead, waiting only to be reaped). */
function readStat(pid: number): ProcStat | null {
  try {
    // The command name (field 2) may contain spaces and parentheses: parse from the last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return { pid, ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return null;
  }
}

/** Whether a process is running (not gone, not a zombie). */
export function isRunning(pid: number): boolean {
  return readStat(pid) !== null;
}

function allProcesses(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** The pids of a process group and of all descendants of its leader, leader included. */
export function processTree(leader: number): number[] {
  const processes = allProcesses();
  const children = new Map<number, number[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found = new Set<number>(processes.filter((p) => p.pgrp === leader).map((p) => p.pid));
  const queue = [leader];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (readStat(pid)) found.add(pid);
    for (const child of children.get(pid) ?? []) if (!found.has(child)) queue.push(child), found.add(child);
  }
  return [...found];
}

/** Signals a process group and every descendant of its leader; returns how many processes it reached. */
export function signalTree(leader: number, signal: NodeJS.Signals): number {
  let reached = 0;
  try {
    process.kill(-leader, signal);
    reached++;
  } catch {
    // the group is already empty
  }
  for (const pid of processTree(leader)) {
    try {
      process.kill(pid, signal);
      reached++;
    } catch {
      // gone in between
    }
  }
  return reached;
}
