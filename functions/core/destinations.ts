// Where a webhook may deliver. With private destinations off (AWS), only https to a public address: a URL whose
// host is, or resolves to, an address of IANA's special-purpose registries (loopback, private, link-local with the
// metadata address, shared, documentation, benchmarking, reserved, multicast, broadcast), also when an IPv4
// address hides inside an IPv6 one (mapped, translated, compatible, NAT64, 6to4), is refused: at create, and again
// at each delivery, where the host is resolved once and the delivery connects to exactly the addresses checked
// (a name re-pointed between the check and the connection, DNS rebinding, reaches nothing new).
// Locally, by default, http to loopback is allowed.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ValidationError } from './errors.ts';
import type { DestinationPolicy } from './ports.ts';

export const MAX_URL_LENGTH = 2048;

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];
const ranges = (why: string, ...cidrs: string[]) =>
  cidrs.map((cidr) => ({ range: ipaddr.parseCIDR(cidr) as Range, why }));

/** IPv4 special-purpose addresses (RFC 6890 and IANA's registry) and multicast; the first match names the kind. */
const IPV4_REFUSED = [
  ...ranges('a loopback address', '127.0.0.0/8'),
  ...ranges('a private address', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'),
  ...ranges('a link-local address (the metadata service among them)', '169.254.0.0/16'),
  ...ranges('a shared (CGNAT) address', '100.64.0.0/10'),
  ...ranges('an unspecified address', '0.0.0.0/8'),
  ...ranges('an IETF protocol assignment', '192.0.0.0/24'),
  ...ranges('a documentation address', '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'),
  ...ranges('a 6to4 relay address', '192.88.99.0/24'),
  ...ranges('a benchmarking address', '198.18.0.0/15'),
  ...ranges('a multicast address', '224.0.0.0/4'),
  ...ranges('the broadcast address', '255.255.255.255/32'),
  ...ranges('a reserved address', '240.0.0.0/4'),
];

/** IPv6 ranges refused by name; anything else outside global unicast (2000::/3) is refused as reserved. */
const IPV6_REFUSED = [
  ...ranges('a loopback address', '::1/128'),
  ...ranges('an unspecified address', '::/128'),
  ...ranges('a private (ULA) address', 'fc00::/7'),
  ...ranges('a link-local address', 'fe80::/10'),
  ...ranges('a site-local address', 'fec0::/10'),
  ...ranges('a multicast address', 'ff00::/8'),
  ...ranges('a local-use NAT64 address', '64:ff9b:1::/48'),
  ...ranges('a discard-only address', '100::/64'),
  ...ranges('a documentation address', '2001:db8::/32', '3fff::/20'),
  ...ranges('an IETF protocol assignment (Teredo, benchmarking, ORCHID)', '2001::/23'),
];
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3') as Range;

/** IPv6 ranges that carry an IPv4 address in their last 32 bits, and whether they are public when it is. */
const EMBEDDING_IPV4: Array<{ range: Range; name: string; publicWhenItIs: boolean }> = [
  { range: ipaddr.parseCIDR('::ffff:0:0/96') as Range, name: 'an IPv4-mapped address', publicWhenItIs: true },
  { range: ipaddr.parseCIDR('64:ff9b::/96') as Range, name: 'a NAT64 address', publicWhenItIs: true },
  { range: ipaddr.parseCIDR('::ffff:0:0:0/96') as Range, name: 'an IPv4-translated address', publicWhenItIs: false },
  { range: ipaddr.parseCIDR('::/96') as Range, name: 'an IPv4-compatible address (deprecated)', publicWhenItIs: false },
];
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16') as Range;

function matches(address: ipaddr.IPv4 | ipaddr.IPv6, range: Range): boolean {
  return address.kind() === range[0].kind() && address.match(range);
}

function ipv4Kind(address: ipaddr.IPv4): string | null {
  return IPV4_REFUSED.find(({ range }) => matches(address, range))?.why ?? null;
}

function ipv6Kind(address: ipaddr.IPv6): string | null {
  const bytes = address.toByteArray();
  // ::1 and :: sit inside ::/96 too: they are named as what they are, not as embedded IPv4.
  const named = IPV6_REFUSED.find(({ range }) => matches(address, range));
  if (named) return named.why;
  for (const { range, name, publicWhenItIs } of EMBEDDING_IPV4) {
    if (!matches(address, range)) continue;
    const embedded = ipaddr.fromByteArray(bytes.slice(12)) as ipaddr.IPv4;
    const kind = ipv4Kind(embedded);
    if (kind) return `${name} of ${embedded.toString()}, ${kind}`;
    return publicWhenItIs ? null : name;
  }
  if (matches(address, SIX_TO_FOUR)) {
    const embedded = ipaddr.fromByteArray(bytes.slice(2, 6)) as ipaddr.IPv4;
    const kind = ipv4Kind(embedded);
    return kind ? `a 6to4 address of ${embedded.toString()}, ${kind}` : 'a 6to4 address (deprecated)';
  }
  return matches(address, GLOBAL_UNICAST) ? null : 'a reserved address';
}

/**
 * An IPv6 address's dotted IPv4 tail as two hex groups: ipaddr.js reads `::a.b.c.d` (IPv4-compatible) as if it
 * were `::ffff:a.b.c.d` (mapped), which would name the wrong range.
 */
function hexTail(address: string): string {
  const tail = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (!tail || tail.slice(2).some((octet) => Number(octet) > 255)) return address;
  const [a, b, c, d] = tail.slice(2).map(Number) as [number, number, number, number];
  return `${tail[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** Why an address is not a public destination, or null when it is one; any spelling ipaddr.js parses. */
export function privateAddressKind(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(hexTail(address.replace(/^\[|\]$/g, '')));
  } catch {
    return 'not an IP address';
  }
  return parsed.kind() === 'ipv4' ? ipv4Kind(parsed as ipaddr.IPv4) : ipv6Kind(parsed as ipaddr.IPv6);
}

/** The address classes local mode lets http reach: loopback only. */
function isLoopback(address: string): boolean {
  const kind = privateAddressKind(address);
  return kind === 'a loopback address' || /^an IPv4-mapped address of [\d.]+, a loopback address$/.test(kind ?? '');
}

/** A destination checked at delivery: the only addresses the delivery may connect to. */
export interface CheckedDestination {
  url: string;
  addresses: string[];
}

/** Checks a destination URL now (its host resolved now); a refusal is a ValidationError on `field`. */
export async function checkDestination(url: string, policy: DestinationPolicy, field = 'url'): Promise<void> {
  await check(url, policy, field, false);
}

/**
 * Checks a destination for a delivery: its host resolved once, now, and every address checked. The delivery
 * then connects to these addresses and no others; a name that resolves elsewhere a moment later changes nothing.
 */
export async function resolveDestination(url: string, policy: DestinationPolicy): Promise<CheckedDestination> {
  return { url, addresses: (await check(url, policy, 'url', true)) as string[] };
}

/** The checks; returns the addresses checked, or null where none were resolved (https, private allowed, at create). */
async function check(
  url: string,
  policy: DestinationPolicy,
  field: string,
  resolveAlways: boolean,
): Promise<string[] | null> {
  const refuse = (why: string): never => {
    throw ValidationError.field(field, why);
  };
  if (url.length > MAX_URL_LENGTH) refuse(`must be at most ${MAX_URL_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') refuse('must be an https URL');
  if (parsed.username || parsed.password) refuse('must not carry credentials');
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  // With private destinations allowed, any https host will do at create (it is resolved when delivered to).
  if (policy.allowPrivate && parsed.protocol === 'https:' && !resolveAlways) return null;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await policy.resolve(host);
  } catch {
    return refuse(`its host ${host} does not resolve`);
  }
  if (addresses.length === 0) refuse(`its host ${host} does not resolve`);
  if (policy.allowPrivate) {
    if (parsed.protocol === 'http:' && !addresses.every(isLoopback))
      refuse('must be an https URL (plain http only to this machine)');
    return addresses;
  }
  if (parsed.protocol !== 'https:') refuse('must be an https URL');
  for (const address of addresses) {
    const kind = privateAddressKind(address);
    if (kind) refuse(`its host ${host} resolves to ${address}, ${kind}, and private destinations are off`);
  }
  return addresses;
}
