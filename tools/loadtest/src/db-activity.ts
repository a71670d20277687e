import { Client } from 'pg';

/**
 * Time the database spent on the load, from PostgreSQL itself: per server, the
 * time its sessions spent running statements in the run's own database and the
 * transactions they ran, on the primary and on each replica. The collector's
 * query times are the apps' side of the same work, network and pool wait
 * included; the two side by side tell where the time goes.
 */

export interface DbNodeCounters {
  node: string;
  /** Committed and rolled-back transactions: one per statement outside a transaction. */
  transactions: number;
  /** pg_stat_database.active_time, milliseconds. */
  activeMs: number;
}

export interface DbNodeFigures {
  node: string;
  transactionsPerSecond: number;
  /** Mean time a transaction spent running statements; null with none. */
  meanMsPerTransaction: number | null;
}

export interface DbFigures {
  nodes: DbNodeFigures[];
  /** Why a node, or all, could not be read. */
  notes: string[];
}

/** A node's name for the report: its role and port. */
export function nodeName(role: 'primary' | 'replica', url: string): string {
  const parsed = new URL(url);
  return `${role} ${parsed.hostname}:${parsed.port || '5432'}`;
}

async function readNode(node: string, url: string): Promise<DbNodeCounters> {
  const client = new Client({ connectionString: url, application_name: 'formscale:loadtest', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ transactions: string; active_ms: number }>(
      'SELECT xact_commit + xact_rollback AS transactions, active_time AS active_ms FROM pg_stat_database WHERE datname = current_database()',
    );
    return { node, transactions: Number(rows[0]?.transactions ?? 0), activeMs: Number(rows[0]?.active_ms ?? 0) };
  } finally {
    await client.end();
  }
}

/** The counters of every node that answers; a note for each that does not. */
export async function readDbCounters(nodes: ReadonlyArray<{ node: string; url: string }>): Promise<{ counters: DbNodeCounters[]; notes: string[] }> {
  const results = await Promise.allSettled(nodes.map(({ node, url }) => readNode(node, url)));
  const counters: DbNodeCounters[] = [];
  const notes: string[] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') counters.push(result.value);
    else notes.push(`DB time of the ${nodes[i]?.node} not read: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
  });
  return { counters, notes };
}

/** What changed between two reads, per node read both times. */
export function dbFigures(before: readonly DbNodeCounters[], after: readonly DbNodeCounters[], seconds: number): DbNodeFigures[] {
  return after.flatMap((end) => {
    const start = before.find((candidate) => candidate.node === end.node);
    if (start === undefined) return [];
    const transactions = end.transactions - start.transactions;
    return [
      {
        node: end.node,
        transactionsPerSecond: seconds > 0 ? transactions / seconds : 0,
        meanMsPerTransaction: transactions > 0 ? (end.activeMs - start.activeMs) / transactions : null,
      },
    ];
  });
}
