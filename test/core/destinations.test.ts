// Where a webhook may deliver: with private destinations off, https to public addresses only, every address
// its host resolves to checked; with them on (local mode), http to this machine too.
import { describe, expect, it } from 'vitest';
import { checkDestination, privateAddressKind, type Resolve } from '../../functions/core/destinations.ts';
import { ValidationError } from '../../functions/core/errors.ts';

const resolvingTo = (...addresses: string[]): Resolve => async () => addresses;
const off = (resolve: Resolve = resolvingTo('93.184.216.34')) => ({ allowPrivate: false, resolve });
const on = (resolve: Resolve = resolvingTo('127.0.0.1')) => ({ allowPrivate: true, resolve });

async function refusal(url: string, policy: Parameters<typeof checkDestination>[1]): Promise<string | null> {
  try {
    await checkDestination(url, policy);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]!.field).toBe('url');
    return (error as ValidationError).errors[0]!.message;
  }
}

describe('webhook destinations with private destinations off', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00::1', 'ULA'],
    ['fe80::1', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
  ])('refuses an address that is %s (%s), given literally and behind a name', async (address, kind) => {
    expect(privateAddressKind(address)).toContain(kind);
    const literal = address.includes(':') ? `[${address}]` : address;
    expect(await refusal(`https://${literal}/hook`, off())).toContain(kind);
    expect(await refusal('https://rebound.example/hook', off(resolvingTo('93.184.216.34', address)))).toContain(`resolves to ${address}`);
  });

  it('takes https to a public address, and refuses http, other schemes, credentials, names that do not resolve and long URLs', async () => {
    expect(await refusal('https://hooks.example.com/jobs', off())).toBeNull();
    expect(privateAddressKind('172.32.0.1')).toBeNull();
    expect(privateAddressKind('2001:db8::1')).toBeNull();
    expect(await refusal('http://hooks.example.com/jobs', off())).toBe('must be an https URL');
    expect(await refusal('ftp://hooks.example.com/jobs', off())).toBe('must be an https URL');
    expect(await refusal('https://user:pass@hooks.example.com/', off())).toBe('must not carry credentials');
    expect(await refusal('https://nowhere.invalid/', off(async () => { throw new Error('ENOTFOUND'); }))).toBe('its host nowhere.invalid does not resolve');
    expect(await refusal(`https://hooks.example.com/${'a'.repeat(2048)}`, off())).toBe('must be at most 2048 characters');
    expect(await refusal('not a url', off())).toBe('must be an absolute http(s) URL');
  });
});

describe('webhook destinations with private destinations on (local mode)', () => {
  it('takes http to this machine and any https, and refuses http elsewhere', async () => {
    expect(await refusal('http://127.0.0.1:8123/hook', on())).toBeNull();
    expect(await refusal('http://localhost:8123/hook', on(resolvingTo('127.0.0.1', '::1')))).toBeNull();
    expect(await refusal('https://hooks.example.com/jobs', on(async () => { throw new Error('never asked'); }))).toBeNull();
    expect(await refusal('http://10.0.0.5/hook', on())).toBe('must be an https URL (plain http only to this machine)');
  });
});
