/**
 * Which errors a read may be retried on another node for.
 *
 * A connection error says nothing about the query, only about the node: the
 * socket was refused or cut, the server is shutting down or starting, or no
 * connection could be had in time. Those count against the node (max_fails).
 * A recovery conflict ("canceling statement due to conflict with recovery") is
 * a replica cancelling a read so its WAL replay can go on: the node is fine,
 * but another node can serve the read.
 */

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** SQLSTATEs of a node that cannot serve: class 08, shutdowns, start-up, full. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** pg's own errors carry no code, only these messages. */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'not queryable',
  'Query read timeout',
];

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : '';
}

export function isConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined) {
    return CONNECTION_ERRNOS.has(code) || CONNECTION_SQLSTATES.has(code) || code.startsWith('08');
  }
  const message = errorMessage(error);
  return PG_CONNECTION_MESSAGES.some((part) => message.includes(part));
}

export function isRecoveryConflict(error: unknown): boolean {
  const code = errorCode(error);
  return (code === '40001' || code === '40P01') && errorMessage(error).includes('conflict with recovery');
}
