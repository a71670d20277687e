import {
  advanceToken,
  ConsistencyTokenError,
  currentToken,
  currentTokenLsn,
  parseConsistencyToken,
  runWithConsistency,
} from './consistency-context';

describe('consistency token', () => {
  it('validates header values at the edge', () => {
    expect(parseConsistencyToken('16/B374D848')).toBe(0x16b374d848n);
    expect(parseConsistencyToken(' 16/B374D848 ')).toBe(0x16b374d848n);
    expect(parseConsistencyToken(undefined)).toBeUndefined();
    expect(parseConsistencyToken('')).toBeUndefined();
    expect(parseConsistencyToken(['0/10'])).toBe(0x10n);
  });

  it('rejects a malformed value with an error the API maps to 400 and that says what to send', () => {
    for (const bad of ['latest', '16-B374D848', '1/2/3', "0/0'; DROP TABLE forms"]) {
      const attempt = () => parseConsistencyToken(bad);
      expect(attempt).toThrow(ConsistencyTokenError);
      expect(attempt).toThrow(/must be a PostgreSQL WAL position such as 16\/B374D848/);
    }
    expect(() => parseConsistencyToken(['0/1', '0/2'])).toThrow(ConsistencyTokenError);
    try {
      parseConsistencyToken('nope');
    } catch (error) {
      expect((error as ConsistencyTokenError).status).toBe(400);
    }
  });

  it('travels with async work inside the context and is absent outside', async () => {
    expect(currentToken()).toBeUndefined();
    await runWithConsistency('0/10', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(currentToken()).toBe('0/10');
      expect(currentTokenLsn()).toBe(0x10n);
    });
    expect(currentToken()).toBeUndefined();
  });

  it('throws before running fn when the token is malformed', () => {
    const fn = jest.fn();
    expect(() => runWithConsistency('garbage', fn)).toThrow(ConsistencyTokenError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('only moves forward when writes advance it, and only inside a context', async () => {
    advanceToken(0x99n);
    expect(currentToken()).toBeUndefined();
    await runWithConsistency(undefined, async () => {
      expect(currentToken()).toBeUndefined();
      advanceToken(0x20n);
      expect(currentToken()).toBe('0/20');
      advanceToken(0x10n);
      expect(currentToken()).toBe('0/20');
      await Promise.resolve();
      advanceToken(0x1_00000000n);
      expect(currentToken()).toBe('1/0');
    });
  });

  it('keeps concurrent requests apart', async () => {
    const seen = await Promise.all(
      ['0/1', '0/2', '0/3'].map((token) =>
        runWithConsistency(token, async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return currentToken();
        }),
      ),
    );
    expect(seen).toEqual(['0/1', '0/2', '0/3']);
  });
});
