import { join } from 'node:path';
import { Client } from 'pg';
import { withDatabase } from '../migrate';
import { asPostgres, newClusterFolder, throwawayCluster, type ThrowawayCluster } from './throwaway-cluster';

/**
 * A streaming replica of the primary that a test owns and may stop, kill or
 * restart. Made with pg_basebackup -R (no permanent replication slot: -X stream
 * uses a temporary one while copying).
 */
export type ThrowawayReplica = ThrowawayCluster;

export async function startThrowawayReplica(primaryUrl: string): Promise<ThrowawayReplica> {
  const primary = new URL(primaryUrl);
  const where = await newClusterFolder();
  const replica = throwawayCluster(where, 'replica');
  try {
    await asPostgres(join(where.bin, 'pg_basebackup'), [
      '-h', primary.hostname,
      '-p', primary.port || '5432',
      '-U', primary.username || 'postgres',
      '-D', where.data,
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
