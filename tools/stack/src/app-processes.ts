import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeFlagsFor } from '@formscale/config';

export interface AppSpec {
  name: string;
  command: string;
  args: string[];
  /** What people open, printed once everything is up. */
  url: string;
  /** Answers 200 once the process can serve. */
  readyUrl: string;
  env: Record<string, string>;
}

export interface AppProcess {
  spec: AppSpec;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** A Node app of this repo, built by nx into dist/apps/<name>/main.js. */
export function nodeAppSpec(name: string, port: number, env: Record<string, string>): AppSpec {
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    command: process.execPath,
    args: ['--enable-source-maps', ...nodeFlagsFor(name), `dist/apps/${name}/main.js`],
    url,
    readyUrl: `${url}/health/ready`,
    env,
  };
}

const COLORS = [36, 35, 33, 32, 34, 31];

function prefixLines(stream: NodeJS.ReadableStream | null, prefix: string, out: NodeJS.WritableStream): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

/** Starts one process whose output lines carry its name. */
export function startApp(spec: AppSpec, index: number, root: string): AppProcess {
  const child = spawn(spec.command, spec.args, {
    cwd: root,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches the supervisor alone, which then
    // stops the apps in order with SIGTERM and waits for their drain.
    detached: true,
  });
  const color = COLORS[index % COLORS.length];
  const prefix = process.stdout.isTTY ? `\x1b[${color}m[${spec.name}]\x1b[0m` : `[${spec.name}]`;
  prefixLines(child.stdout, prefix, process.stdout);
  prefixLines(child.stderr, prefix, process.stderr);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { spec, child, exited };
}

/** Something to wait for: a ready URL, and the process whose death means it will never answer. */
export interface Readiness {
  name: string;
  readyUrl: string;
  exited: Promise<unknown>;
  /** Said when the wait times out, after the last problem seen. */
  hint?: string;
}

/** Polls the ready URL until 200; fails early if the process dies. */
export async function waitUntilReady(app: AppProcess | Readiness, timeoutMs: number): Promise<void> {
  const target: Readiness = 'spec' in app ? { name: app.spec.name, readyUrl: app.spec.readyUrl, exited: app.exited } : app;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  let dead = false;
  void target.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${target.name} exited before it was ready (see its log lines above)`);
    try {
      const response = await fetch(target.readyUrl, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      lastProblem = `${target.readyUrl} answered ${response.status}: ${await response.text()}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await sleep(300);
  }
  throw new Error(`${target.name} was not ready within ${timeoutMs / 1000} s: ${lastProblem}${target.hint ? `; ${target.hint}` : ''}`);
}

/**
 * The live (not zombie) processes of a process group, from /proc. An app runs
 * in a group of its own (detached), and whatever it starts without detaching
 * (the scaler's local worker processes) stays in that group, even once the app
 * itself is gone: so the group is what must be empty after a stop.
 */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended while we looked
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after its last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

async function stopProcessGroup(name: string, pgid: number, drainTimeoutMs: number): Promise<void> {
  if (processGroupMembers(pgid).length === 0) return;
  process.stderr.write(`[stack] ${name} left processes running (pids ${processGroupMembers(pgid).join(', ')}); stopping them (SIGTERM, drain)\n`);
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + drainTimeoutMs;
  while (processGroupMembers(pgid).length > 0 && Date.now() < deadline) await sleep(200);
  if (processGroupMembers(pgid).length > 0) {
    process.stderr.write(`[stack] processes of ${name} did not stop within ${drainTimeoutMs} ms; killing them\n`);
    signalGroup(pgid, 'SIGKILL');
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group emptied meanwhile.
  }
}

/**
 * SIGTERM, wait for the drain, then SIGKILL whatever is still there; then the
 * same for any process the app started and left behind (its process group), so
 * a stop leaves no orphan even when the app itself died first.
 */
export async function stopApp(app: AppProcess, drainTimeoutMs: number): Promise<void> {
  if (app.child.exitCode === null && app.child.signalCode === null) {
    app.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      app.exited.then(() => 'exited'),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      process.stderr.write(`[stack] ${app.spec.name} did not stop within ${drainTimeoutMs} ms; killing it\n`);
      app.child.kill('SIGKILL');
      await app.exited;
    }
  }
  if (app.child.pid !== undefined) await stopProcessGroup(app.spec.name, app.child.pid, drainTimeoutMs);
}
