import { addressScope, inNetwork, type IpNetwork, parseIp, parseNetwork, unmapped } from './ip-address';

/**
 * Where outbound calls (webhooks) may go: public addresses, plus what the operator lists in
 * OUTBOUND_ALLOW. A user-supplied URL must never reach the service's own network (SSRF): loopback,
 * private, link-local (the cloud metadata service) or any other special-purpose address.
 */
export interface OutboundAllowList {
  /** Host names allowed whatever they resolve to (lower case, no trailing dot). */
  hosts: string[];
  /** Addresses and networks allowed. */
  networks: IpNetwork[];
}

export type Verdict = { allowed: true; address: string } | { allowed: false; reason: string };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A DNS name; an all-numeric last label would be a mistyped address. */
function isHostName(host: string): boolean {
  return HOST_NAME.test(host) && !/(^|\.)\d+$/.test(host);
}

/** The host of a URL as it is compared and resolved: lower case, without IPv6 brackets or a trailing dot. */
export function normalHost(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/** OUTBOUND_ALLOW: comma-separated host names, addresses and networks (CIDR). Throws naming the first bad entry. */
export function parseAllowList(raw: string): OutboundAllowList {
  const list: OutboundAllowList = { hosts: [], networks: [] };
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const network = parseNetwork(entry);
    if (network) list.networks.push(network);
    else if (isHostName(normalHost(entry))) list.hosts.push(normalHost(entry));
    else throw new Error(`"${entry}" is neither a host name, an IP address nor a network (CIDR)`);
  }
  return list;
}

/**
 * Decides which of the addresses `host` resolved to a call may connect to: the first that is
 * public or allow-listed (an allow-listed host name admits any). Refused when there is none.
 */
export function pickAddress(host: string, addresses: string[], allow: OutboundAllowList): Verdict {
  const name = normalHost(host);
  const reasons: string[] = [];
  for (const text of addresses) {
    const ip = parseIp(text);
    if (!ip) {
      reasons.push(`${text} is not an IP address`);
      continue;
    }
    const target = unmapped(ip);
    const scope = addressScope(target);
    if (scope === 'public' || allow.hosts.includes(name) || allow.networks.some((n) => inNetwork(target, n))) {
      return { allowed: true, address: text.replace(/%.*$/, '') };
    }
    reasons.push(`${text} is a ${scope} address`);
  }
  if (!reasons.length) return { allowed: false, reason: `${name} resolves to no address` };
  return { allowed: false, reason: `${name}: ${reasons.join(', ')}, and OUTBOUND_ALLOW does not list it` };
}

/**
 * The verdict on a URL host that is an IP literal (after the URL parser's normalisation, which
 * turns `0x7f000001`, `2130706433` and `0177.0.0.1` into `127.0.0.1`); undefined for a name.
 */
export function literalVerdict(hostname: string, allow: OutboundAllowList): Verdict | undefined {
  const host = normalHost(hostname);
  return parseIp(host) ? pickAddress(host, [host], allow) : undefined;
}
