import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** CI sets CI=true; there a missing system tool is a failed check, never a skipped one. */
export function isCI(): boolean {
  return /^(1|true|yes)$/i.test(process.env['CI'] ?? '');
}

/** The absolute path of an executable, searching PATH and then the sbin folders nginx lives in. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/**
 * Decides what a test does when a system tool is missing: in CI it throws (the
 * system-deps script must have installed it); elsewhere it prints a loud notice
 * and the caller skips the suite.
 */
export function requireSystemTool(name: string, path: string | null, installHint: string): path is string {
  if (path !== null) return true;
  const message = `${name} is not installed: ${installHint}`;
  if (isCI()) throw new Error(`${message} (CI=true, so this check fails rather than skips)`);
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING: ${message}\n${'!'.repeat(78)}\n\n`);
  return false;
}

/** Runs a command to completion and returns its output; never throws on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; stdoutFd?: number } = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${command} ${args.join(' ')} could not run: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
