/**
 * The PostgreSQL settings of the local stack. They live in two files included
 * from each cluster's postgresql.conf: formscale.conf is the same on every
 * node (the replicas get it through the base backup), formscale-node.conf
 * holds what differs per node and is rewritten after the base backup.
 */

/** Every cluster_name of the stack starts with this; it is how the stack knows its own servers. */
export const CLUSTER_NAME_PREFIX = 'formscale-';

/** Enough for every parallel Jest worker's pools plus the four apps running beside them. */
export const DEFAULT_MAX_CONNECTIONS = 300;

export const SHARED_CONF_FILE = 'formscale.conf';
export const NODE_CONF_FILE = 'formscale-node.conf';

/** The lines appended to initdb's postgresql.conf; later settings win, so ours override initdb's. */
export const CONF_INCLUDES = `\n# formscale local stack (tools/stack)\ninclude '${SHARED_CONF_FILE}'\ninclude '${NODE_CONF_FILE}'\n`;

export function primaryClusterName(): string {
  return `${CLUSTER_NAME_PREFIX}primary`;
}

export function replicaClusterName(index: number): string {
  return `${CLUSTER_NAME_PREFIX}replica-${index}`;
}

/** Physical slot names allow only [a-z0-9_]. */
export function replicaSlotName(index: number): string {
  return `formscale_replica_${index}`;
}

export function isStackClusterName(name: string): boolean {
  return name.startsWith(CLUSTER_NAME_PREFIX);
}

export interface SharedConfOptions {
  maxConnections?: number;
}

export function renderSharedConf(options: SharedConfOptions = {}): string {
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  return `# Written by tools/stack on every start; edit tools/stack/src/pg-config.ts instead.
# Settings of a development box: a primary and its streaming replicas on one
# machine, beside the apps and parallel tests. Not production settings.

# IPv4 and IPv6 loopback only: nothing outside this machine can connect, and
# pg_hba.conf trusts every local user, which is only safe because of this.
listen_addresses = 'localhost'

# Each integration test file opens its own pools while Jest runs files in
# parallel and the apps may run beside them; 100 (the default) runs out.
# Replicas must have at least the primary's value, so all nodes share it.
max_connections = ${maxConnections}

# Three clusters share the box with Redis, four apps and the tests: keep the
# default buffer size instead of the usual 25 % of RAM of a dedicated server.
shared_buffers = 128MB

# Streaming replication: enough WAL for standbys, senders and slots for the
# two replicas plus the throwaway ones that tests make with pg_basebackup.
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
# A slot keeps WAL for a stopped replica; cap it so a replica left stopped for
# days cannot fill the disk (the slot is then invalidated and the replica must
# be rebuilt: delete its folder and run stack:up).
max_slot_wal_keep_size = 1GB

# Replicas serve reads (the replica router sends them there).
hot_standby = on
# Replicas tell the primary which rows their queries still need, so vacuum on
# the primary does not cancel long reads on a replica.
hot_standby_feedback = on
# Replicas report replay progress every second instead of every 10 s, so the
# lag that pg_stat_replication shows (and the router reads) is current.
wal_receiver_status_interval = 1s

# Dev data is disposable. Commits still write their WAL to the kernel before
# they return, so a killed server (what fault tests do) loses nothing; only a
# crash of the whole machine can lose or corrupt data, and then deleting
# .data/pg and running stack:up again rebuilds it. Skipping fsync makes
# CREATE DATABASE from a template per test file fast. Never in production.
fsync = off
full_page_writes = off
synchronous_commit = on

# Times in logs and now() the same on every developer's machine and in CI.
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
`;
}

export interface NodeConfOptions {
  clusterName: string;
  port: number;
  /** Folder for the Unix socket, or '' for TCP only. */
  socketDir: string;
}

export function renderNodeConf(options: NodeConfOptions): string {
  return `# Written by tools/stack: what differs between the nodes of the local stack.
cluster_name = '${options.clusterName}'
port = ${options.port}
unix_socket_directories = '${options.socketDir}'
`;
}

/** Unix socket paths are limited to 107 bytes on Linux (sun_path); the name is .s.PGSQL.<port>. */
const MAX_SOCKET_PATH = 107;

/**
 * The cluster folder keeps the socket away from the system's
 * /var/run/postgresql (which a normal user cannot write to); a clone in a deep
 * folder falls back to the system temp folder, PostgreSQL's own default.
 */
export function chooseSocketDir(preferred: string, port: number, tempDir: string): string {
  const name = `/.s.PGSQL.${port}`;
  return Buffer.byteLength(preferred + name) <= MAX_SOCKET_PATH ? preferred : tempDir;
}
