import { decodeEnvelope, encodeEnvelope } from './cache-entry-codec';

describe('cache entry codec', () => {
  it('round-trips Dates anywhere in the value, including the value itself', () => {
    const value = { at: new Date('2026-01-01T00:00:00.000Z'), list: [new Date(5), { deep: [new Date(6)] }] };

    const decoded = decodeEnvelope(encodeEnvelope(value, 1, 2, undefined))?.value as typeof value;
    const root = decodeEnvelope(encodeEnvelope(new Date(7), 1, 2, undefined))?.value;

    expect(decoded).toEqual(value);
    expect(decoded.at).toBeInstanceOf(Date);
    expect((decoded.list[1] as { deep: Date[] }).deep[0]).toBeInstanceOf(Date);
    expect(root).toEqual(new Date(7));
  });

  it('leaves strings that look like dates, and objects shaped like a date marker, as they are', () => {
    const value = { iso: '2026-01-01T00:00:00.000Z', marker: { $date: '2026-01-01T00:00:00.000Z' }, at: new Date(0) };

    const decoded = decodeEnvelope(encodeEnvelope(value, 1, 2, undefined))?.value;

    expect(decoded).toEqual(value);
  });

  it('carries the lifetimes and tags', () => {
    expect(decodeEnvelope(encodeEnvelope('v', 10, 20, ['a', 'b']))).toEqual({ value: 'v', staleAt: 10, expiresAt: 20, tags: ['a', 'b'] });
  });

  it('stores null and undefined as a negative entry that decodes to undefined', () => {
    expect(encodeEnvelope(null, 1, 2, undefined)).toBe('{"s":1,"e":2,"n":1}');
    expect(decodeEnvelope(encodeEnvelope(undefined, 1, 2, undefined))?.value).toBeUndefined();
  });

  it('refuses values JSON cannot hold, instead of caching something else', () => {
    expect(() => encodeEnvelope(() => 1, 1, 2, undefined)).toThrow(/JSON data/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => encodeEnvelope(cyclic, 1, 2, undefined)).toThrow(TypeError);
  });

  it('treats text that is not an envelope as a miss', () => {
    expect(decodeEnvelope('plain')).toBeUndefined();
    expect(decodeEnvelope('{"v":1}')).toBeUndefined();
    expect(decodeEnvelope('null')).toBeUndefined();
  });
});
