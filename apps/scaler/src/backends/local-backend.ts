import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LOCAL_REPLICA_DRAIN_TIMEOUT_MS, LOCAL_REPLICA_PORTS, localReplicaPort, nodeFlagsFor } from '@formscale/config';
import { BackendError, type ScalingBackend } from './backend';

/**
 * Runs the apps of this repository as processes on this machine, one per
 * replica: `node dist/apps/<app>/main.js` with its own INSTANCE_ID and port.
 * Scaling down sends SIGTERM to the newest instance and waits for it to exit:
 * the app's own shutdown drains its work (a worker finishes its batch), so
 * nothing is killed mid-job unless the drain outlasts drainTimeoutMs.
 */

export interface LocalBackendOptions {
  /** Environment given to every instance (REDIS_URL, DATABASE_URL, QUEUE_PREFIX, ...). */
  env?: NodeJS.ProcessEnv;
  /** Where dist/apps/<app>/main.js is; default the working directory. */
  root?: string;
  /** Port of instance `index` of `app`; default localReplicaPort(app, index) (@formscale/config). Return 0 for an ephemeral port. */
  portFor?: (app: string, index: number) => number;
  drainTimeoutMs?: number;
  /** Told of every start and stop, for logs or a dashboard. */
  onEvent?: (event: { app: string; instance: string; pid?: number; event: 'started' | 'stopped' | 'killed' | 'exited'; code?: number | null }) => void;
}

interface Instance {
  index: number;
  id: string;
  child: ChildProcess;
  exited: Promise<void>;
}

export class LocalBackend implements ScalingBackend {
  readonly name = 'local' as const;
  readonly changesNothing = false;
  private readonly instances = new Map<string, Instance[]>();
  private readonly root: string;
  private readonly drainTimeoutMs: number;

  constructor(private readonly options: LocalBackendOptions = {}) {
    this.root = resolve(options.root ?? process.cwd());
    this.drainTimeoutMs = options.drainTimeoutMs ?? LOCAL_REPLICA_DRAIN_TIMEOUT_MS;
  }

  /** The processes running now, by app: for a test or `npm start` to watch. */
  running(app: string): { id: string; pid: number | undefined }[] {
    return (this.instances.get(app) ?? []).map((instance) => ({ id: instance.id, pid: instance.child.pid }));
  }

  async currentReplicas(app: string): Promise<number> {
    return this.live(app).length;
  }

  async scaleTo(app: string, replicas: number): Promise<void> {
    const list = this.live(app);
    while (list.length < replicas) list.push(this.start(app, list));
    // Newest first, as a ReplicaSet picks the youngest pod: the oldest have warm caches.
    const stopping = list.splice(replicas).reverse();
    await Promise.all(stopping.map((instance) => this.stop(app, instance)));
  }

  /** The instances still running: one that exited by itself (a crash) no longer counts, so the next sync replaces it. */
  private live(app: string): Instance[] {
    const list = (this.instances.get(app) ?? []).filter((instance) => instance.child.exitCode === null && instance.child.signalCode === null);
    this.instances.set(app, list);
    return list;
  }

  private start(app: string, running: Instance[]): Instance {
    const main = join(this.root, 'dist', 'apps', app, 'main.js');
    const portVariable = LOCAL_REPLICA_PORTS[app]?.variable;
    if (portVariable === undefined) throw new BackendError(`local: no app "${app}" to run; the local backend runs ${Object.keys(LOCAL_REPLICA_PORTS).join(', ')}`);
    if (!existsSync(main)) throw new BackendError(`local: ${main} does not exist; build it first (npx nx build ${app})`);
    const used = new Set(running.map((instance) => instance.index));
    let index = 0;
    while (used.has(index)) index++;
    const port = this.options.portFor?.(app, index) ?? localReplicaPort(app, index) ?? 0;
    const id = `${app}-local-${index + 1}`;
    const child = spawn(process.execPath, [...nodeFlagsFor(app), main], {
      cwd: this.root,
      env: { ...(this.options.env ?? process.env), INSTANCE_ID: id, [portVariable]: String(port) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exited = new Promise<void>((resolveExit) => {
      child.once('exit', (code) => {
        this.options.onEvent?.({ app, instance: id, pid: child.pid, event: 'exited', code });
        resolveExit();
      });
    });
    this.options.onEvent?.({ app, instance: id, pid: child.pid, event: 'started' });
    return { index, id, child, exited };
  }

  private async stop(app: string, instance: Instance): Promise<void> {
    if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
    instance.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      instance.exited.then(() => true),
      new Promise<boolean>((resolveTimeout) => {
        timer = setTimeout(() => resolveTimeout(false), this.drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      instance.child.kill('SIGKILL');
      this.options.onEvent?.({ app, instance: instance.id, pid: instance.child.pid, event: 'killed' });
      await instance.exited;
      return;
    }
    this.options.onEvent?.({ app, instance: instance.id, pid: instance.child.pid, event: 'stopped' });
  }

  /** Stops every instance it started, each with its drain. */
  async close(): Promise<void> {
    await Promise.all([...this.instances.keys()].map((app) => this.scaleTo(app, 0)));
  }
}
