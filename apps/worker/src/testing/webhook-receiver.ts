import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body exactly as it arrived: what the signature covers. */
  readonly body: string;
  /** Date.now() when the whole request had arrived. */
  readonly at: number;
}

/**
 * An HTTP server on 127.0.0.1 that records every request and answers each path
 * with a scripted list of statuses (the last one repeats; 204 by default).
 */
export interface WebhookReceiver {
  readonly port: number;
  url(path: string): string;
  answer(path: string, statuses: readonly number[]): void;
  received(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const scripts = new Map<string, readonly number[]>();
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const seen = requests.filter((earlier) => earlier.path === path).length;
      requests.push({ method: request.method ?? '', path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const script = scripts.get(path) ?? [204];
      response.statusCode = script[Math.min(seen, script.length - 1)] ?? 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    answer: (path, statuses) => void scripts.set(path, statuses),
    received: (path) => requests.filter((request) => request.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
