import { join } from 'node:path';
import { asPostgres, newClusterFolder, throwawayCluster, type ThrowawayCluster } from './throwaway-cluster';

/**
 * A primary of a test's own, for tests that stop the database the apps write
 * to. Made with initdb as the local stack makes its primary (tools/stack's
 * pg-cluster.ts: trust on loopback, UTF8, C locale) and, like the stack's
 * dev clusters, run without fsync: its data is thrown away with it.
 *
 *   const primary = await startThrowawayPrimary();
 *   const db = await createTestDatabase({ primaryUrl: primary.url('postgres'), replicaUrls: [] });
 *   await primary.stop(); ... await primary.start();
 *   await db.drop(); await primary.destroy();
 */
export type ThrowawayPrimary = ThrowawayCluster;

export async function startThrowawayPrimary(): Promise<ThrowawayPrimary> {
  const where = await newClusterFolder();
  const primary = throwawayCluster(where, 'primary', { fsync: 'off', full_page_writes: 'off' });
  try {
    await asPostgres(join(where.bin, 'initdb'), [
      '-D', where.data,
      '--username=postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await primary.start();
    return primary;
  } catch (error) {
    await primary.destroy();
    throw error;
  }
}
