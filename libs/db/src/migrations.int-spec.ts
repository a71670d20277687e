import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';
import { DEFAULT_DATABASE_URL, migrationNames, runMigrations, withDatabase } from './migrate';
import type { DbLogger } from './replica-router';
import { createDataSource } from './typeorm-data-source';

const primaryUrl = process.env['DATABASE_URL'] || DEFAULT_DATABASE_URL;

function recordingLogger(): DbLogger & { lines: Array<{ msg: string; fields: object }> } {
  const lines: Array<{ msg: string; fields: object }> = [];
  const record = (fields: object, msg: string) => void lines.push({ msg, fields });
  return { lines, info: record, warn: record, error: record };
}

describe('migrations', () => {
  const created: string[] = [];

  function freshUrl(): string {
    const name = `formscale_test_migrations_${process.pid}_${randomBytes(4).toString('hex')}`;
    created.push(name);
    return withDatabase(primaryUrl, name);
  }

  async function query<R extends object>(url: string, sql: string): Promise<R[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  afterAll(async () => {
    const admin = new Client({ connectionString: withDatabase(primaryUrl, 'postgres') });
    await admin.connect();
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
    await admin.end();
  });

  it('creates the database, applies every migration with a log line each, and applies nothing the second time', async () => {
    const url = freshUrl();
    const first = recordingLogger();
    const applied = await runMigrations({ url, logger: first });
    expect(applied.map((m) => m.name)).toEqual(migrationNames());
    expect(first.lines.map((l) => l.msg)).toEqual(['database created', ...migrationNames().map(() => 'migration applied')]);
    const tables = await query<{ tablename: string }>(url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining(['form_stats', 'form_versions', 'forms', 'submissions', 'webhook_deliveries', 'webhook_endpoints']),
    );

    const second = recordingLogger();
    expect(await runMigrations({ url, logger: second })).toEqual([]);
    expect(second.lines.map((l) => l.msg)).toEqual(['schema is current, no migration to apply']);
  });

  it('applies each migration once when several processes start at the same time', async () => {
    const url = freshUrl();
    const runs = await Promise.all([1, 2, 3].map(() => runMigrations({ url, logger: recordingLogger() })));
    expect(runs.flat().map((m) => m.name)).toEqual(migrationNames());
  });

  describe('on a migrated database', () => {
    let url: string;

    beforeAll(async () => {
      url = freshUrl();
      await runMigrations({ url, logger: recordingLogger() });
    });

    it('matches the entities exactly, so TypeORM would generate no migration', async () => {
      const dataSource = createDataSource({ url });
      await dataSource.initialize();
      try {
        const pending = await dataSource.driver.createSchemaBuilder().log();
        expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      } finally {
        await dataSource.destroy();
      }
    });

    it('keeps a published form version immutable, yet lets the whole form be deleted', async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO forms (slug, title) VALUES ('contact', 'Contact') RETURNING id`,
        );
        const formId = rows[0].id;
        await client.query(`INSERT INTO form_versions (form_id, version, fields) VALUES ($1, 1, '[]')`, [formId]);
        await client.query(`UPDATE form_versions SET fields = '[{"name":"email"}]' WHERE form_id = $1`, [formId]);
        await client.query(`UPDATE form_versions SET published_at = now() WHERE form_id = $1`, [formId]);
        await client.query(`UPDATE forms SET published_version = 1, status = 'published' WHERE id = $1`, [formId]);

        await expect(client.query(`UPDATE form_versions SET fields = '[]' WHERE form_id = $1`, [formId])).rejects.toThrow(
          /is published and cannot be changed/,
        );
        await expect(client.query(`DELETE FROM form_versions WHERE form_id = $1`, [formId])).rejects.toThrow(
          /is published and cannot be changed/,
        );
        await expect(client.query(`UPDATE forms SET published_version = 2 WHERE id = $1`, [formId])).rejects.toThrow(
          /forms_published_version_fkey/,
        );
        await client.query(`DELETE FROM forms WHERE id = $1`, [formId]);
        const left = await client.query(`SELECT 1 FROM form_versions WHERE form_id = $1`, [formId]);
        expect(left.rowCount).toBe(0);
      } finally {
        await client.end();
      }
    });

    it('serves keyset pagination of submissions from the index, without a sort', async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('SET enable_seqscan = off');
        const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
          `EXPLAIN (FORMAT JSON) SELECT id, received_at FROM submissions
            WHERE form_id = $1 AND (received_at, id) < ($2, $3)
            ORDER BY received_at DESC, id DESC LIMIT 50`,
          ['6f1c1f9e-4d1c-4a57-9d52-3c1b8d7f2a10', new Date(), '6f1c1f9e-4d1c-4a57-9d52-3c1b8d7f2a10'],
        );
        const plan = JSON.stringify(rows[0]['QUERY PLAN']);
        expect(plan).toContain('submissions_form_id_received_at_id_idx');
        expect(plan).not.toContain('"Sort"');
      } finally {
        await client.end();
      }
    });
  });
});
