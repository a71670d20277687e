import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedPurge {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

/**
 * Stands in for Cloudflare's purge API at the HTTP level (the real one cannot
 * be reached from tests): records each request and answers as the v4 API does,
 * {"success":true,"errors":[],"messages":[],"result":{"id":...}}, or with the
 * statuses queued by failNext.
 */
export async function startPurgeApiStandIn(token: string) {
  const requests: RecordedPurge[] = [];
  const failures: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text: the test then sees it was not JSON
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Bearer ${token}`) {
        reply(403, { success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null });
        return;
      }
      const failure = failures.shift();
      if (failure !== undefined) {
        reply(failure, { success: false, errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }], messages: [], result: null });
        return;
      }
      reply(200, { success: true, errors: [], messages: [], result: { id: `purge-${requests.length}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`,
    requests,
    failNext: (...statuses: number[]) => failures.push(...statuses),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
