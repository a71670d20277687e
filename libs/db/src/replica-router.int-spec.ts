import { Registry } from 'prom-client';
import { currentToken, runWithConsistency } from './consistency-context';
import { parseLsn } from './lsn';
import { ReplicaRouter, type DbLogger, type NodeStats, type ReplicaRouterOptions } from './replica-router';
import { createTestDatabase, pauseReplay, resumeReplay, type TestDatabase } from './testing';

/**
 * Against the local stack's primary and both replicas, on a database of this
 * file's own. Tests that pause a replica resume it in finally and afterAll:
 * the replicas are shared with every other test run on this machine.
 */

interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: object;
}

function recordingLogger(): DbLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (fields, msg) => void lines.push({ level: 'info', msg, fields }),
    warn: (fields, msg) => void lines.push({ level: 'warn', msg, fields }),
    error: (fields, msg) => void lines.push({ level: 'error', msg, fields }),
  };
}

/** Polls until check() holds; a correctness bound, not a speed assertion. */
async function eventually(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const portOf = (url: string) => Number(new URL(url).port);

// Cloning the template and waiting for replicas, and the 1,000-write loop, take seconds on a busy 2-core box.
jest.setTimeout(120_000);

describe('ReplicaRouter on the local stack', () => {
  let db: TestDatabase;
  const routers: ReplicaRouter[] = [];
  let primaryPort: number;
  let replicaPorts: number[];

  function makeRouter(options: Partial<ReplicaRouterOptions> = {}): ReplicaRouter {
    const router = new ReplicaRouter({
      primaryUrl: db.url,
      replicaUrls: db.replicaUrls,
      registry: new Registry(),
      logger: recordingLogger(),
      // Checks every 50 ms keep the tests short; production uses 1 s.
      healthCheck: { intervalMs: 50 },
      applicationName: `db-router-test-${process.pid}`,
      ...options,
    });
    routers.push(router);
    return router;
  }

  const node = (router: ReplicaRouter, port: number): NodeStats => {
    const found = router.stats().find((n) => n.name === `127.0.0.1:${port}` || (n.role === 'primary' && port === primaryPort));
    if (found === undefined) throw new Error(`no node on port ${port}`);
    return found;
  };
  const queriesOn = (router: ReplicaRouter) => router.stats().map((n) => n.queries);

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'replica-router' });
    primaryPort = portOf(db.url);
    replicaPorts = db.replicaUrls.map(portOf);
    expect(replicaPorts).toHaveLength(2);
  });

  afterAll(async () => {
    if (db === undefined) return;
    await Promise.allSettled(db.replicaUrls.map((url) => resumeReplay(url)));
    await Promise.allSettled(routers.map((router) => router.stop()));
    await db.drop();
  });

  describe('routing', () => {
    let router: ReplicaRouter;
    let registry: Registry;

    beforeAll(async () => {
      registry = new Registry();
      router = makeRouter({ registry });
      await router.start();
      await eventually('both replicas are eligible', () => router.stats().every((n) => n.state !== 'pending'));
    });

    it('spreads reads over both replicas and sends none to the primary', async () => {
      const before = node(router, primaryPort).queries;
      const served = new Map<number, number>();
      for (let i = 0; i < 40; i++) {
        const { rows } = await router.read<{ port: number; standby: boolean }>(
          'SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby',
        );
        expect(rows[0].standby).toBe(true);
        served.set(rows[0].port, (served.get(rows[0].port) ?? 0) + 1);
      }
      expect([...served.keys()].sort()).toEqual([...replicaPorts].sort());
      for (const count of served.values()) expect(count).toBeGreaterThanOrEqual(10);
      expect(node(router, primaryPort).queries).toBe(before);
    });

    it('sends writes, transactions and locking reads to the primary only', async () => {
      const replicaQueries = replicaPorts.map((port) => node(router, port).queries);

      const written = await router.write<{ id: string; port: number }>(
        `INSERT INTO forms (slug, title) VALUES ('routing', 'Routing') RETURNING id, inet_server_port() AS port`,
      );
      expect(written.rows[0].port).toBe(primaryPort);
      expect(written.consistencyToken).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      const formId = written.rows[0].id;

      const committed = await router.transaction(async (tx) => {
        const locked = await tx.query<{ port: number }>('SELECT inet_server_port() AS port FROM forms WHERE id = $1 FOR UPDATE', [formId]);
        await tx.query(`UPDATE forms SET title = 'Routed' WHERE id = $1`, [formId]);
        return locked.rows[0].port;
      });
      expect(committed.value).toBe(primaryPort);

      const locking = await router.read<{ port: number }>(
        'SELECT inet_server_port() AS port FROM forms WHERE id = $1 FOR UPDATE',
        [formId],
      );
      expect(locking.rows[0].port).toBe(primaryPort);
      const update = await router.read(`UPDATE forms SET title = 'Direct' WHERE id = $1`, [formId]);
      expect(update.rowCount).toBe(1);

      expect(replicaPorts.map((port) => node(router, port).queries)).toEqual(replicaQueries);
    });

    it('runs one statement on the primary with execute(), committed, named statements included', async () => {
      const replicaQueries = replicaPorts.map((port) => node(router, port).queries);
      const statement = {
        name: 'router-test-execute',
        text: `INSERT INTO forms (slug, title) VALUES ($1, 'Executed') RETURNING inet_server_port() AS port`,
      };
      // Twice under one name: the second run reuses the prepared statement where the connection has it.
      for (const slug of ['execute-1', 'execute-2']) {
        const result = await router.execute<{ port: number }>({ ...statement, values: [slug] });
        expect(result.rows[0].port).toBe(primaryPort);
        expect(result).not.toHaveProperty('consistencyToken');
      }
      const { rows } = await router.write<{ n: number }>(`SELECT count(*)::int AS n FROM forms WHERE slug IN ('execute-1', 'execute-2')`);
      expect(rows[0].n).toBe(2);
      expect(replicaPorts.map((port) => node(router, port).queries)).toEqual(replicaQueries);
    });

    it('rolls a transaction back when its callback throws', async () => {
      await expect(
        router.transaction(async (tx) => {
          await tx.query(`INSERT INTO forms (slug, title) VALUES ('rolled-back', 'x')`);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      const { rowCount } = await router.transaction((tx) => tx.query(`SELECT 1 FROM forms WHERE slug = 'rolled-back'`)).then((c) => c.value);
      expect(rowCount).toBe(0);
    });

    it('passes query errors through without retrying them', async () => {
      const before = queriesOn(router).reduce((a, b) => a + b, 0);
      await expect(router.read('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
      expect(queriesOn(router).reduce((a, b) => a + b, 0)).toBe(before + 1);
    });

    it('exports its metrics to the registry it was given', async () => {
      const text = await registry.metrics();
      expect(text).toMatch(new RegExp(`db_queries_total\\{target="127.0.0.1:${replicaPorts[0]}",role="replica"\\} [1-9]`));
      expect(text).toMatch(/db_queries_total\{target="primary",role="primary"\} [1-9]/);
      expect(text).toContain(`db_replica_lag_bytes{replica="127.0.0.1:${replicaPorts[1]}"}`);
      expect(text).toMatch(/db_pool_connections\{node="primary"\} [1-9]/);
      expect(text).toContain('db_pool_idle_connections{node="primary"}');
      expect(text).toContain('db_pool_waiting_requests{node="primary"} 0');
      expect(text).toContain('# TYPE db_reads_fallback_primary_total counter');
    });

    it('times every query it sends, once, on the node that ran it', async () => {
      const countOf = async (target: string) => {
        const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'db_query_duration_seconds');
        const values = (metric?.values ?? []) as { value: number; labels: Record<string, unknown>; metricName?: string }[];
        const part = (suffix: string) => values.find((v) => v.labels.target === target && v.metricName === `db_query_duration_seconds_${suffix}`);
        const inf = values.find((v) => v.labels.target === target && v.labels.le === '+Inf');
        return { count: part('count')?.value ?? 0, sum: part('sum')?.value ?? 0, inf: inf?.value ?? 0 };
      };
      const replica = `127.0.0.1:${replicaPorts[0]}`;
      const before = { primary: await countOf('primary'), replica: await countOf(replica) };
      const queriesBefore = { primary: node(router, primaryPort).queries, replica: node(router, replicaPorts[0]).queries };
      for (let i = 0; i < 20; i++) await router.read('SELECT pg_sleep(0.001)');
      await router.write('SELECT 1');
      await router.transaction((tx) => tx.query('SELECT pg_sleep(0.002)'));
      const after = { primary: await countOf('primary'), replica: await countOf(replica) };
      const queried = {
        primary: node(router, primaryPort).queries - queriesBefore.primary,
        replica: node(router, replicaPorts[0]).queries - queriesBefore.replica,
      };
      expect(queried.primary).toBeGreaterThanOrEqual(2);
      expect(queried.replica).toBeGreaterThanOrEqual(1);
      for (const target of ['primary', 'replica'] as const) {
        expect(after[target].count - before[target].count).toBe(queried[target]);
        expect(after[target].inf).toBe(after[target].count);
        // Each timed query slept at least a millisecond (pg_sleep) or made a round trip.
        expect(after[target].sum - before[target].sum).toBeGreaterThan(0.001 * (target === 'primary' ? 1 : queried.replica));
      }
      const text = await registry.metrics();
      expect(text).toContain('# TYPE db_query_duration_seconds histogram');
      expect(text).toMatch(/db_query_duration_seconds_bucket\{target="primary",role="primary",le="\+Inf"\} [1-9]/);
    });

    it('names each connection in pg_stat_activity after its node', async () => {
      const { rows } = await router.write<{ application_name: string }>(
        `SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE $1 ORDER BY 1`,
        [`db-router-test-${process.pid}:%`],
      );
      // Only the primary's own pools are connected to the primary.
      const prefix = `db-router-test-${process.pid}:primary`;
      expect(rows.map((r) => r.application_name)).toEqual([prefix, `${prefix}:health`]);
    });
  });

  describe('lag', () => {
    it('ejects a paused replica once it lags past the limit, keeps reads off it, and readmits it after resume', async () => {
      const registry = new Registry();
      const logger = recordingLogger();
      const router = makeRouter({ registry, logger, healthCheck: { intervalMs: 50, maxLagBytes: 64 * 1024, maxLagSeconds: 600 } });
      await router.start();
      const [pausedPort] = replicaPorts;
      const pausedUrl = db.replicaUrls[0];
      await eventually('both replicas are eligible', () => replicaPorts.every((p) => node(router, p).state === 'eligible'));
      await pauseReplay(pausedUrl);
      try {
        // About 300 kB of WAL: far past the 64 kB limit.
        await router.write(
          `INSERT INTO forms (slug, title) SELECT 'lag-' || g, repeat('x', 200) FROM generate_series(1, 1000) g`,
        );
        await eventually('the paused replica is ejected', () => node(router, pausedPort).state === 'ejected');
        expect(node(router, pausedPort)).toMatchObject({ reason: 'lag_bytes' });
        expect(node(router, pausedPort).lagBytes).toBeGreaterThan(64 * 1024);

        const pausedBefore = node(router, pausedPort).queries;
        // Other projects' tests write to the same stack meanwhile, so the other
        // replica may itself lag past 64 kB for a moment and hand reads to the
        // primary; what must never happen is a read on the paused replica.
        for (let i = 0; i < 20; i++) {
          const { rows } = await router.read<{ port: number }>('SELECT inet_server_port() AS port');
          expect(rows[0].port).not.toBe(pausedPort);
        }
        expect(node(router, pausedPort).queries).toBe(pausedBefore);
      } finally {
        await resumeReplay(pausedUrl);
      }
      await eventually('the resumed replica is readmitted', () => node(router, pausedPort).state === 'eligible');
      expect(node(router, pausedPort).lagBytes).toBeLessThanOrEqual(64 * 1024);
      const text = await registry.metrics();
      // At least once: other test files write to the same stack meanwhile, and a burst of
      // theirs can briefly put a shared replica past this test's small 64 KiB limit too.
      const ejections = new RegExp(`^db_replica_ejections_total\\{replica="127\\.0\\.0\\.1:${pausedPort}",reason="lag_bytes"\\} (\\d+)$`, 'm').exec(text);
      expect(Number(ejections?.[1])).toBeGreaterThanOrEqual(1);
      expect(logger.lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining(['replica ejected from reads', 'replica readmitted to reads']),
      );
      await router.stop();
    });

    it('admits replicas of an idle primary although their last replayed commit is older than the lag limit', async () => {
      // now() - pg_last_xact_replay_timestamp() is at least milliseconds here; without the guard
      // that only measures seconds while a replica is behind, a 1 ms limit would never admit them.
      const router = makeRouter({ healthCheck: { intervalMs: 50, maxLagSeconds: 0.001 } });
      await router.start();
      await eventually('both replicas are eligible', () => replicaPorts.every((p) => node(router, p).state === 'eligible'));
      await router.stop();
    });
  });

  describe('read-your-writes', () => {
    it('never serves a stale read to a client carrying its token, 1,000 writes in a row with a paused replica', async () => {
      // Lag limits out of the way: the paused replica stays eligible, so only the token keeps stale reads away.
      const router = makeRouter({
        healthCheck: { intervalMs: 50, maxLagBytes: Number.MAX_SAFE_INTEGER, maxLagSeconds: Number.MAX_SAFE_INTEGER },
      });
      await router.start();
      const [pausedPort] = replicaPorts;
      const pausedUrl = db.replicaUrls[0];
      await eventually('both replicas are eligible', () => replicaPorts.every((p) => node(router, p).state === 'eligible'));
      await pauseReplay(pausedUrl);
      let stale = 0;
      let lastToken = '';
      let lastId = '';
      try {
        await router.checkReplicas();
        const pausedBefore = node(router, pausedPort).queries;
        for (let i = 0; i < 1_000; i++) {
          const slug = `ryw-${i}`;
          if (i % 2 === 0) {
            // Within one request: the write advances the context's token, the read honours it.
            await runWithConsistency(undefined, async () => {
              const { rows } = await router.write<{ id: string }>(`INSERT INTO forms (slug, title) VALUES ($1, $1) RETURNING id`, [slug]);
              const read = await router.read<{ slug: string }>('SELECT slug FROM forms WHERE id = $1', [rows[0].id]);
              if (read.rows[0]?.slug !== slug) stale++;
              lastToken = currentToken() ?? '';
            });
          } else {
            // Across requests: the token goes out in a response header and comes back in the next request.
            const { rows, consistencyToken } = await router.write<{ id: string }>(
              `INSERT INTO forms (slug, title) VALUES ($1, $1) RETURNING id`,
              [slug],
            );
            const read = await runWithConsistency(consistencyToken, () =>
              router.read<{ slug: string }>('SELECT slug FROM forms WHERE id = $1', [rows[0].id]),
            );
            if (read.rows[0]?.slug !== slug) stale++;
            lastToken = consistencyToken;
            lastId = rows[0].id;
          }
        }
        expect(stale).toBe(0);
        expect(node(router, pausedPort).queries).toBe(pausedBefore);

        // The check would catch staleness: without the token, the paused replica answers without the row.
        let missing = 0;
        for (let i = 0; i < 20; i++) {
          const read = await router.read('SELECT 1 FROM forms WHERE id = $1', [lastId]);
          if (read.rowCount === 0) missing++;
        }
        expect(missing).toBeGreaterThan(0);
      } finally {
        await resumeReplay(pausedUrl);
      }

      // Once a replica has replayed the token, it serves token reads again.
      const tokenLsn = parseLsn(lastToken) ?? 0n;
      await eventually('a replica has replayed the last token', () =>
        router.stats().some((n) => n.replayLsn !== undefined && (parseLsn(n.replayLsn) ?? 0n) >= tokenLsn),
      );
      const served = await runWithConsistency(lastToken, () =>
        router.read<{ port: number; standby: boolean }>('SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby'),
      );
      expect(served.rows[0].standby).toBe(true);
      await router.stop();
    });
  });

  describe('connections lost while in use', () => {
    it('survives the server ending a connection a transaction holds, and keeps serving', async () => {
      const logger = recordingLogger();
      const router = makeRouter({ logger });
      await router.start();
      const transaction = router.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // Ended from outside while no query runs on it: pg emits 'error' on the
        // checked-out client, which would end the process with no listener.
        await router.write('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.query('SELECT 1');
      });
      await expect(transaction).rejects.toThrow();
      expect(logger.lines.map((line) => line.msg)).toContain('database connection lost while in use');
      const { rows } = await router.write<{ ok: number }>('SELECT 1 AS ok');
      expect(rows[0].ok).toBe(1);
      await router.stop();
    });
  });

  describe('start-up and fallback', () => {
    it('starts with a replica that is down, sends reads to the others, and to the primary when none is left', async () => {
      const deadUrl = 'postgres://postgres@127.0.0.1:1/formscale';
      const logger = recordingLogger();
      const registry = new Registry();
      const router = makeRouter({ replicaUrls: [deadUrl], logger, registry, healthCheck: { intervalMs: 50, maxFails: 2 } });
      await router.start();
      for (let i = 0; i < 5; i++) {
        const { rows } = await router.read<{ port: number }>('SELECT inet_server_port() AS port');
        expect(rows[0].port).toBe(primaryPort);
      }
      await eventually('the dead replica is ejected', () => router.stats()[1].state === 'ejected');
      await router.checkReplicas();
      await router.checkReplicas();
      const fallbackLines = logger.lines.filter((l) => l.msg === 'no eligible replica: reads go to the primary');
      expect(fallbackLines).toHaveLength(1);
      expect(await registry.metrics()).toMatch(/db_reads_fallback_primary_total\{reason="no_eligible_replica"\} 5/);
      await router.stop();

      const mixed = makeRouter({ replicaUrls: [deadUrl, db.replicaUrls[1]] });
      await mixed.start();
      for (let i = 0; i < 5; i++) {
        const { rows } = await mixed.read<{ port: number }>('SELECT inet_server_port() AS port');
        expect(rows[0].port).toBe(replicaPorts[1]);
      }
      await mixed.stop();
    });

    it('refuses to start without a primary, saying which URL failed', async () => {
      const router = makeRouter({ primaryUrl: 'postgres://postgres:secret@127.0.0.1:1/formscale', pool: { connectionTimeoutMillis: 2_000 } });
      await expect(router.start()).rejects.toThrow(/primary at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/formscale did not answer/);
    });
  });
});
