import { CACHE_INVALIDATE_EVENT, cacheInvalidateEventSchema } from './events';

describe('cache.invalidate event', () => {
  it('keeps its wire name', () => {
    expect(CACHE_INVALIDATE_EVENT).toBe('cache.invalidate');
  });

  it('fills omitted lists and flags so a receiver never checks for undefined', () => {
    expect(cacheInvalidateEventSchema.parse({ instanceId: 'a', keys: ['k'] })).toEqual({
      instanceId: 'a',
      keys: ['k'],
      tags: [],
      all: false,
    });
  });

  it('rejects a payload without the sender id, which receivers need to skip their own messages', () => {
    expect(cacheInvalidateEventSchema.safeParse({ keys: ['k'] }).success).toBe(false);
    expect(cacheInvalidateEventSchema.safeParse({ instanceId: '', keys: ['k'] }).success).toBe(false);
  });

  it('rejects keys that are not strings', () => {
    expect(cacheInvalidateEventSchema.safeParse({ instanceId: 'a', keys: [1] }).success).toBe(false);
  });
});
