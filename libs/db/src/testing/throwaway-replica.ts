import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { withDatabase } from '../migrate';

const run = promisify(execFile);

/** How long pg_ctl waits for the replica to start or stop. */
const PG_CTL_TIMEOUT_S = 60;

/**
 * A streaming replica of the primary that a test owns and may stop, kill or
 * restart: the shared replicas of the local stack must never be stopped.
 * Made with pg_basebackup -R (no permanent replication slot: -X stream uses a
 * temporary one while copying), in a folder the postgres user owns, and run
 * as postgres. destroy() stops it and deletes the folder.
 */
export interface ThrowawayReplica {
  readonly port: number;
  /** URL of `database` on this replica. */
  url(database: string): string;
  /** pg_ctl stop; 'immediate' is a crash (connections are cut, no shutdown checkpoint). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startThrowawayReplica(primaryUrl: string): Promise<ThrowawayReplica> {
  const bin = pgBinDir();
  const primary = new URL(primaryUrl);
  const port = await freePort();
  const folder = (await asPostgres('mktemp', ['-d', '-t', 'formscale-replica-XXXXXX'])).trim();
  const data = join(folder, 'data');
  const pgCtl = (args: string[]) => asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-t', String(PG_CTL_TIMEOUT_S), ...args]);
  let running = false;
  const replica: ThrowawayReplica = {
    port,
    url: (database) => `postgres://${primary.username || 'postgres'}@127.0.0.1:${port}/${database}`,
    async stop(mode = 'fast') {
      if (!running) return;
      await pgCtl(['-m', mode, 'stop']);
      running = false;
    },
    async start() {
      if (running) return;
      // Command-line settings win over the primary's config files that pg_basebackup copied.
      const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c cluster_name=formscale-test-replica-${port}`;
      await pgCtl(['-l', join(folder, 'postgres.log'), '-o', options, '-w', 'start']);
      running = true;
    },
    async destroy() {
      await replica.stop('immediate').catch(() => undefined);
      rmSync(folder, { recursive: true, force: true });
    },
  };
  try {
    await asPostgres(join(bin, 'pg_basebackup'), [
      '-h', primary.hostname,
      '-p', primary.port || '5432',
      '-U', primary.username || 'postgres',
      '-D', data,
      '-R',
      '-X', 'stream',
      // A fast checkpoint: the default spread one could take minutes.
      '-c', 'fast',
    ]);
    await replica.start();
    await waitForRecovery(replica.url('postgres'));
    return replica;
  } catch (error) {
    await replica.destroy();
    throw error;
  }
}

/** pg_wal_replay_pause() on a replica; always pair with resumeReplay in a finally (shared replicas!). */
export async function pauseReplay(replicaUrl: string): Promise<void> {
  await onServer(replicaUrl, 'SELECT pg_wal_replay_pause()');
}

export async function resumeReplay(replicaUrl: string): Promise<void> {
  await onServer(replicaUrl, 'SELECT pg_wal_replay_resume()');
}

async function onServer(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres'), application_name: 'formscale:testing' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function waitForRecovery(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    if (!rows[0].r) throw new Error(`The throwaway replica at ${url} is not in recovery; pg_basebackup -R did not configure it`);
  } finally {
    await client.end();
  }
}

async function asPostgres(program: string, args: string[]): Promise<string> {
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
