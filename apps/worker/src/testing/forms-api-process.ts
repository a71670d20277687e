import { startAppProcess, type AppProcess } from '@formscale/observability/testing';

/*
 * The forms API as a process (dist/apps/forms-api/main.js), for system tests
 * that send submissions the way clients do. The worker's tests may not import
 * the API's code (an app never imports another), only run its build.
 */

export const ADMIN_KEY = 'worker-system-test-admin-key-0123456789';

/** Name, email and a message: what the submissions of these tests answer. */
export const SYSTEM_TEST_FIELDS = [
  { name: 'name', type: 'text', required: true, maxLength: 100 },
  { name: 'email', type: 'email', required: true },
  { name: 'message', type: 'textarea', maxLength: 2000 },
];

export type FormsApiProcess = AppProcess;

/** Starts the API on a free port with an admin key and no practical rate limit (every test client is 127.0.0.1). */
export function startFormsApiProcess(env: Record<string, string>): Promise<FormsApiProcess> {
  return startAppProcess({
    app: 'forms-api',
    portVariable: 'FORMS_API_PORT',
    env: { ADMIN_API_KEYS: ADMIN_KEY, RATE_LIMIT_SUBMISSIONS: '1000000000', ...env },
  });
}

async function adminCall(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'x-api-key': ADMIN_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** Creates and publishes a form through the admin API; returns its id. */
export async function publishFormThroughApi(url: string, slug: string): Promise<string> {
  const { id } = (await adminCall(url, 'POST', '/api/admin/forms', { slug, title: slug, fields: SYSTEM_TEST_FIELDS })) as { id: string };
  await adminCall(url, 'POST', `/api/admin/forms/${id}/publish`);
  return id;
}

export interface SubmitResult {
  readonly status: number;
  /** The submission id of a 202. */
  readonly id?: string;
}

/** POSTs one submission; the answer's status and, on 202, the id. */
export async function submitThroughApi(url: string, formId: string, index: number): Promise<SubmitResult> {
  const response = await fetch(`${url}/api/forms/${formId}/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `Person ${index}`, email: `person${index}@example.com`, message: `submission number ${index}` }),
  });
  const text = await response.text();
  if (response.status !== 202) return { status: response.status };
  return { status: 202, id: (JSON.parse(text) as { id: string }).id };
}

/** Runs `count` submissions with `concurrency` in flight; every answer, in index order. */
export async function submitMany(url: string, formId: string, count: number, concurrency: number): Promise<SubmitResult[]> {
  const results: SubmitResult[] = new Array(count);
  let next = 0;
  const client = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await submitThroughApi(url, formId, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, client));
  return results;
}
