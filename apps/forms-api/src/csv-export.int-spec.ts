import { Client } from 'pg';
import { createTestDatabase, waitForReplay, type TestDatabase } from '@formscale/db/testing';
import { startFormsApi, type RunningFormsApi } from './http/forms-api-app';
import { ADMIN_KEY, publishedForm, queriesByRole, testConfig } from './testing/api-test-support';

const ROWS = 10_000;

/** RFC 4180 records: quoted cells may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(cell);
      cell = '';
    } else if (char === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
    } else cell += char;
  }
  if (cell !== '' || record.length > 0) throw new Error('the CSV does not end with a newline');
  return records;
}

describe('CSV export of 10,000 submissions (real PostgreSQL and replicas)', () => {
  let db: TestDatabase;
  let api: RunningFormsApi;
  let formId: string;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'forms-api-csv' });
    api = await startFormsApi(testConfig(db));
    formId = await publishedForm(api.url, 'export');
    const primary = new Client({ connectionString: db.url });
    await primary.connect();
    try {
      // One statement, as the worker's batch insert would store them; every 1,000th answer holds a newline and a formula.
      await primary.query(
        `INSERT INTO submissions (id, form_id, form_version, data, received_at)
         SELECT gen_random_uuid(), $1, 1,
                jsonb_build_object(
                  'name', CASE WHEN i % 1000 = 0 THEN '=HYPERLINK("x")' || chr(10) || 'line two' ELSE 'Name ' || i || ', "the ' || i || 'th"' END,
                  'email', 'user' || i || '@example.com',
                  'age', 18 + i % 80,
                  'agree', true),
                timestamptz '2026-01-01' + make_interval(secs => i)
           FROM generate_series(1, ${ROWS}) AS i`,
        [formId],
      );
    } finally {
      await primary.end();
    }
    // Every replica must have the rows, so the export (read from a replica) sees them all.
    await waitForReplay(db.url, db.replicaUrls);
  }, 90_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('streams every row newest first, with a header and RFC 4180 escaping', async () => {
    const queriesBefore = (await queriesByRole(api.url, 'replica')) + (await queriesByRole(api.url, 'primary'));
    const response = await fetch(`${api.url}/api/admin/forms/${formId}/submissions.csv`, { headers: { 'x-api-key': ADMIN_KEY } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="form-${formId}-submissions.csv"`);
    // Streamed: sent chunked as it is produced, not measured and sent as one buffer.
    expect(response.headers.get('content-length')).toBeNull();
    expect(response.headers.get('transfer-encoding')).toBe('chunked');

    const decoder = new TextDecoder();
    let text = '';
    let chunks = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      text += decoder.decode(chunk, { stream: true });
    }
    text += decoder.decode();
    expect(chunks).toBeGreaterThan(1);
    // Read page by page (1,000 rows each), never the whole table in one result held in memory.
    const queries = (await queriesByRole(api.url, 'replica')) + (await queriesByRole(api.url, 'primary')) - queriesBefore;
    expect(queries).toBeGreaterThanOrEqual(ROWS / 1_000);

    const records = parseCsv(text);
    expect(records).toHaveLength(ROWS + 1);
    expect(records[0]).toEqual(['id', 'form_version', 'received_at', 'name', 'email', 'age', 'plan', 'agree']);
    expect(new Set(records.slice(1).map((record) => record[0])).size).toBe(ROWS);
    expect(records.every((record) => record.length === 8)).toBe(true);

    // Newest first: row 10,000 (a newline and formula row) leads, row 1 ends.
    expect(records[1]?.slice(1)).toEqual(['1', '2026-01-01T02:46:40.000Z', `'=HYPERLINK("x")\nline two`, 'user10000@example.com', '18', '', 'true']);
    expect(records[ROWS]?.slice(1)).toEqual(['1', '2026-01-01T00:00:01.000Z', 'Name 1, "the 1th"', 'user1@example.com', '19', '', 'true']);
    // The raw text: quotes doubled, the cell with a comma quoted, the newline kept inside quotes.
    expect(text).toContain(',"Name 1, ""the 1th""",user1@example.com,19,,true\n');
    expect(text).toContain(`,"'=HYPERLINK(""x"")\nline two",user10000@example.com,`);
  }, 60_000);
});
