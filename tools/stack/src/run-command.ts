import { readFileSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { StackError } from './stack-error';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Run as this OS user through runuser (only when we are root). */
  asUser?: string;
}

/**
 * Runs a program to completion and collects its output. Children that outlive
 * it (pg_ctl's postmaster, a daemonized redis-server) detach themselves and
 * write to their own log files, so nothing here keeps them attached.
 */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [command, commandArgs] = options.asUser
    ? ['runuser', ['-u', options.asUser, '--', file, ...args]]
    : [file, [...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    if (options.input !== undefined && child.stdin) {
      child.stdin.end(options.input);
    }
  });
}

/**
 * Like runCommand, but a non-zero exit becomes a StackError naming the step,
 * the reason (the server's FATAL line written to the log during this step, or
 * else the program's first error line) and the log.
 */
export async function runStep(
  step: string,
  file: string,
  args: readonly string[],
  options: RunOptions & { logFile?: string } = {},
): Promise<CommandResult> {
  const logStart = options.logFile ? fileSize(options.logFile) : 0;
  const result = await runCommand(file, args, options);
  if (result.code !== 0) {
    const fromLog = options.logFile ? lastProblem(readFrom(options.logFile, logStart)) : '';
    const detail = fromLog || firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.code}`;
    throw new StackError(`${step} failed: ${detail}`, options.logFile);
  }
  return result;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

/** The last FATAL or PANIC line, without the timestamp and pid prefix. */
function lastProblem(log: string): string {
  const lines = log.split('\n').filter((line) => /\b(FATAL|PANIC):/.test(line));
  const last = lines[lines.length - 1];
  return last === undefined ? '' : last.slice(last.search(/\b(FATAL|PANIC):/)).replace(/\s+/g, ' ');
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  try {
    return readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}
