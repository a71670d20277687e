import { AsyncLocalStorage } from 'node:async_hooks';
import { formatLsn, parseLsn } from './lsn';

/**
 * Read-your-writes across requests: a write answers with the primary's WAL
 * position (the consistency token); a later read that carries it is served
 * only by a node that has replayed that far. Within one request the token
 * travels in AsyncLocalStorage, so the code between the HTTP edge and the
 * router never has to pass it along.
 */

/** The header the API returns after a write and accepts back on reads. */
export const CONSISTENCY_TOKEN_HEADER = 'x-consistency-token';

/** A malformed token from a client; the API maps it to 400 Bad Request. */
export class ConsistencyTokenError extends Error {
  readonly status = 400;

  constructor(readonly received: string) {
    super(
      `The ${CONSISTENCY_TOKEN_HEADER} header must be a PostgreSQL WAL position such as 16/B374D848 ` +
        `(two hexadecimal numbers of up to 8 digits separated by '/'), but it was ${JSON.stringify(received.slice(0, 40))}. ` +
        `Send back the value a previous response carried in ${CONSISTENCY_TOKEN_HEADER}, or leave the header out.`,
    );
    this.name = 'ConsistencyTokenError';
  }
}

/**
 * Validates a token from the edge (a request header). An absent or empty value
 * means "no token"; anything else that is not an LSN throws ConsistencyTokenError.
 */
export function parseConsistencyToken(value: string | readonly string[] | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length > 1) throw new ConsistencyTokenError(value.join(','));
    return parseConsistencyToken(value[0]);
  }
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const lsn = parseLsn(trimmed);
  if (lsn === undefined) throw new ConsistencyTokenError(value);
  return lsn;
}

/** The mutable per-request slot: writes inside the context move it forward. */
interface ConsistencySlot {
  lsn: bigint | undefined;
}

const storage = new AsyncLocalStorage<ConsistencySlot>();

/**
 * Runs fn with a consistency context. `token` is a header value (validated
 * here: a malformed one throws ConsistencyTokenError before fn runs) or a
 * position already parsed by parseConsistencyToken.
 */
export function runWithConsistency<T>(token: string | bigint | undefined, fn: () => T): T {
  const lsn = typeof token === 'string' ? parseConsistencyToken(token) : token;
  return storage.run({ lsn }, fn);
}

/** The token of the current context, formatted for a response header; undefined outside a context or before any write. */
export function currentToken(): string | undefined {
  const lsn = storage.getStore()?.lsn;
  return lsn === undefined ? undefined : formatLsn(lsn);
}

/** The router's view of the current token. */
export function currentTokenLsn(): bigint | undefined {
  return storage.getStore()?.lsn;
}

/** Called by the router after a committed write: the context's token only ever moves forward. */
export function advanceToken(lsn: bigint): void {
  const slot = storage.getStore();
  if (slot !== undefined && (slot.lsn === undefined || lsn > slot.lsn)) slot.lsn = lsn;
}
