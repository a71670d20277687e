import { ConsistencyTokenError, runWithConsistency } from '@formscale/db';
import { ApiError } from './api-error';

/**
 * Runs a read with the read-your-writes token a client sent back (X-Consistency-Token):
 * the router then serves it only from a node that has replayed that write. A malformed
 * token is the client's mistake: 400, never 500.
 */
export async function readConsistently<T>(token: string | undefined, read: () => Promise<T>): Promise<T> {
  try {
    return await runWithConsistency(token, read);
  } catch (error) {
    if (error instanceof ConsistencyTokenError) throw new ApiError(400, error.message);
    throw error;
  }
}
