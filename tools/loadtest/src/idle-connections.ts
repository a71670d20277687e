import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface IdleConnections {
  /** Connections that were opened and are held. */
  opened: number;
  /** Connections that could not be opened (refused, reset, out of ports). */
  failed: number;
  /** Held connections the server closed before `close()`: nginx drops one that sends no request within client_header_timeout (60 s). */
  closedByServer(): number;
  close(): void;
}

/**
 * Opens `count` TCP connections to the target and holds them open without a
 * request: open connections the server must keep, beside those that send the
 * load. autocannon opens at most one connection per offered req/s at a fixed
 * rate, so 10,000 open connections at 5,000 req/s need the other 5,000 held here.
 */
export async function holdIdleConnections(url: string, count: number): Promise<IdleConnections> {
  const target = new URL(url);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const sockets: Socket[] = [];
  let closing = false;
  let closedByServer = 0;
  const outcomes = await Promise.allSettled(
    Array.from({ length: count }, async () => {
      const socket = connect({ host: target.hostname, port });
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      socket.on('close', () => {
        if (!closing) closedByServer++;
      });
      sockets.push(socket);
    }),
  );
  return {
    opened: sockets.length,
    failed: outcomes.filter((outcome) => outcome.status === 'rejected').length,
    closedByServer: () => closedByServer,
    close: () => {
      closing = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}
