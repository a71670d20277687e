import { Registry } from 'prom-client';
import { ReplicaRouter, type DbLogger } from './replica-router';
import { createTestDatabase, startThrowawayReplica, type TestDatabase, type ThrowawayReplica } from './testing';

/**
 * Stopping a replica: done to a replica of this file's own (pg_basebackup of
 * the stack's primary), never to the shared ones.
 */

jest.setTimeout(180_000);

const silent: DbLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function eventually(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** db_replica_ejections_total{reason="failures"} of one replica. */
async function ejections(registry: Registry, replica: string): Promise<number> {
  const metric = await registry.getSingleMetric('db_replica_ejections_total')?.get();
  return metric?.values.find((v) => v.labels.replica === replica && v.labels.reason === 'failures')?.value ?? 0;
}

describe('ReplicaRouter when a replica dies', () => {
  let db: TestDatabase;
  let own: ThrowawayReplica | undefined;
  let router: ReplicaRouter | undefined;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'replica-failover' });
    // After the clone, so the new database is in the copy.
    own = await startThrowawayReplica(db.url);
  });

  afterAll(async () => {
    await router?.stop();
    await own?.destroy();
    await db?.drop();
  });

  it('ejects a replica that stops, without failing a single read, and readmits it when it is back', async () => {
    if (own === undefined) throw new Error('no throwaway replica');
    const ownName = `127.0.0.1:${own.port}`;
    const registry = new Registry();
    router = new ReplicaRouter({
      primaryUrl: db.url,
      replicaUrls: [db.replicaUrls[0], own.url(db.name)],
      registry,
      logger: silent,
      // Lag is not what this test is about: a busy machine (other suites writing to
      // the shared primary) must not eject the replica for lag before it is stopped.
      healthCheck: { intervalMs: 100, maxFails: 2, maxLagBytes: Number.MAX_SAFE_INTEGER, maxLagSeconds: 3_600 },
      pool: { connectionTimeoutMillis: 2_000 },
    });
    const r = router;
    await r.start();
    await eventually('both replicas are eligible', () => r.stats().every((n) => n.state !== 'pending'));
    const ownStats = () => r.stats().find((n) => n.name === ownName);

    let reads = 0;
    const failures: unknown[] = [];
    let running = true;
    const reader = async () => {
      while (running) {
        try {
          const { rows } = await r.read<{ n: number }>('SELECT count(*)::int AS n FROM forms');
          if (rows[0].n !== 0) throw new Error(`unexpected count ${rows[0].n}`);
          reads++;
        } catch (error) {
          failures.push(error);
        }
      }
    };
    // Enough readers that reads are in flight on the replica when it goes.
    const readers = Array.from({ length: 8 }, reader);

    await eventually('the own replica serves reads', () => (ownStats()?.queries ?? 0) > 50);
    // A health check slower than its timeout counts as a failure too; on a loaded
    // machine that can eject the replica for a moment before it is stopped.
    await eventually('the own replica is eligible', () => ownStats()?.state === 'eligible');
    const ejectionsBeforeStop = await ejections(registry, ownName);
    await own.stop('immediate');
    await eventually('the stopped replica is ejected', () => ownStats()?.state === 'ejected');
    expect({ reason: ownStats()?.reason, counted: (await ejections(registry, ownName)) - ejectionsBeforeStop }).toEqual({ reason: 'failures', counted: 1 });
    const readsAtEjection = reads;
    await eventually('reads go on after the ejection', () => reads > readsAtEjection + 200);
    const ownQueriesAfterEjection = ownStats()?.queries;

    await own.start();
    await eventually('the restarted replica is readmitted', () => ownStats()?.state === 'eligible');
    await eventually('it serves reads again', () => (ownStats()?.queries ?? 0) > (ownQueriesAfterEjection ?? 0) + 20);
    running = false;
    await Promise.all(readers);

    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(300);
  });
});
