import { createServer } from 'node:net';

/** A loopback port with nothing listening on it, for "dependency unreachable" tests (and for a server to take). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('could not reserve a port');
  return address.port;
}
