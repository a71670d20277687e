import { isConnectionError, isRecoveryConflict } from './query-errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('query errors', () => {
  it('treats lost or refused connections and shutting-down servers as connection errors', () => {
    expect(isConnectionError(pgError('ECONNREFUSED'))).toBe(true);
    expect(isConnectionError(pgError('ECONNRESET'))).toBe(true);
    expect(isConnectionError(pgError('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isConnectionError(pgError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isConnectionError(pgError('08006'))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('leaves query errors alone: retrying them elsewhere would fail the same way', () => {
    expect(isConnectionError(pgError('42P01', 'relation "nope" does not exist'))).toBe(false);
    expect(isConnectionError(pgError('23505', 'duplicate key'))).toBe(false);
    expect(isConnectionError(pgError('57014', 'canceling statement due to statement timeout'))).toBe(false);
    expect(isConnectionError('Connection terminated')).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
  });

  it('recognises a replica cancelling a read for its WAL replay', () => {
    expect(isRecoveryConflict(pgError('40001', 'canceling statement due to conflict with recovery'))).toBe(true);
    expect(isRecoveryConflict(pgError('40001', 'could not serialize access'))).toBe(false);
  });
});
