import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How long pg_ctl waits for a cluster to start or stop. */
const PG_CTL_TIMEOUT_S = 60;

/**
 * A PostgreSQL cluster a test owns and may stop, kill or restart: the local
 * stack's shared servers must never be stopped. It lives in a folder that the
 * postgres user makes and owns (mktemp as that user: nothing else changes
 * owner or mode), runs as postgres on a free loopback port, and destroy()
 * stops it and deletes the folder.
 */
export interface ThrowawayCluster {
  readonly port: number;
  /** URL of `database` on this cluster. */
  url(database: string): string;
  /** pg_ctl stop; 'immediate' is a crash (connections are cut, no shutdown checkpoint). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export interface ClusterFolder {
  /** The folder the postgres user owns: socket, log, and the data folder. */
  readonly folder: string;
  readonly data: string;
  readonly port: number;
  /** The PostgreSQL programs' folder ('' to use PATH). */
  readonly bin: string;
}

/** A new folder owned by postgres, and a free port, for a cluster that does not exist yet. */
export async function newClusterFolder(): Promise<ClusterFolder> {
  const folder = (await asPostgres('mktemp', ['-d', '-t', 'formscale-pg-XXXXXX'])).trim();
  return { folder, data: join(folder, 'data'), port: await freePort(), bin: pgBinDir() };
}

/**
 * Control of the cluster in `where.data`. Settings given on the command line
 * win over the cluster's config files (a base backup's copy of the primary's
 * included), so the port and socket are always this cluster's own.
 */
export function throwawayCluster(where: ClusterFolder, role: 'primary' | 'replica', settings: Record<string, string> = {}): ThrowawayCluster {
  const pgCtl = (args: string[]) => asPostgres(join(where.bin, 'pg_ctl'), ['-D', where.data, '-t', String(PG_CTL_TIMEOUT_S), ...args]);
  const options = [
    `-p ${where.port}`,
    `-k ${where.folder}`,
    '-c listen_addresses=127.0.0.1',
    `-c cluster_name=formscale-test-${role}-${where.port}`,
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  let running = false;
  const cluster: ThrowawayCluster = {
    port: where.port,
    url: (database) => `postgres://postgres@127.0.0.1:${where.port}/${database}`,
    async stop(mode = 'fast') {
      if (!running) return;
      await pgCtl(['-m', mode, 'stop']);
      running = false;
    },
    async start() {
      if (running) return;
      await pgCtl(['-l', join(where.folder, 'postgres.log'), '-o', options, '-w', 'start']);
      running = true;
    },
    async destroy() {
      await cluster.stop('immediate').catch(() => undefined);
      rmSync(where.folder, { recursive: true, force: true });
    },
  };
  return cluster;
}

export async function asPostgres(program: string, args: string[]): Promise<string> {
  const { stdout } = await run('runuser', ['-u', 'postgres', '--', program, ...args], { timeout: PG_CTL_TIMEOUT_S * 1000 });
  return stdout;
}

/** PG_BINDIR, else the newest Debian install, else whatever PATH finds. */
function pgBinDir(): string {
  const fromEnv = process.env['PG_BINDIR'];
  if (fromEnv) return fromEnv;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'pg_basebackup')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(debian, versions[0], 'bin');
  }
  return '';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
