import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { closedPort } from './ports';

const run = promisify(execFile);

/** How long a fresh redis-server may take to answer PING on a busy 2-core machine. */
const START_TIMEOUT_MS = 15_000;

/**
 * A throwaway redis-server (the system's binary) on a free port, for tests that
 * stop or start Redis: the shared one on 6379 is never touched. Nothing is persisted.
 */
export class RedisServerProcess {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  /** Started and answering PING. */
  static async start(): Promise<RedisServerProcess> {
    const server = await RedisServerProcess.notStarted();
    await server.restart();
    return server;
  }

  /** On a free port where nothing listens yet, for a client started before its Redis; restart() starts it there. */
  static async notStarted(): Promise<RedisServerProcess> {
    return new RedisServerProcess(await closedPort());
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on its port and waits until it answers PING. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await this.answers())) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        this.child = undefined;
        throw new Error(`redis-server on port ${this.port} did not answer PING within ${START_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the server as an operator or a crash would: `redis-cli shutdown nosave`, connections cut. */
  async shutdown(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await run('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave']).catch(() => child.kill('SIGKILL'));
    await exited;
  }

  async answers(): Promise<boolean> {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(this.port), 'ping']);
      return stdout.trim() === 'PONG';
    } catch {
      return false;
    }
  }
}
