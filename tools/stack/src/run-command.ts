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

/** Like runCommand, but a non-zero exit becomes a StackError naming the step and its log. */
export async function runStep(
  step: string,
  file: string,
  args: readonly string[],
  options: RunOptions & { logFile?: string } = {},
): Promise<CommandResult> {
  const result = await runCommand(file, args, options);
  if (result.code !== 0) {
    const detail = lastLine(result.stderr) || lastLine(result.stdout) || `exit code ${result.code}`;
    throw new StackError(`${step} failed: ${detail}`, options.logFile);
  }
  return result;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]?.trim() ?? '';
}
