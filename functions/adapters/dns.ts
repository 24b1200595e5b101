// Host names resolved as a delivery would resolve them: every address, IPv4 and IPv6.
import { lookup } from 'node:dns/promises';
import type { Resolve } from '../core/ports.ts';

export const resolveHost: Resolve = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
