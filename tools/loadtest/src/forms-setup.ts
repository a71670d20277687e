import { z } from 'zod';

/** What every load-test form asks: the submission body below fits it. */
export const LOADTEST_FIELDS = [
  { name: 'name', type: 'text', required: true, minLength: 1, maxLength: 100 },
  { name: 'email', type: 'email', required: true },
  { name: 'message', type: 'textarea', maxLength: 2000 },
  { name: 'plan', type: 'select', options: ['free', 'pro', 'team'] },
];

/** A valid answer to LOADTEST_FIELDS; `n` varies it so bodies are not all identical. */
export function submissionBody(n: number): string {
  return JSON.stringify({
    name: `Load Test ${n}`,
    email: `user${n}@example.com`,
    message: 'Measured by npm run loadtest.',
    plan: ['free', 'pro', 'team'][n % 3],
  });
}

// Enough to keep setup short for thousands of forms without queueing at the API.
const SETUP_CONCURRENCY = 16;

const createdSchema = z.object({ id: z.uuid() });

// nginx's write limit in front of the API (10/s with a burst of 20 by default) slows a big
// setup down; waiting and retrying gets through it, 60 tries cover a minute of refusals.
const RATE_LIMITED_RETRIES = 60;
const RATE_LIMITED_WAIT_MS = 1_000;

async function adminCall(url: string, adminKey: string, method: string, path: string, body?: unknown): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    const answer = await adminCallOnce(url, adminKey, method, path, body);
    if (answer !== RATE_LIMITED) return answer;
    if (attempt >= RATE_LIMITED_RETRIES) {
      throw new Error(`setup: ${method} ${path} was refused with 429 ${attempt} times; lift the rate limits in front of ${url} or pass --url of the API itself`);
    }
    await new Promise((resolve) => setTimeout(resolve, RATE_LIMITED_WAIT_MS));
  }
}

const RATE_LIMITED = Symbol('rate limited');

async function adminCallOnce(url: string, adminKey: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method,
      headers: { 'x-api-key': adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new Error(`setup: nothing answers at ${url} (${error instanceof Error ? error.message : String(error)}); start the system with npm start or pass --url`);
  }
  const text = await response.text();
  if (response.status === 429) return RATE_LIMITED;
  if (response.status === 401 || response.status === 403) {
    throw new Error(`setup: the admin API refused the key (${response.status}); pass --admin-key with one of the server's ADMIN_API_KEYS`);
  }
  if (!response.ok) throw new Error(`setup: ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Creates and publishes `count` forms through the admin API; returns their ids in creation order. */
export async function createPublishedForms(url: string, adminKey: string, count: number, runId: string): Promise<string[]> {
  const ids: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const created = createdSchema.parse(
        await adminCall(url, adminKey, 'POST', '/api/admin/forms', { slug: `loadtest-${runId}-${i}`, title: `Load test form ${i}`, fields: LOADTEST_FIELDS }),
      );
      await adminCall(url, adminKey, 'POST', `/api/admin/forms/${created.id}/publish`);
      ids[i] = created.id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(SETUP_CONCURRENCY, count) }, worker));
  return ids;
}

/**
 * One read of a form before the load: a target that already fails it would
 * only measure that failure (nginx answering 500 when its workers cannot
 * write their cache folder, say), so the run stops here and says so.
 */
export async function checkFormRead(url: string, formId: string): Promise<void> {
  const path = `/api/forms/${formId}`;
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new Error(`setup: GET ${path} got no answer from ${url} (${error instanceof Error ? error.message : String(error)})`);
  }
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(
      `setup: GET ${path} answered ${response.status} before the load started, so the run would only measure that failure: ` +
        `${text.replace(/\s+/g, ' ').slice(0, 300)}. Fix the target first; behind nginx its error.log says why.`,
    );
  }
}
