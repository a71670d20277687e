import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NginxPurgeClient } from './nginx-purge-client';

/** Stands in for nginx's internal port: records each refresh and answers the next queued statuses, then 200. */
async function startNginxStandIn() {
  const requests: { method: string; path: string }[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '' });
    res.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, answerNext: (...next: number[]) => statuses.push(...next), close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('NginxPurgeClient against a stand-in for nginx internal port', () => {
  let nginx: Awaited<ReturnType<typeof startNginxStandIn>>;
  beforeAll(async () => {
    nginx = await startNginxStandIn();
  });
  afterAll(() => nginx.close());
  beforeEach(() => nginx.requests.splice(0));

  const client = (urls: string[]) => new NginxPurgeClient({ nginxPurgeUrls: urls });

  it('asks every nginx to refresh the form: GET /cache/refresh/api/forms/<id>', async () => {
    expect(await client([nginx.url, `${nginx.url}/`]).purgeForm('f-1')).toEqual([
      { purged: true, attempts: 1 },
      { purged: true, attempts: 1 },
    ]);
    expect(nginx.requests).toEqual([
      { method: 'GET', path: '/cache/refresh/api/forms/f-1' },
      { method: 'GET', path: '/cache/refresh/api/forms/f-1' },
    ]);
  });

  it('counts an archived (409) or deleted (404) answer as stored', async () => {
    nginx.answerNext(409);
    expect(await client([nginx.url]).purgeForm('f-2')).toEqual([{ purged: true, attempts: 1 }]);
  });

  it('retries 502 and 503 with back-off, as the Cloudflare purge does, then succeeds', async () => {
    nginx.answerNext(502, 503);
    expect(await client([nginx.url]).purgeForm('f-3')).toEqual([{ purged: true, attempts: 3 }]);
    expect(nginx.requests).toHaveLength(3);
  });

  it('does not retry a refusal, and says where the refresh is allowed from', async () => {
    nginx.answerNext(403);
    const [outcome] = await client([nginx.url]).purgeForm('f-4');
    expect(outcome).toMatchObject({ purged: false, attempts: 1 });
    expect(outcome?.reason).toMatch(/HTTP 403 .*only from loopback and its statusAllow networks/);
  });

  it('gives up after the last attempt on an nginx that is down, without throwing', async () => {
    const down = `http://127.0.0.1:1`;
    const [outcome] = await client([down]).purgeForm('f-5');
    expect(outcome).toMatchObject({ purged: false, attempts: 3 });
  });

  it('does nothing without NGINX_PURGE_URLS', async () => {
    const none = client([]);
    expect(none.configured).toBe(false);
    expect(await none.purgeForm('f-6')).toEqual([]);
    expect(nginx.requests).toEqual([]);
  });
});
