import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** A published form with version 1 and no fields, ready to take submissions. Returns its id. */
export async function createPublishedForm(databaseUrl: string): Promise<string> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const formId = randomUUID();
    await client.query(`INSERT INTO forms (id, slug, title, status) VALUES ($1, $2, 'Test form', 'published')`, [formId, `f-${formId}`]);
    await client.query(`INSERT INTO form_versions (form_id, version, fields, published_at) VALUES ($1, 1, '[]', now())`, [formId]);
    await client.query(`UPDATE forms SET published_version = 1 WHERE id = $1`, [formId]);
    return formId;
  } finally {
    await client.end();
  }
}

/** The first row of one query on its own connection. */
export async function queryOne<T>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows[0] as T;
  } finally {
    await client.end();
  }
}
