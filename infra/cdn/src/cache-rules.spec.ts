import { cacheKeyUrl, EDGE_ROUTES, edgeSettingsFromVars, freshness, isFingerprinted, storePolicy } from './cache-rules';

const settings = edgeSettingsFromVars({});

describe('cache rules', () => {
  it('keys on the path plus only allowed parameters, sorted', () => {
    expect(cacheKeyUrl('https://e.test/api/forms/1?utm=x&_=9', EDGE_ROUTES)).toBe('https://e.test/api/forms/1');
    expect(cacheKeyUrl('https://e.test/static/a.js?z=1&v=3', EDGE_ROUTES)).toBe('https://e.test/static/a.js?v=3');
  });

  it('tells fingerprinted names from plain ones', () => {
    expect(isFingerprinted('/static/app.3f9a1c2b.js')).toBe(true);
    expect(isFingerprinted('/static/app.js')).toBe(false);
    expect(isFingerprinted('/static/app.bundle.js')).toBe(false);
  });

  it('takes the lifetime from s-maxage over max-age and refuses private, no-store and Set-Cookie', () => {
    const policy = (headers: Record<string, string>) => storePolicy({ status: 200, headers: new Headers(headers) }, settings);
    expect(policy({ 'cache-control': 'public, max-age=10, s-maxage=60, stale-while-revalidate=300' })).toEqual({
      store: true,
      ttlSeconds: 60,
      staleWhileRevalidateSeconds: 300,
      staleIfErrorSeconds: 300,
    });
    expect(policy({ 'cache-control': 'private, max-age=60' }).store).toBe(false);
    expect(policy({ 'cache-control': 'no-store' }).store).toBe(false);
    expect(policy({ 'cache-control': 'public, max-age=60', 'set-cookie': 'a=b' }).store).toBe(false);
    expect(policy({}).store).toBe(false);
  });

  it('ages an entry from fresh through stale to dead', () => {
    const cc = 'public, s-maxage=60, stale-while-revalidate=300, stale-if-error=600';
    expect(freshness(0, 59_000, cc, settings)).toBe('fresh');
    expect(freshness(0, 61_000, cc, settings)).toBe('stale-while-revalidate');
    expect(freshness(0, 400_000, cc, settings)).toBe('stale-if-error-only');
    expect(freshness(0, 700_000, cc, settings)).toBe('dead');
  });
});
