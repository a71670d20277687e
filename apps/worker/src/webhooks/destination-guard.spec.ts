import { refusalReason, RefusedDestinationError, resolveAllowedDestination } from './destination-guard';

const strict = { allowLoopback: false, allowPrivate: false };

describe('webhook destination guard', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.5', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.10', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['0.0.0.0', 'unroutable'],
  ])('refuses %s (%s)', (address) => {
    expect(refusalReason(address, strict)).toBeDefined();
  });

  it('allows public addresses', () => {
    expect(refusalReason('93.184.216.34', strict)).toBeUndefined();
    expect(refusalReason('2606:2800:220:1::1', strict)).toBeUndefined();
  });

  it('allows loopback or private ranges only when told, and the metadata address never', () => {
    expect(refusalReason('127.0.0.1', { allowLoopback: true, allowPrivate: false })).toBeUndefined();
    expect(refusalReason('10.0.0.1', { allowLoopback: true, allowPrivate: false })).toBeDefined();
    expect(refusalReason('10.0.0.1', { allowLoopback: false, allowPrivate: true })).toBeUndefined();
    expect(refusalReason('169.254.169.254', { allowLoopback: true, allowPrivate: true })).toBeDefined();
  });

  it('resolves names and refuses one that points inside', async () => {
    await expect(resolveAllowedDestination(new URL('http://localhost:9/hook'), strict)).rejects.toBeInstanceOf(RefusedDestinationError);
    await expect(resolveAllowedDestination(new URL('http://[::1]:9/hook'), strict)).rejects.toThrow(/WEBHOOK_ALLOW_LOOPBACK/);
  });
});
