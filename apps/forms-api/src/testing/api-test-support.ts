import { randomBytes } from 'node:crypto';
import { formsApiConfig, loadConfig, type FormsApiConfig } from '@formscale/config';
import type { TestDatabase } from '@formscale/db/testing';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/** Config for one test file: its own database, queue/cache prefix and admin key. */
export function testConfig(db: TestDatabase, overrides: Record<string, string> = {}): FormsApiConfig {
  return loadConfig(formsApiConfig, {
    ...process.env,
    LOG_LEVEL: 'silent',
    DATABASE_URL: db.url,
    DATABASE_REPLICA_URLS: db.replicaUrls.join(','),
    QUEUE_PREFIX: `{api-test-${randomBytes(4).toString('hex')}}`,
    ADMIN_API_KEYS: ADMIN_KEY,
    RATE_LIMIT_SUBMISSIONS: '1000000',
    ...overrides,
  });
}

export const CONTACT_FIELDS = [
  { name: 'name', type: 'text', required: true, minLength: 2, maxLength: 40 },
  { name: 'email', type: 'email', required: true },
  { name: 'age', type: 'integer', min: 18, max: 120 },
  { name: 'plan', type: 'select', options: ['free', 'pro'] },
  { name: 'agree', type: 'checkbox', required: true },
];

export async function admin(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: { 'x-api-key': ADMIN_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Creates and publishes a form through the admin API; returns its id. */
export async function publishedForm(url: string, slug: string, fields: unknown[] = CONTACT_FIELDS): Promise<string> {
  const created = await admin(url, 'POST', '/api/admin/forms', { slug, title: slug, fields });
  if (created.status !== 201) throw new Error(`create form: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const published = await admin(url, 'POST', `/api/admin/forms/${id}/publish`);
  if (published.status !== 200) throw new Error(`publish: ${published.status} ${await published.text()}`);
  return id;
}

export function submit(url: string, formId: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/api/forms/${formId}/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Sum of db_queries_total for one role, from the app's /metrics. */
export async function queriesByRole(url: string, role: 'primary' | 'replica'): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('db_queries_total{') && line.includes(`role="${role}"`))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}
