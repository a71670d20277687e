import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NginxConfigOptions, writeNginxConfig } from '../../nginx/render';
import { exited, freePort, stopProcess, waitForHttpOk } from './processes';
import { findExecutable, run } from './system-tools';

export const NGINX_INSTALL_HINT = 'install it with `apt-get install -y nginx` (the system-deps script does in CI)';

export function findNginx(): string | null {
  return findExecutable('nginx');
}

/**
 * A private folder for one nginx: its prefix, config, cache, temp files, pid and logs.
 * Workers of an nginx started by root run as an unprivileged user, so the
 * folder must be traversable by others (mkdtemp makes it 0700).
 */
export function makeNginxPrefix(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `formscale-nginx-${label}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * `nginx -t` on a config file. hostNames are mapped to 127.0.0.1 in a private mount
 * namespace (unshare, root only) so that a compose config naming services such as
 * `forms-api` can be checked on a machine where those names do not resolve.
 */
export function nginxConfigTest(
  nginx: string,
  confPath: string,
  prefix: string,
  hostNames: readonly string[] = [],
): { ok: boolean; output: string } {
  const nginxArgs = ['-t', '-p', `${prefix}/`, '-c', confPath, '-e', join(prefix, 'early-error.log')];
  // A config may log to /dev/stdout, as containers do; nginx cannot open that
  // when stdout is the socket Node gives a child, but can when it is a file.
  const stdoutFd = openSync(join(prefix, 'stdout.log'), 'w');
  try {
    const result =
      hostNames.length === 0
        ? run(nginx, nginxArgs, { stdoutFd })
        : runWithHosts(nginx, nginxArgs, prefix, hostNames, stdoutFd);
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    closeSync(stdoutFd);
  }
}

function runWithHosts(
  nginx: string,
  nginxArgs: string[],
  prefix: string,
  hostNames: readonly string[],
  stdoutFd: number,
): ReturnType<typeof run> {
  const hostsFile = join(prefix, 'hosts');
  writeFileSync(hostsFile, `127.0.0.1 localhost ${hostNames.join(' ')}\n::1 localhost\n`);
  const quoted = [nginx, ...nginxArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `mount --bind '${hostsFile}' /etc/hosts && exec ${quoted}`;
  return run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdoutFd });
}

/** Whether this process may make a mount namespace (root, or a user namespace allowed). */
export function canUnshareMounts(): boolean {
  try {
    return run('unshare', ['--mount', '--propagation', 'private', 'true'], { timeoutMs: 10_000 }).status === 0;
  } catch {
    return false;
  }
}

export interface AccessLogEntry {
  request_id: string;
  method: string;
  uri: string;
  status: number;
  upstream_addr: string;
  upstream_status: string;
  cache: string;
}

export interface RunningNginx {
  prefix: string;
  baseUrl: string;
  statusUrl: string;
  process: ChildProcess;
  /**
   * The entries that match, once there are at least `count` of them. nginx
   * logs a request after its response is sent, so a client can hold the answer
   * before the line is written; past the bound it returns what is there, for
   * the test's assertion to show.
   */
  loggedRequests(match: (entry: AccessLogEntry) => boolean, count: number): Promise<AccessLogEntry[]>;
  stop(): Promise<void>;
}

// A log line follows its response by microseconds; seconds allow for a loaded machine.
const LOG_WAIT_MS = 10_000;
const LOG_POLL_MS = 20;

type TestNginxOptions = Omit<
  NginxConfigOptions,
  'listenPort' | 'statusPort' | 'cacheDir' | 'tempDir' | 'pidFile' | 'logDir' | 'accessLog' | 'errorLog'
> & {
  /** A status port chosen before the start, for upstreams that must know it (the cache refresh on publish). */
  statusPort?: number;
};

// Another process may take a port between freePort() and nginx's bind; a few
// attempts make that race irrelevant.
const START_ATTEMPTS = 5;

/** Renders the formscale config with free ports into a fresh prefix and starts nginx in the foreground. */
export async function startNginx(nginx: string, options: TestNginxOptions): Promise<RunningNginx> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const prefix = makeNginxPrefix('run');
    const listenPort = await freePort();
    const statusPort = options.statusPort ?? (await freePort());
    const { confPath } = writeNginxConfig(prefix, {
      workerProcesses: 1,
      workerConnections: 1024,
      workerRlimitNofile: 4096,
      ...options,
      listenPort,
      statusPort,
      cacheDir: join(prefix, 'cache'),
      tempDir: join(prefix, 'temp'),
      pidFile: join(prefix, 'nginx.pid'),
      logDir: join(prefix, 'logs'),
    });
    const child = spawn(nginx, ['-p', `${prefix}/`, '-c', confPath, '-e', join(prefix, 'logs/early-error.log'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitForHttpOk(`http://127.0.0.1:${statusPort}/healthz`, child);
    } catch (error) {
      await stopProcess(child);
      lastError = new Error(`${(error as Error).message}\n${stderr}${readIfExists(join(prefix, 'logs/error.log'))}`);
      rmSync(prefix, { recursive: true, force: true });
      continue;
    }
    const accessLog = () =>
      readIfExists(join(prefix, 'logs/access.log'))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as AccessLogEntry);
    return {
      prefix,
      baseUrl: `http://127.0.0.1:${listenPort}`,
      statusUrl: `http://127.0.0.1:${statusPort}`,
      process: child,
      loggedRequests: async (match, count) => {
        const deadline = Date.now() + LOG_WAIT_MS;
        for (;;) {
          const entries = accessLog().filter(match);
          if (entries.length >= count || Date.now() > deadline) return entries;
          await new Promise((resolve) => setTimeout(resolve, LOG_POLL_MS));
        }
      },
      stop: async () => {
        // SIGQUIT is nginx's graceful shutdown; SIGTERM is its fast one.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited(child);
        clearTimeout(timer);
        rmSync(prefix, { recursive: true, force: true });
      },
    };
  }
  throw lastError;
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
