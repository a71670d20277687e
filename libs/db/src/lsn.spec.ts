import { formatLsn, lsnDistance, parseLsn } from './lsn';

describe('WAL positions', () => {
  it('parses PostgreSQL notation into a 64-bit position', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(0xffffffffffffffffn);
    expect(parseLsn('16/b374d848')).toBe(0x16b374d848n);
  });

  it('rejects anything else', () => {
    for (const bad of ['', '16', '16/', '/B374D848', '16/B374D848/1', '1G/0', '123456789/0', ' 16/B374D848', '16:B374D848']) {
      expect(parseLsn(bad)).toBeUndefined();
    }
  });

  it('formats like PostgreSQL and round-trips', () => {
    expect(formatLsn(0x16b374d848n)).toBe('16/B374D848');
    expect(formatLsn(0x100000000n)).toBe('1/0');
    for (const text of ['0/0', '16/B374D848', 'FFFFFFFF/FFFFFFFF', '0/3000060']) {
      expect(formatLsn(parseLsn(text) as bigint)).toBe(text);
    }
  });

  it('orders positions across the 32-bit boundary, where string order would be wrong', () => {
    const low = parseLsn('0/FFFFFFFF') as bigint;
    const high = parseLsn('1/0') as bigint;
    expect(high > low).toBe(true);
    expect(lsnDistance(high, low)).toBe(1);
    // '9/0' < 'A/0' in WAL order; as strings 'A' > '9' agrees but '10/0' < '9/0' would not.
    expect((parseLsn('10/0') as bigint) > (parseLsn('9/0') as bigint)).toBe(true);
  });

  it('never reports a negative distance', () => {
    expect(lsnDistance(parseLsn('0/100') as bigint, parseLsn('0/200') as bigint)).toBe(0);
  });
});
