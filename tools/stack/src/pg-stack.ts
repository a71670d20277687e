import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPgBinDir } from './pg-binaries';
import {
  PgRunner,
  baseBackup,
  initPrimary,
  isClusterRunning,
  isInitialized,
  parentPid,
  readPostmasterPid,
  samePath,
  startCluster,
  stopCluster,
  systemIdentifier,
  writeClusterConf,
} from './pg-cluster';
import { chooseSocketDir, isStackClusterName, primaryClusterName, replicaClusterName, replicaSlotName } from './pg-config';
import { PG_OS_USER, existingPgRoot, isRoot, preparePgRoot } from './pg-location';
import { Ownership } from './redis-stack';
import { StackError, missingPostgresMessage, portConflictMessage } from './stack-error';
import { StackSettings } from './stack-settings';
import { isPortOpen, waitFor } from './tcp-probe';

/** The database the apps use, made on the primary. */
export const APP_DATABASE = 'formscale';
/**
 * How long `up` waits for every replica to stream. A fresh replica connects
 * within a second or two of starting; the bound catches one that never will
 * (a wrong slot, a primary it cannot reach) with its log instead of a hang.
 */
export const REPLICATION_TIMEOUT_MS = 60_000;

export interface PgNode {
  /** primary, replica-1, replica-2, ... */
  name: string;
  role: 'primary' | 'replica';
  /** 1-based replica number; 0 for the primary. */
  index: number;
  port: number;
  /** The variable that sets this node's port, for conflict messages. */
  portVariable: string;
  clusterName: string;
  dataDir: string;
  logFile: string;
}

export function pgNodes(settings: StackSettings, root: string): PgNode[] {
  const node = (name: string, role: PgNode['role'], index: number, port: number, portVariable: string, clusterName: string): PgNode => ({
    name, role, index, port, portVariable, clusterName,
    dataDir: join(root, name),
    logFile: join(root, `${name}.log`),
  });
  return [
    node('primary', 'primary', 0, settings.primaryPort, 'PG_PRIMARY_PORT', primaryClusterName()),
    ...settings.replicaPorts.map((port, i) => node(`replica-${i + 1}`, 'replica', i + 1, port, 'PG_REPLICA_PORTS', replicaClusterName(i + 1))),
  ];
}

/** What answers on a node's port. */
type PortProbe =
  | { kind: 'free' }
  | { kind: 'foreign'; message: string }
  | { kind: 'stack'; owner: Ownership; clusterName: string; dataDirectory: string; pid?: number; startedAt: string };

export interface PgNodeResult {
  component: string;
  port: number;
  pid?: number;
  owner: Ownership;
  /** started: existing data started; created: initdb or base backup, then started; reused: already running. */
  action: 'started' | 'created' | 'reused';
  /** When the postmaster started; the same value on a later `up` means it was not restarted. */
  startedAt?: string;
}

async function makeRunner(cwd: string): Promise<PgRunner> {
  const bin = await findPgBinDir();
  if (!bin) throw new StackError(missingPostgresMessage());
  return new PgRunner(bin, isRoot() ? PG_OS_USER : undefined, cwd);
}

async function probePort(runner: PgRunner, node: PgNode): Promise<PortProbe> {
  if (!(await isPortOpen('127.0.0.1', node.port))) return { kind: 'free' };
  const result = await runner.tryQuery(
    node.port,
    `select current_setting('cluster_name'), current_setting('data_directory'), pg_postmaster_start_time(),
            (select pid from pg_stat_activity where backend_type = 'checkpointer')`,
  );
  if (!result.ok) {
    // psql's FATAL comes from a PostgreSQL that turned us away; anything else is not PostgreSQL.
    const holder = result.error.includes('FATAL') ? { kind: 'postgres' as const, clusterName: '' } : { kind: 'program' as const };
    return { kind: 'foreign', message: portConflictMessage(node.port, node.portVariable, holder) };
  }
  const [clusterName = '', dataDirectory = '', startedAt = '', checkpointer = ''] = result.rows[0] ?? [];
  if (!isStackClusterName(clusterName)) {
    return { kind: 'foreign', message: portConflictMessage(node.port, node.portVariable, { kind: 'postgres', clusterName }) };
  }
  const pid = readPostmasterPid(dataDirectory) ?? (checkpointer ? parentPid(Number(checkpointer)) : undefined);
  const owner: Ownership = samePath(dataDirectory, node.dataDir) ? 'this clone' : 'other';
  return { kind: 'stack', owner, clusterName, dataDirectory, pid, startedAt };
}

export async function pgUp(settings: StackSettings, log: (line: string) => void): Promise<PgNodeResult[]> {
  const root = await preparePgRoot(settings, log);
  const runner = await makeRunner(root);
  log(`postgres: using PostgreSQL ${runner.bin.version.join('.')} from ${runner.bin.bindir} (found via ${runner.bin.source})`);
  const nodes = pgNodes(settings, root);
  const probes = await Promise.all(nodes.map((node) => probePort(runner, node)));
  for (const probe of probes) if (probe.kind === 'foreign') throw new StackError(probe.message);

  const [primary, ...replicas] = nodes;
  const primaryProbe = probes[0];
  if (primaryProbe.kind === 'stack' && primaryProbe.owner === 'other') {
    return reuseOtherClone(runner, nodes, probes, log);
  }
  for (const [i, replica] of replicas.entries()) {
    const probe = probes[i + 1];
    if (probe.kind === 'stack' && probe.owner === 'other') {
      throw new StackError(
        `port ${replica.port} is in use by ${probe.clusterName} of the formscale stack of another clone (${probe.dataDirectory}), ` +
          `while the primary on ${primary.port} is this clone's: stop that stack (npm run stack:down there) or set PG_REPLICA_PORTS to free ports`,
      );
    }
  }

  const results: PgNodeResult[] = [];
  const socketDir = chooseSocketDir(root, Math.max(...nodes.map((n) => n.port)), tmpdir());
  results.push(await primaryUp(runner, primary, primaryProbe, socketDir, log));
  await ensurePrimaryObjects(runner, primary, replicas);
  const primaryId = await systemIdentifier(runner, primary.dataDir);
  // Replicas come up side by side: each base backup mostly waits on the primary and the disk.
  results.push(
    ...(await Promise.all(replicas.map((replica, i) => replicaUp(runner, replica, probes[i + 1], primary, primaryId, socketDir, log)))),
  );
  await waitForStreaming(runner, primary, replicas, log);
  return results;
}

async function primaryUp(runner: PgRunner, node: PgNode, probe: PortProbe, socketDir: string, log: (line: string) => void): Promise<PgNodeResult> {
  if (probe.kind === 'stack') {
    log(`postgres: ${node.name} already runs on port ${node.port} (pid ${probe.pid ?? '?'}), reusing it`);
    return { component: node.name, port: node.port, pid: probe.pid, owner: 'this clone', action: 'reused', startedAt: probe.startedAt };
  }
  let action: PgNodeResult['action'] = 'started';
  if (!isInitialized(node.dataDir)) {
    log(`postgres: initdb of the ${node.name} in ${node.dataDir} (a few seconds)`);
    rmSync(node.dataDir, { recursive: true, force: true });
    await initPrimary(runner, node);
    action = 'created';
  }
  return startNode(runner, node, socketDir, action, log);
}

async function replicaUp(
  runner: PgRunner,
  node: PgNode,
  probe: PortProbe,
  primary: PgNode,
  primaryId: string | undefined,
  socketDir: string,
  log: (line: string) => void,
): Promise<PgNodeResult> {
  if (probe.kind === 'stack') {
    log(`postgres: ${node.name} already runs on port ${node.port} (pid ${probe.pid ?? '?'}), reusing it`);
    return { component: node.name, port: node.port, pid: probe.pid, owner: 'this clone', action: 'reused', startedAt: probe.startedAt };
  }
  let action: PgNodeResult['action'] = 'started';
  const usable =
    isInitialized(node.dataDir) &&
    existsSync(join(node.dataDir, 'standby.signal')) &&
    primaryId !== undefined &&
    (await systemIdentifier(runner, node.dataDir)) === primaryId;
  if (!usable) {
    if (existsSync(node.dataDir)) log(`postgres: ${node.name} in ${node.dataDir} is not a replica of this primary, rebuilding it`);
    log(`postgres: base backup of the primary into ${node.dataDir} for ${node.name} (a few seconds)`);
    rmSync(node.dataDir, { recursive: true, force: true });
    await baseBackup(runner, node, primary.port, replicaSlotName(node.index));
    action = 'created';
  }
  return startNode(runner, node, socketDir, action, log);
}

async function startNode(
  runner: PgRunner,
  node: PgNode,
  socketDir: string,
  action: PgNodeResult['action'],
  log: (line: string) => void,
): Promise<PgNodeResult> {
  if (await isClusterRunning(runner, node.dataDir)) {
    throw new StackError(
      `the ${node.name} in ${node.dataDir} runs but does not answer on port ${node.port}: ` +
        'stop it (npm run stack:down) and run stack:up again',
      node.logFile,
    );
  }
  await writeClusterConf(runner, node, { clusterName: node.clusterName, port: node.port, socketDir });
  log(`postgres: starting the ${node.name} on port ${node.port} (log: ${node.logFile})`);
  await startCluster(runner, node);
  const probe = await probePort(runner, node);
  if (probe.kind !== 'stack' || probe.owner !== 'this clone') {
    throw new StackError(`the ${node.name} started but port ${node.port} does not answer as it`, node.logFile);
  }
  return { component: node.name, port: node.port, pid: probe.pid, owner: 'this clone', action, startedAt: probe.startedAt };
}

/** A slot per replica, so the primary keeps the WAL a stopped replica still needs, and the app database. */
async function ensurePrimaryObjects(runner: PgRunner, primary: PgNode, replicas: PgNode[]): Promise<void> {
  const slots = replicas.map((r) => `('${replicaSlotName(r.index)}')`).join(', ');
  if (slots !== '') {
    await runner.query(
      primary.port,
      `select pg_create_physical_replication_slot(name) from (values ${slots}) as wanted(name)
        where name not in (select slot_name from pg_replication_slots)`,
    );
  }
  await ensureDatabase(runner, primary);
}

async function ensureDatabase(runner: PgRunner, primary: PgNode): Promise<void> {
  const rows = await runner.query(primary.port, `select 1 from pg_database where datname = '${APP_DATABASE}'`);
  if (rows.length > 0) return;
  const created = await runner.tryQuery(primary.port, `create database ${APP_DATABASE}`);
  // Another `up` (of another clone sharing this primary) may have made it meanwhile.
  if (!created.ok && !created.error.includes('already exists')) {
    throw new StackError(`creating database ${APP_DATABASE} on port ${primary.port} failed: ${created.error}`, primary.logFile);
  }
}

interface ReplicationRow {
  name: string;
  state: string;
  lagBytes: number;
}

export async function replicationRows(runner: PgRunner, primaryPort: number): Promise<ReplicationRow[] | undefined> {
  const result = await runner.tryQuery(
    primaryPort,
    `select application_name, state, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), -1)::bigint
       from pg_stat_replication`,
  );
  if (!result.ok) return undefined;
  return result.rows.map(([name = '', state = '', lag = '-1']) => ({ name, state, lagBytes: Number(lag) }));
}

async function waitForStreaming(runner: PgRunner, primary: PgNode, replicas: PgNode[], log: (line: string) => void): Promise<void> {
  if (replicas.length === 0) return;
  log(`postgres: waiting for ${replicas.map((r) => r.name).join(' and ')} to stream from the primary`);
  let last: ReplicationRow[] = [];
  const streaming = await waitFor(async () => {
    last = (await replicationRows(runner, primary.port)) ?? [];
    const ok = replicas.every((r) => last.some((row) => row.name === r.clusterName && row.state === 'streaming'));
    return ok ? true : undefined;
  }, REPLICATION_TIMEOUT_MS);
  if (!streaming) {
    const stuck = replicas.find((r) => !last.some((row) => row.name === r.clusterName && row.state === 'streaming'));
    throw new StackError(
      `${stuck?.name ?? 'a replica'} is not streaming from the primary after ${REPLICATION_TIMEOUT_MS / 1000} s ` +
        `(pg_stat_replication: ${last.map((row) => `${row.name}=${row.state}`).join(', ') || 'empty'})`,
      stuck?.logFile,
    );
  }
  log('postgres: replication verified, every replica is streaming');
}

async function reuseOtherClone(runner: PgRunner, nodes: PgNode[], probes: PortProbe[], log: (line: string) => void): Promise<PgNodeResult[]> {
  const results: PgNodeResult[] = [];
  for (const [i, node] of nodes.entries()) {
    const probe = probes[i];
    if (probe.kind !== 'stack' || probe.clusterName !== node.clusterName) {
      throw new StackError(
        `the primary on port ${nodes[0].port} belongs to the formscale stack of another clone, but port ${node.port} ` +
          `does not hold its ${node.name}: start that stack fully (npm run stack:up there), or set PG_PRIMARY_PORT and PG_REPLICA_PORTS to free ports`,
      );
    }
    log(`postgres: reusing the ${node.name} on port ${node.port} of another clone's stack (${probe.dataDirectory}); stack:down here leaves it running`);
    results.push({ component: node.name, port: node.port, pid: probe.pid, owner: probe.owner, action: 'reused', startedAt: probe.startedAt });
  }
  await ensureDatabase(runner, nodes[0]);
  await waitForStreaming(runner, nodes[0], nodes.slice(1), log);
  return results;
}

export async function pgDown(settings: StackSettings, log: (line: string) => void): Promise<void> {
  const root = existingPgRoot(settings);
  if (root === undefined) {
    log('postgres: this clone has no clusters, nothing to stop');
    return;
  }
  const runner = await makeRunner(root);
  // The primary first: a fast shutdown still sends its last WAL to connected
  // replicas, so they stop fully caught up.
  for (const node of pgNodes(settings, root)) {
    if (!(await isClusterRunning(runner, node.dataDir))) continue;
    log(`postgres: stopping the ${node.name} (port ${node.port}); its data stays in ${node.dataDir}`);
    await stopCluster(runner, node);
  }
}

export interface PgNodeStatus {
  component: string;
  port: number;
  pid?: number;
  owner?: Ownership;
  state: 'running' | 'stopped' | 'not created' | 'port taken';
  /** Replicas only: the primary's view of them. */
  streaming?: boolean;
  lagBytes?: number;
  note?: string;
}

export async function pgStatus(settings: StackSettings): Promise<PgNodeStatus[]> {
  const root = existingPgRoot(settings) ?? join(settings.dataDir, 'pg');
  const runner = await makeRunner(existsSync(root) ? root : '/');
  const nodes = pgNodes(settings, root);
  const probes = await Promise.all(nodes.map((node) => probePort(runner, node)));
  const primaryUp = probes[0].kind === 'stack';
  const replication = primaryUp ? ((await replicationRows(runner, nodes[0].port)) ?? []) : [];
  return nodes.map((node, i): PgNodeStatus => {
    const probe = probes[i];
    const base = { component: node.name, port: node.port };
    if (probe.kind === 'free') return { ...base, state: isInitialized(node.dataDir) ? 'stopped' : 'not created' };
    if (probe.kind === 'foreign') return { ...base, state: 'port taken', note: probe.message };
    const status: PgNodeStatus = { ...base, pid: probe.pid, owner: probe.owner, state: 'running' };
    if (probe.owner === 'other') status.note = probe.dataDirectory;
    if (node.role === 'replica') {
      const row = replication.find((r) => r.name === node.clusterName);
      status.streaming = row?.state === 'streaming';
      if (row && row.lagBytes >= 0) status.lagBytes = row.lagBytes;
    }
    return status;
  });
}
