import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { StackUpResult, stackDown, stackStatus, stackUp } from './index';
import { probeRedis } from './redis-probe';
import { readStackSettings, redisHost, redisPort } from './stack-settings';
import { waitFor } from './tcp-probe';

/** A cold `up` runs initdb and two base backups; on a busy 2-core box that can take a while. */
const UP_TIMEOUT_MS = 180_000;
/** Streaming replicas replay a commit within milliseconds; the bound only ends a broken wait. */
const REPLICA_VISIBILITY_MS = 10_000;

const quiet = () => undefined;

/** A TCP server on a free loopback port that answers like a web server, i.e. not Redis or PostgreSQL. */
async function listenAsOtherProgram(): Promise<Server> {
  const server = createServer((socket) => {
    // Probes hang up without reading the answer; a reset is expected, not a failure.
    socket.on('error', () => socket.destroy());
    // Read (and drop) what the probe sends, or the socket never sees its end and close() waits forever.
    socket.resume();
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return address.port;
}

describe('local stack (real redis-server and PostgreSQL)', () => {
  const settings = readStackSettings();
  // Another clone of the repository: its own .data, the same ports.
  const otherClone = mkdtempSync(join(tmpdir(), 'stack-int-clone-'));
  const schema = `stack_int_${process.pid}_${Date.now()}`;
  const clients: Client[] = [];
  const servers: Server[] = [];
  let first: StackUpResult;
  let second: StackUpResult;
  const secondLog: string[] = [];

  async function connect(port: number): Promise<Client> {
    const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'formscale' });
    clients.push(client);
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    first = await stackUp({ log: quiet });
    second = await stackUp({ log: (line) => secondLog.push(line) });
  }, UP_TIMEOUT_MS);

  afterAll(async () => {
    if (clients[0]) await clients[0].query(`drop schema if exists ${schema} cascade`);
    await Promise.all(clients.map((client) => client.end()));
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    // mkdtemp made the other clone 0700, so as root its clusters' folder went to the temp folder.
    const pgLocation = join(otherClone, '.data', 'pg-location');
    if (existsSync(pgLocation)) rmSync(readFileSync(pgLocation, 'utf8').trim(), { recursive: true, force: true });
    rmSync(otherClone, { recursive: true, force: true });
  });

  it('starts nothing new on a second up: same postmasters, same Redis', () => {
    expect(second.redis.action).toBe('reused');
    expect(second.redis.pid).toBe(first.redis.pid);
    expect(second.postgres.map((n) => n.component)).toEqual(['primary', ...settings.replicaPorts.map((_, i) => `replica-${i + 1}`)]);
    for (const [i, node] of second.postgres.entries()) {
      expect(node.action).toBe('reused');
      expect(node.pid).toBeDefined();
      expect(node.pid).toBe(first.postgres[i].pid);
      expect(node.startedAt).toBe(first.postgres[i].startedAt);
    }
    expect(secondLog.some((line) => /starting|initdb|base backup/.test(line))).toBe(false);
  });

  it('replicates a row written on the primary to every replica', async () => {
    const primary = await connect(settings.primaryPort);
    await primary.query(`create schema ${schema}`);
    await primary.query(`create table ${schema}.probe (id int primary key, note text not null)`);
    const note = `written by ${schema}`;
    await primary.query(`insert into ${schema}.probe (id, note) values (1, $1)`, [note]);

    for (const port of settings.replicaPorts) {
      const replica = await connect(port);
      const { rows: recovery } = await replica.query<{ replica: boolean }>('select pg_is_in_recovery() as replica');
      expect(recovery[0].replica).toBe(true);
      const seen = await waitFor(async () => {
        // Until the DDL replays the table does not exist there: keep polling.
        const result = await replica.query<{ note: string }>(`select note from ${schema}.probe where id = 1`).catch(() => undefined);
        return result?.rows[0]?.note;
      }, REPLICA_VISIBILITY_MS);
      expect(seen).toBe(note);
    }
  });

  it('reports both replicas streaming in status', async () => {
    const rows = await stackStatus({ settings });
    expect(rows.map((r) => r.component)).toEqual(['redis', ...second.postgres.map((n) => n.component)]);
    expect(rows.every((r) => r.state === 'running' && r.pid !== undefined)).toBe(true);
    for (const replica of rows.filter((r) => r.component.startsWith('replica-'))) {
      expect(replica.streaming).toBe(true);
      expect(replica.lagBytes).toBeGreaterThanOrEqual(0);
    }
  });

  it("reuses another clone's clusters and leaves them running on that clone's down", async () => {
    const otherSettings = readStackSettings(process.env, otherClone);
    const reused = await stackUp({ settings: otherSettings, log: quiet });
    expect(reused.postgres.map((n) => [n.action, n.owner, n.pid])).toEqual(second.postgres.map((n) => ['reused', 'other', n.pid]));
    if (process.getuid?.() === 0) {
      // The postgres user cannot enter a 0700 folder of root's: the clusters' folder is one it made itself.
      const location = readFileSync(join(otherClone, '.data', 'pg-location'), 'utf8').trim();
      expect(location.startsWith(tmpdir())).toBe(true);
      expect(statSync(location).uid).not.toBe(0);
    }

    await stackDown({ settings: otherSettings, log: quiet });
    const after = await stackStatus({ settings });
    expect(after.slice(1).map((r) => [r.state, r.pid])).toEqual(second.postgres.map((n) => ['running', n.pid]));
  });

  it('names the variable to change when a port is held by another program', async () => {
    const server = await listenAsOtherProgram();
    servers.push(server);
    const port = portOf(server);
    const conflicting = readStackSettings({ ...process.env, PG_PRIMARY_PORT: String(port), PG_REPLICA_PORTS: '' }, otherClone);
    await expect(stackUp({ settings: conflicting, log: quiet })).rejects.toThrow(
      `port ${port} is in use by another program: set PG_PRIMARY_PORT to a free port`,
    );
  });

  it('tells Redis from another program and from a closed port', async () => {
    const redis = await probeRedis(settings.redisUrl, redisHost(settings.redisUrl), redisPort(settings.redisUrl));
    expect(redis).toEqual(expect.objectContaining({ kind: 'redis' }));

    const server = await listenAsOtherProgram();
    servers.push(server);
    expect(await probeRedis(new URL(`redis://127.0.0.1:${portOf(server)}`), '127.0.0.1', portOf(server))).toEqual({ kind: 'other' });

    const closed = await listenAsOtherProgram();
    const closedPort = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    expect(await probeRedis(new URL(`redis://127.0.0.1:${closedPort}`), '127.0.0.1', closedPort)).toEqual({ kind: 'none' });
  });
});
