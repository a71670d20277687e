import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { TestDatabase } from '@formscale/db/testing';
import { run } from './system-tools';
import type { FleetSpec } from './upstream-fleet';

// A cold webpack build of forms-api on a loaded 2-core machine.
const BUILD_TIMEOUT_MS = 600_000;

/** An app's built entry point, building it first when dist/ has none (a plain `jest` run; Nx builds it through dependsOn). */
export function builtAppMain(workspaceRoot: string, app: string): string {
  const main = join(workspaceRoot, `dist/apps/${app}/main.js`);
  if (existsSync(main)) return main;
  const build = run('npx', ['nx', 'build', app, '--outputStyle=static'], {
    cwd: workspaceRoot,
    env: { ...process.env, NX_DAEMON: 'false' },
    timeoutMs: BUILD_TIMEOUT_MS,
  });
  if (build.status !== 0 || !existsSync(main)) {
    throw new Error(`could not build ${app} (run \`npx nx build ${app}\` to see why):\n${build.stdout}${build.stderr}`);
  }
  return main;
}

/** The built forms-api entry point. */
export function builtFormsApiMain(workspaceRoot: string): string {
  return builtAppMain(workspaceRoot, 'forms-api');
}

/** What one test file's forms-api instances share: a database, a Redis prefix of their own and an admin key. */
export interface FormsApiEnvironment {
  adminKey: string;
  queuePrefix: string;
  env: NodeJS.ProcessEnv;
}

export function formsApiEnvironment(db: TestDatabase, label: string): FormsApiEnvironment {
  const id = `${label}-${randomBytes(4).toString('hex')}`;
  const adminKey = `edge-admin-${randomBytes(12).toString('hex')}`;
  const queuePrefix = `{${id}}`;
  return {
    adminKey,
    queuePrefix,
    env: {
      DATABASE_URL: db.url,
      DATABASE_REPLICA_URLS: db.replicaUrls.join(','),
      QUEUE_PREFIX: queuePrefix,
      EVENTS_PREFIX: `${id}:`,
      ADMIN_API_KEYS: adminKey,
      LOG_LEVEL: 'warn',
      // Every request of the test comes from 127.0.0.1; the API's own limit must not answer 429.
      RATE_LIMIT_SUBMISSIONS: '1000000',
    },
  };
}

/** Instances of the built forms-api, each on its own port, all on one database. */
export function formsApiFleetSpec(main: string, environment: FormsApiEnvironment): FleetSpec {
  return {
    name: 'forms-api',
    instance: (port, index) => ({
      command: process.execPath,
      args: [main],
      env: { ...environment.env, FORMS_API_PORT: String(port), HOST: '127.0.0.1', INSTANCE_ID: `edge-test-${index}` },
    }),
    readyPath: '/health/ready',
  };
}

/** Creates and publishes a form through the admin API of one instance; returns its id. */
export async function publishForm(apiUrl: string, adminKey: string, slug: string): Promise<string> {
  const admin = async (path: string, body?: unknown): Promise<Response> =>
    fetch(`${apiUrl}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const fields = [
    { name: 'name', type: 'text', required: true, minLength: 2, maxLength: 40 },
    { name: 'email', type: 'email', required: true },
  ];
  const created = await admin('/api/admin/forms', { slug, title: slug, fields });
  if (created.status !== 201) throw new Error(`create form: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const published = await admin(`/api/admin/forms/${id}/publish`);
  if (published.status !== 200) throw new Error(`publish form: ${published.status} ${await published.text()}`);
  return id;
}

/** Deletes the keys the instances wrote under the test's prefix (form cache, rate-limit counters). */
export async function deleteRedisKeys(redisUrl: string, queuePrefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
