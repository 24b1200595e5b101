// Where a webhook may deliver. With private destinations off (AWS), only https to a public address: a URL
// whose host is, or resolves to, a loopback, private (RFC 1918, ULA), link-local (the metadata address among
// them), shared (CGNAT) or unspecified address is refused, at create and again at each delivery after its own DNS
// resolution (a name may be re-pointed after it was checked). Locally, by default, http to loopback is allowed.
import { isIP } from 'node:net';
import { ValidationError } from './errors.ts';

/** Resolves a host name to its addresses (the DNS adapter). */
export type Resolve = (host: string) => Promise<string[]>;

export interface DestinationPolicy {
  /** Whether loopback and private destinations (and plain http to them) are allowed. */
  allowPrivate: boolean;
  resolve: Resolve;
}

export const MAX_URL_LENGTH = 2048;

function ipv4Private(address: string): string | null {
  const [a, b] = address.split('.').map(Number) as [number, number];
  if (a === 127) return 'a loopback address';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'a private address';
  if (a === 169 && b === 254) return 'a link-local address (the metadata service among them)';
  if (a === 100 && b >= 64 && b <= 127) return 'a shared (CGNAT) address';
  if (a === 0) return 'an unspecified address';
  return null;
}

/** Why an address is not a public destination, or null when it is one. */
export function privateAddressKind(address: string): string | null {
  if (isIP(address) === 4) return ipv4Private(address);
  const lower = address.toLowerCase();
  // An IPv4-mapped address, dotted or in the hex form URL parsing gives it (::ffff:a00:1).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (mapped) return ipv4Private(mapped);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return ipv4Private(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  if (lower === '::1') return 'a loopback address';
  if (lower === '::') return 'an unspecified address';
  if (/^f[cd]/.test(lower)) return 'a private (ULA) address';
  if (/^fe[89ab]/.test(lower)) return 'a link-local address';
  return null;
}

/** The address classes local mode lets http reach: loopback only. */
function isLoopback(address: string): boolean {
  return privateAddressKind(address) === 'a loopback address';
}

/** Checks a destination URL now (its host resolved now); a refusal is a ValidationError on `field`. */
export async function checkDestination(url: string, policy: DestinationPolicy, field = 'url'): Promise<void> {
  const refuse = (why: string) => {
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
  // With private destinations allowed, any https host will do (it is resolved when delivered to).
  if (policy.allowPrivate && parsed.protocol === 'https:') return;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await policy.resolve(host);
  } catch {
    return refuse(`its host ${host} does not resolve`);
  }
  if (addresses.length === 0) refuse(`its host ${host} does not resolve`);
  if (policy.allowPrivate) {
    if (!addresses.every(isLoopback)) refuse('must be an https URL (plain http only to this machine)');
    return;
  }
  if (parsed.protocol !== 'https:') refuse('must be an https URL');
  for (const address of addresses) {
    const kind = privateAddressKind(address);
    if (kind) refuse(`its host ${host} resolves to ${address}, ${kind}, and private destinations are off`);
  }
}
