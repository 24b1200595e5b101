// What /proc says of a process: whether it is running, its command line, and this process's own limits. One
// reader of each, for the runner, the metric sampler, the data-dir hold and the connection limits alike.
import { readFileSync } from 'node:fs';

/** Whether a process is running (not gone, not a zombie); without /proc (not Linux), whether the pid exists. */
export function isRunning(pid: number): boolean {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT' || process.platform === 'linux') return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (signalError) {
      return (signalError as { code?: string }).code === 'EPERM';
    }
  }
}

/**
 * A process's command line, its arguments in order; null when the process is gone, and `unknown` when /proc
 * cannot be read now (out of file descriptors): a caller must not take that for gone.
 */
export function commandLine(pid: number): string[] | null | 'unknown' {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch (error) {
    return ['ENOENT', 'ESRCH'].includes((error as { code?: string }).code ?? '') ? null : 'unknown';
  }
}

/** One of this process's resource limits, soft and hard; null where unlimited or unknown. */
export function ownLimit(name: 'Max open files' | 'Max processes'): { soft: number | null; hard: number | null } {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(name));
    const [soft, hard] = line?.slice(name.length).trim().split(/\s+/) ?? [];
    const value = (text: string | undefined) => (text && /^\d+$/.test(text) ? Number(text) : null);
    return { soft: value(soft), hard: value(hard) };
  } catch {
    return { soft: null, hard: null };
  }
}
