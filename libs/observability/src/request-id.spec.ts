import { requestIdFrom } from './request-id';

describe('requestIdFrom', () => {
  it('keeps a caller id that is safe to log', () => {
    expect(requestIdFrom('abc-123_DEF')).toBe('abc-123_DEF');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['with a space', 'a b'],
    ['with a newline', 'a\nb'],
    ['too long', 'x'.repeat(129)],
  ])('makes a new UUID when the caller id is %s', (_label, header) => {
    expect(requestIdFrom(header)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
