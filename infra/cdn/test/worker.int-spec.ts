import { EDGE_HOST, FORMS_API_CACHE_CONTROL, startEdge, startStandInOrigin, type Edge, type StandInOrigin } from '../src/edge-runtime';

/**
 * The worker in workerd (Miniflare) in front of a stand-in origin that sends
 * exactly the headers forms-api sends on a form read.
 */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('edge worker in workerd', () => {
  let origin: StandInOrigin;
  let edge: Edge;

  beforeAll(async () => {
    origin = await startStandInOrigin();
    edge = await startEdge({ ORIGIN_URL: origin.url });
  });
  afterAll(async () => {
    await edge.close();
    await origin.close();
  });

  const originHits = (path: string) => origin.requests.filter((request) => request.url.split('?')[0] === path).length;

  it('misses once, then answers from the cache with the origin headers and the caller request id', async () => {
    const first = await edge.fetch('/api/forms/hit-1', { headers: { 'x-request-id': 'req-a' } });
    expect(first.headers.get('x-edge-cache')).toBe('MISS');
    expect(first.headers.get('x-request-id')).toBe('req-a');
    expect(origin.requests.at(-1)?.headers['x-request-id']).toBe('req-a');
    await until(() => edge.holds(`${EDGE_HOST}/api/forms/hit-1`), 'the entry to be stored');

    const second = await edge.fetch('/api/forms/hit-1', { headers: { 'x-request-id': 'req-b' } });
    expect(second.headers.get('x-edge-cache')).toBe('HIT');
    expect(second.headers.get('x-request-id')).toBe('req-b');
    expect(second.body).toBe(first.body);
    expect(second.headers.get('cache-control')).toBe(FORMS_API_CACHE_CONTROL);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(second.headers.get('cache-tag')).toBeNull();
    expect(second.headers.get('x-edge-cached-at')).toBeNull();
    expect(Number(second.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(originHits('/api/forms/hit-1')).toBe(1);

    const conditional = await edge.fetch('/api/forms/hit-1', { headers: { 'if-none-match': first.headers.get('etag') ?? 'missing' } });
    expect(conditional.status).toBe(304);
    expect(originHits('/api/forms/hit-1')).toBe(1);
  });

  it.each([
    ['no-store', { 'cache-control': 'no-store' }],
    ['private', { 'cache-control': 'private, max-age=60' }],
    ['Set-Cookie', { 'set-cookie': 'session=abc; HttpOnly' }],
  ])('never stores a response with %s', async (name, headers) => {
    const path = `/api/forms/resp-${name.toLowerCase()}`;
    origin.override(path, { headers });
    const first = await edge.fetch(path);
    const second = await edge.fetch(path);
    expect(first.headers.get('x-edge-cache')).toBe('BYPASS');
    expect(second.headers.get('x-edge-cache')).toBe('BYPASS');
    expect(originHits(path)).toBe(2);
    expect(await edge.holds(`${EDGE_HOST}${path}`)).toBe(false);
  });

  it.each([
    ['Authorization', { authorization: 'Bearer secret' }],
    ['a session cookie', { cookie: 'theme=dark; session=abc' }],
    ['X-Api-Key', { 'x-api-key': 'admin-key-0123456789' }],
  ])('never answers a request carrying %s from the cache, nor stores its answer', async (name, headers) => {
    const path = `/api/forms/req-${name.replace(/\W/g, '')}`;
    // Prime the entry with an anonymous read, then show the personal read still reaches the origin.
    await edge.fetch(path);
    await until(() => edge.holds(`${EDGE_HOST}${path}`), 'the anonymous entry');
    const personal = await edge.fetch(path, { headers });
    expect(personal.headers.get('x-edge-cache')).toBe('BYPASS');
    expect(originHits(path)).toBe(2);
    const [[header, value]] = Object.entries(headers) as [[string, string]];
    expect(origin.requests.at(-1)?.headers[header]).toBe(value);
  });

  it('passes a cookie that is not a session cookie and still caches', async () => {
    const path = '/api/forms/analytics-cookie';
    await edge.fetch(path, { headers: { cookie: '_ga=1' } });
    await until(() => edge.holds(`${EDGE_HOST}${path}`), 'the entry');
    expect((await edge.fetch(path, { headers: { cookie: '_ga=2' } })).headers.get('x-edge-cache')).toBe('HIT');
  });

  it('sends writes to the origin', async () => {
    const answer = await edge.fetch('/api/forms/w1/submissions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('x-edge-cache')).toBe('BYPASS');
    expect(origin.requests.at(-1)).toMatchObject({ method: 'POST', url: '/api/forms/w1/submissions' });
  });

  it('shares one entry between random query strings, and the origin never sees them', async () => {
    const path = '/api/forms/query-1';
    await edge.fetch(`${path}?utm_source=mail&_=${Math.random()}`);
    await until(() => edge.holds(`${EDGE_HOST}${path}`), 'the entry');
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await edge.fetch(`${path}?cb=${i}&z=${Math.random()}`)).headers.get('x-edge-cache'));
    expect(statuses).toEqual(['HIT', 'HIT', 'HIT', 'HIT', 'HIT']);
    expect(origin.requests.filter((request) => request.url.startsWith(path)).map((request) => request.url)).toEqual([path]);
  });

  it('keeps the allowed static parameter, sorted, and gives a year only to fingerprinted names', async () => {
    const hashed = await edge.fetch('/static/app.3f9a1c2b.js?x=1&v=2');
    expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(origin.requests.at(-1)?.url).toBe('/static/app.3f9a1c2b.js?v=2');
    const plain = await edge.fetch('/static/app.js');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=300');
    await until(() => edge.holds(`${EDGE_HOST}/static/app.js`), 'the plain asset');
    expect((await edge.fetch('/static/app.js')).headers.get('cache-control')).toBe('public, max-age=300');
  });
});

describe('edge worker staleness', () => {
  let origin: StandInOrigin;
  let edge: Edge;

  beforeAll(async () => {
    // A one-second lifetime so staleness comes quickly; the windows are the forms API's kind of directives.
    origin = await startStandInOrigin({ cacheControl: 'public, s-maxage=1, stale-while-revalidate=600, stale-if-error=600' });
    edge = await startEdge({ ORIGIN_URL: origin.url });
  });
  afterAll(async () => {
    await edge.close();
    await origin.close();
  });

  it('serves stale while exactly one background refresh runs, then the refreshed copy', async () => {
    const path = '/api/forms/swr-1';
    const first = await edge.fetch(path);
    await until(() => edge.holds(`${EDGE_HOST}${path}`), 'the entry');
    await sleep(1_200);

    const release = origin.hold();
    const stale = await Promise.all([1, 2, 3, 4, 5].map(() => edge.fetch(path)));
    for (const answer of stale) {
      expect(answer.headers.get('x-edge-cache')).toBe('STALE');
      expect(answer.body).toBe(first.body);
    }
    await until(async () => origin.requests.filter((request) => request.url === path).length === 2, 'the refresh to reach the origin');
    const more = await edge.fetch(path);
    expect(more.headers.get('x-edge-cache')).toBe('STALE');
    expect(origin.requests.filter((request) => request.url === path)).toHaveLength(2);
    release();

    await until(async () => (await edge.fetch(path)).body !== first.body, 'the refreshed copy');
    expect(origin.requests.filter((request) => request.url === path)).toHaveLength(2);
  });

  it('serves the stored copy when the origin fails (stale-if-error)', async () => {
    const path = '/api/forms/sie-1';
    // No stale-while-revalidate: once expired, the worker must ask the origin, and only its failure allows the stale copy.
    origin.override(path, { headers: { 'cache-control': 'public, s-maxage=1, stale-if-error=600' } });
    const first = await edge.fetch(path);
    await until(() => edge.holds(`${EDGE_HOST}${path}`), 'the entry');
    await origin.close();
    await sleep(1_200);
    const answer = await edge.fetch(path);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-edge-cache')).toBe('STALE');
    expect(answer.body).toBe(first.body);
    const never = await edge.fetch('/api/forms/never-cached');
    expect(never.status).toBe(502);
  });
});
