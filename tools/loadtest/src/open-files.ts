import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Descriptors beyond the sockets: stdio, the event loop, log files, the DB pool. */
const SPARE_DESCRIPTORS = 256;

export interface OpenFilesCheck {
  soft: number;
  hard: number;
  needed: number;
  /** What was done or what the user must do, for the terminal and the report. */
  note: string;
  ok: boolean;
}

/** This process's open-files limits, from /proc/self/limits (Linux); undefined elsewhere. */
export function openFilesLimit(): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line?.match(/\d+|unlimited/g) ?? []).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
    return soft === undefined || hard === undefined ? undefined : { soft, hard };
  } catch {
    return undefined;
  }
}

/**
 * Makes sure this process may open one socket per connection. Node cannot call
 * setrlimit itself, so the soft limit is raised with util-linux `prlimit --pid`
 * on this very process (up to the hard limit, or beyond it as root).
 */
export function ensureOpenFiles(connections: number): OpenFilesCheck {
  const needed = connections + SPARE_DESCRIPTORS;
  const limit = openFilesLimit();
  if (limit === undefined) {
    return { soft: NaN, hard: NaN, needed, ok: true, note: 'open-files limit unknown on this system (no /proc/self/limits); check `ulimit -n`' };
  }
  if (limit.soft >= needed) {
    return { ...limit, needed, ok: true, note: `open files: limit ${limit.soft} covers ${connections} connections` };
  }
  const target = process.getuid?.() === 0 ? Math.max(needed, limit.hard) : limit.hard;
  if (target >= needed) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${Math.max(target, limit.hard)}`], { stdio: 'ignore' });
      const raised = openFilesLimit();
      if (raised !== undefined && raised.soft >= needed) {
        return { ...raised, needed, ok: true, note: `open files: raised the limit from ${limit.soft} to ${raised.soft} for ${connections} connections` };
      }
    } catch {
      // Fall through to the advice below.
    }
  }
  return {
    ...limit,
    needed,
    ok: false,
    note:
      `open files: ${connections} connections need about ${needed} descriptors but this process may open ${limit.soft} ` +
      `(hard limit ${limit.hard}) and could not raise it. Run \`ulimit -n ${needed}\` in this shell first ` +
      `(as root, or after raising the hard limit in /etc/security/limits.conf), or use fewer --connections.`,
  };
}

/**
 * The open-files limit to ask for in a child's own setrlimit (nginx's
 * worker_rlimit_nofile): above this process's hard limit it fails unless the
 * system lets the child raise that, which containers usually do not.
 */
export function openFilesCeiling(wanted: number): number {
  const limit = openFilesLimit();
  return limit === undefined ? wanted : Math.min(wanted, limit.hard);
}
