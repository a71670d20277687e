import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runAutocannon } from './autocannon-driver';

/** A server that answers every request, closing the connection after every `closeEvery`-th answer (0: never). */
async function startServer(closeEvery: number): Promise<{ server: Server; url: string; handled: () => number }> {
  let handled = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      handled++;
      if (closeEvery > 0 && handled % closeEvery === 0) response.setHeader('connection', 'close');
      response.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handled: () => handled };
}

const read = () => ({ method: 'GET' as const, path: '/' });

describe('the autocannon driver accounts for every planned request', () => {
  let target: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    target?.server.closeAllConnections();
    target?.server.close();
    target = undefined;
  });

  it('counts requests lost on connections the server closed', async () => {
    target = await startServer(4);
    const result = await runAutocannon({ url: target.url, connections: 3, durationSeconds: 1, requests: 90, next: read });

    expect(result.sent).toBe(90);
    expect(result.closedUnanswered).toBeGreaterThan(0);
    expect(result.requests + result.socketErrors + result.timeouts + result.closedUnanswered).toBe(90);
    expect(result.inFlightAtStop).toBe(0);
    // The lost requests never reached the server: it answered exactly what the client counted.
    expect(target.handled()).toBe(result.requests);
  });

  it('loses nothing when the server keeps its connections open', async () => {
    target = await startServer(0);
    const result = await runAutocannon({ url: target.url, connections: 3, durationSeconds: 1, requests: 90, next: read });

    expect(result).toMatchObject({ sent: 90, requests: 90, closedUnanswered: 0, socketErrors: 0, timeouts: 0 });
  });

  it('holds open, idle, the connections autocannon does not use at a fixed rate', async () => {
    target = await startServer(0);
    let open = 0;
    let most = 0;
    target.server.on('connection', (socket) => {
      most = Math.max(most, ++open);
      socket.on('close', () => open--);
    });
    const result = await runAutocannon({ url: target.url, connections: 5, durationSeconds: 1, rate: 2, next: read });

    expect(result.connections).toEqual({ sending: 2, idle: 3, idleFailed: 0, idleClosedByServer: 0 });
    expect(most).toBe(5);
    expect(result.requests).toBeGreaterThan(0);
  });
});
