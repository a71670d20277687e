import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { MultiLayerCacheOptions } from '../src/cache-options';

interface Reply {
  id?: number;
  ok?: boolean;
  result?: unknown;
  error?: string;
  event?: string;
  [field: string]: unknown;
}

const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');

/** Drives a cache-peer.ts child process: request/reply over IPC, plus events it sends unasked. */
export class PeerProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly eventWaiters: Array<{ event: string; resolve: (reply: Reply) => void }> = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => this.receive(reply));
  }

  static async start(options: MultiLayerCacheOptions): Promise<PeerProcess> {
    const child = fork(join(__dirname, 'cache-peer.ts'), [], {
      cwd: WORKSPACE_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const peer = new PeerProcess(child);
    const ready = await peer.request('init', { options });
    if (ready !== true) {
      await peer.stop();
      throw new Error('peer cache did not connect to Redis');
    }
    return peer;
  }

  request<T = unknown>(op: string, fields: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, ...fields });
    });
  }

  nextEvent(event: string): Promise<Reply> {
    return new Promise((resolve) => this.eventWaiters.push({ event, resolve }));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request('close').catch(() => undefined);
    this.child.disconnect();
    await exited;
  }

  private receive(reply: Reply): void {
    if (reply.event !== undefined) {
      const index = this.eventWaiters.findIndex((waiter) => waiter.event === reply.event);
      if (index >= 0) {
        this.eventWaiters.splice(index, 1)[0]?.resolve(reply);
      }
      return;
    }
    const waiter = reply.id === undefined ? undefined : this.pending.get(reply.id);
    if (waiter === undefined || reply.id === undefined) {
      return;
    }
    this.pending.delete(reply.id);
    if (reply.ok === true) {
      waiter.resolve(reply.result);
    } else {
      waiter.reject(new Error(reply.error ?? 'peer request failed'));
    }
  }
}
