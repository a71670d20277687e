import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface DestinationPolicy {
  /** 127.0.0.0/8 and ::1: local development and tests. */
  readonly allowLoopback: boolean;
  /** RFC 1918, CGNAT, unique-local and link-local ranges: a private deployment's own receivers. */
  readonly allowPrivate: boolean;
}

/** A webhook URL that must not be called; retrying cannot change that. */
export class RefusedDestinationError extends Error {
  constructor(url: string, address: string, why: string) {
    super(
      `webhook destination ${url} resolves to ${address}, ${why}; refused to protect internal services. ` +
        'Use a public address, or allow the range with WEBHOOK_ALLOW_LOOPBACK / WEBHOOK_ALLOW_PRIVATE',
    );
    this.name = 'RefusedDestinationError';
  }
}

function blockList(entries: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of entries) list.addSubnet(network, prefix, family);
  return list;
}

/** Cloud metadata services: never a webhook, whatever the settings. */
const METADATA = blockList([
  ['169.254.169.254', 32, 'ipv4'],
  ['169.254.170.2', 32, 'ipv4'],
  ['100.100.100.200', 32, 'ipv4'],
  ['fd00:ec2::254', 128, 'ipv6'],
]);
/** Addresses that are no one's service: this host's "any", multicast, reserved, broadcast. */
const UNROUTABLE = blockList([
  ['0.0.0.0', 8, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
]);
const LOOPBACK = blockList([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const PRIVATE = blockList([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
]);

/** Why an address is refused under the policy, or undefined when it may be called. */
export function refusalReason(address: string, policy: DestinationPolicy): string | undefined {
  // ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address inside.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped?.[1] ?? address;
  const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  if (METADATA.check(ip, family)) return 'a cloud metadata address';
  if (UNROUTABLE.check(ip, family)) return 'an unroutable address';
  if (LOOPBACK.check(ip, family) && !policy.allowLoopback) return 'a loopback address';
  if (PRIVATE.check(ip, family) && !policy.allowPrivate) return 'a private or link-local address';
  return undefined;
}

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Resolves the URL's host once and checks every address. The caller connects
 * to these addresses only (no second lookup), so a DNS answer that changes
 * between check and connect cannot smuggle in an internal address.
 */
export async function resolveAllowedDestination(url: URL, policy: DestinationPolicy): Promise<ResolvedAddress[]> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses: ResolvedAddress[] =
    isIP(host) !== 0
      ? [{ address: host, family: isIP(host) === 4 ? 4 : 6 }]
      : (await lookup(host, { all: true })).map((entry) => ({ address: entry.address, family: entry.family === 4 ? 4 : 6 }));
  for (const entry of addresses) {
    const reason = refusalReason(entry.address, policy);
    if (reason !== undefined) throw new RefusedDestinationError(url.toString(), entry.address, reason);
  }
  return addresses;
}
