// Where a webhook may deliver: with private destinations off, https to public addresses only, every address
// its host resolves to checked, in every spelling (IPv4 inside IPv6 too); with them on (local mode), http to this
// machine too. A delivery resolves once and hands exactly the checked addresses to the connection.
import { describe, expect, it } from 'vitest';
import { checkDestination, privateAddressKind, resolveDestination } from '../../functions/core/destinations.ts';
import type { Resolve } from '../../functions/core/ports.ts';
import { ValidationError } from '../../functions/core/errors.ts';

const resolvingTo =
  (...addresses: string[]): Resolve =>
  async () =>
    addresses;
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
    // IPv4 inside IPv6: compatible, mapped (every spelling), translated, NAT64, 6to4
    ['::127.0.0.1', 'IPv4-compatible address (deprecated) of 127.0.0.1, a loopback'],
    ['::7f00:1', 'of 127.0.0.1, a loopback'],
    ['::a9fe:a9fe', 'of 169.254.169.254, a link-local'],
    ['::ffff:127.0.0.1', 'IPv4-mapped address of 127.0.0.1, a loopback'],
    ['::ffff:7f00:1', 'of 127.0.0.1, a loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'of 127.0.0.1, a loopback'],
    ['0000:0000:0000:0000:0000:FFFF:A9FE:A9FE', 'of 169.254.169.254, a link-local'],
    ['::ffff:0:7f00:1', 'IPv4-translated address of 127.0.0.1'],
    ['64:ff9b::7f00:1', 'NAT64 address of 127.0.0.1, a loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 address of 169.254.169.254'],
    ['64:ff9b:1::5db8:d822', 'local-use NAT64'],
    ['2002:7f00:1::1', '6to4 address of 127.0.0.1, a loopback'],
    ['2002:a9fe:a9fe::', '6to4 address of 169.254.169.254'],
    // the rest of IANA's special-purpose registries, multicast and broadcast
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['100::1', 'discard-only'],
    ['2001::1', 'IETF protocol assignment'],
    ['2001:2::1', 'IETF protocol assignment'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['4000::1', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.0.8', 'IETF protocol assignment'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['192.88.99.1', '6to4 relay'],
    ['0.1.2.3', 'unspecified'],
  ])(
    'refuses an address that is %s (%s), given literally and behind a name, at create and at delivery',
    async (address, kind) => {
      expect(privateAddressKind(address)).toContain(kind);
      const literal = address.includes(':') ? `[${address}]` : address;
      expect(await refusal(`https://${literal}/hook`, off())).toContain(kind);
      expect(await refusal('https://rebound.example/hook', off(resolvingTo('93.184.216.34', address)))).toContain(
        `resolves to ${address}`,
      );
      // and again at delivery, where the name is resolved once more
      await expect(resolveDestination('https://rebound.example/hook', off(resolvingTo(address)))).rejects.toThrow(kind);
    },
  );

  it('takes https to a public address, and refuses http, other schemes, credentials, names that do not resolve and long URLs', async () => {
    expect(await refusal('https://hooks.example.com/jobs', off())).toBeNull();
    for (const address of [
      '172.32.0.1',
      '93.184.216.34',
      '2606:2800:220:1:248:1893:25c8:1946',
      '::ffff:93.184.216.34',
      '64:ff9b::5db8:d822',
      '2620:4f:8000::1',
    ]) {
      expect(privateAddressKind(address), address).toBeNull();
    }
    expect(privateAddressKind('not-an-address')).toBe('not an IP address');
    expect(await refusal('http://hooks.example.com/jobs', off())).toBe('must be an https URL');
    expect(await refusal('ftp://hooks.example.com/jobs', off())).toBe('must be an https URL');
    expect(await refusal('https://user:pass@hooks.example.com/', off())).toBe('must not carry credentials');
    expect(
      await refusal(
        'https://nowhere.invalid/',
        off(async () => {
          throw new Error('ENOTFOUND');
        }),
      ),
    ).toBe('its host nowhere.invalid does not resolve');
    expect(await refusal(`https://hooks.example.com/${'a'.repeat(2048)}`, off())).toBe(
      'must be at most 2048 characters',
    );
    expect(await refusal('not a url', off())).toBe('must be an absolute http(s) URL');
  });
});

describe('webhook destinations with private destinations on (local mode)', () => {
  it('takes http to this machine and any https, and refuses http elsewhere', async () => {
    expect(await refusal('http://127.0.0.1:8123/hook', on())).toBeNull();
    expect(await refusal('http://localhost:8123/hook', on(resolvingTo('127.0.0.1', '::1')))).toBeNull();
    expect(
      await refusal(
        'https://hooks.example.com/jobs',
        on(async () => {
          throw new Error('never asked');
        }),
      ),
    ).toBeNull();
    expect(await refusal('http://10.0.0.5/hook', on())).toBe('must be an https URL (plain http only to this machine)');
  });
});

describe('a destination checked for a delivery', () => {
  it('is resolved once, and hands on exactly the addresses it checked', async () => {
    const asked: string[] = [];
    const resolve: Resolve = async (host) => {
      asked.push(host);
      return ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'];
    };
    expect(await resolveDestination('https://hooks.example.com/jobs', off(resolve))).toEqual({
      url: 'https://hooks.example.com/jobs',
      addresses: ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    });
    expect(asked).toEqual(['hooks.example.com']);
  });

  it('is resolved also where private destinations are on and the URL is https (create does not resolve it)', async () => {
    expect(await resolveDestination('https://hooks.example.com/jobs', on(resolvingTo('10.0.0.7')))).toEqual({
      url: 'https://hooks.example.com/jobs',
      addresses: ['10.0.0.7'],
    });
    expect(await resolveDestination('http://[::1]:8123/hook', on())).toEqual({
      url: 'http://[::1]:8123/hook',
      addresses: ['::1'],
    });
  });

  it('refuses a name that now resolves to a private address, whichever of its addresses it is', async () => {
    await expect(
      resolveDestination('https://rebound.example/hook', off(resolvingTo('93.184.216.34', '::ffff:7f00:1'))),
    ).rejects.toThrow(/resolves to ::ffff:7f00:1, an IPv4-mapped address of 127\.0\.0\.1, a loopback address/);
  });
});
