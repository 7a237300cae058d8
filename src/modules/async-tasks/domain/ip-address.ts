/**
 * IP addresses, networks and where an address leads: the pure rules behind the outbound-call
 * policy (SSRF) and the proxy list. Addresses are numbers (32 or 128 bits) so that every textual
 * form of one address (`::ffff:127.0.0.1`, `::ffff:7f00:1`) compares equal.
 */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface IpNetwork {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

/** Where an address leads: only `public` is reachable without the operator's say-so. */
export type AddressScope = 'public' | 'unspecified' | 'loopback' | 'private' | 'link-local' | 'multicast' | 'reserved';

const BITS = { 4: 32, 6: 128 } as const;

/** A dotted quad of four decimal octets, without leading zeros (URL and DNS answers are canonical). */
function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let groups: string[];
  let tail: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // An embedded dotted quad (::ffff:1.2.3.4) stands for the last two groups.
    tail = parseIpv4(text.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tail !== undefined) value = (value & ~0xffffffffn) | tail;
  return value;
}

/** Parses an IPv4 or IPv6 address (brackets and an IPv6 zone such as `%eth0` are dropped); undefined if it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1').replace(/%[\w.-]+$/, '');
  const v4 = parseIpv4(bare);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = bare.includes(':') ? parseIpv6(bare) : undefined;
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** `10.0.0.0/8`, `fc00::/7`, or one address (a network of one). */
export function parseNetwork(text: string): IpNetwork | undefined {
  const [address, prefixText, extra] = text.split('/');
  if (extra !== undefined) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const bits = BITS[ip.family];
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  return { family: ip.family, base: ip.value & mask(ip.family, prefix), prefix };
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BITS[family];
  return ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

export function inNetwork(ip: IpAddress, network: IpNetwork): boolean {
  return ip.family === network.family && (ip.value & mask(ip.family, network.prefix)) === network.base;
}

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4 address it maps: a socket to one reaches the other. */
export function unmapped(ip: IpAddress): IpAddress {
  return ip.family === 6 && ip.value >> 32n === 0xffffn ? { family: 4, value: ip.value & 0xffffffffn } : ip;
}

const net = (text: string) => parseNetwork(text)!;

/** Special-purpose ranges (IANA registries, RFC 6890): anything listed here is not public. */
const SCOPES: [IpNetwork, AddressScope][] = [
  [net('0.0.0.0/8'), 'unspecified'], // "this network": 0.0.0.0 reaches the local host on Linux
  [net('10.0.0.0/8'), 'private'],
  [net('100.64.0.0/10'), 'private'], // carrier-grade NAT (shared address space)
  [net('127.0.0.0/8'), 'loopback'],
  [net('169.254.0.0/16'), 'link-local'], // includes the cloud metadata service 169.254.169.254
  [net('172.16.0.0/12'), 'private'],
  [net('192.0.0.0/24'), 'reserved'], // IETF protocol assignments
  [net('192.0.2.0/24'), 'reserved'], // documentation
  [net('192.88.99.0/24'), 'reserved'], // 6to4 relay anycast (deprecated)
  [net('192.168.0.0/16'), 'private'],
  [net('198.18.0.0/15'), 'reserved'], // benchmarking
  [net('198.51.100.0/24'), 'reserved'], // documentation
  [net('203.0.113.0/24'), 'reserved'], // documentation
  [net('224.0.0.0/4'), 'multicast'],
  [net('240.0.0.0/4'), 'reserved'], // future use, and 255.255.255.255 broadcast
  [net('::/128'), 'unspecified'],
  [net('::1/128'), 'loopback'],
  [net('::/96'), 'reserved'], // IPv4-compatible (deprecated)
  [net('64:ff9b:1::/48'), 'private'], // local-use NAT64
  [net('100::/64'), 'reserved'], // discard-only
  [net('2001::/23'), 'reserved'], // IETF protocol assignments, Teredo included
  [net('2001:db8::/32'), 'reserved'], // documentation
  [net('3fff::/20'), 'reserved'], // documentation
  [net('fc00::/7'), 'private'], // unique local (AWS metadata fd00:ec2::254 included)
  [net('fe80::/10'), 'link-local'],
  [net('fec0::/10'), 'private'], // site-local (deprecated)
  [net('ff00::/8'), 'multicast'],
];

/** IPv6 ranges that carry an IPv4 address, which decides where they lead: [network, shift of the IPv4 bits]. */
const EMBEDDING: [IpNetwork, bigint][] = [
  [net('::ffff:0:0/96'), 0n], // IPv4-mapped
  [net('::ffff:0:0:0/96'), 0n], // IPv4-translated (SIIT)
  [net('64:ff9b::/96'), 0n], // well-known NAT64 prefix
  [net('2002::/16'), 80n], // 6to4: the IPv4 address follows the prefix
];

/** Where `ip` leads. An IPv6 address that embeds an IPv4 one leads where that one does. */
export function addressScope(ip: IpAddress): AddressScope {
  for (const [network, shift] of EMBEDDING) {
    if (inNetwork(ip, network)) return addressScope({ family: 4, value: (ip.value >> shift) & 0xffffffffn });
  }
  return SCOPES.find(([network]) => inNetwork(ip, network))?.[1] ?? 'public';
}
