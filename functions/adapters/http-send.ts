// How a webhook delivery is POSTed: to exactly the addresses its destination check resolved and passed (the
// connection's lookup answers with them; the URL's host is never resolved again, so a name re-pointed meanwhile
// reaches nothing new), with the host's name kept for TLS (SNI, certificate) and the Host header; a new connection
// for each delivery (a pooled one may have been made to an address checked long ago); within the delivery timeout;
// never following a redirect (a redirect could lead anywhere the destination checks did not look).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Send } from '../core/ports.ts';

/** A lookup that answers every question with the given addresses, whatever name it is asked. */
export function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIP(address) }));
  return (_hostname, options, callback) => {
    const fitting = entries.filter((entry) => !options.family || entry.family === options.family);
    if (fitting.length === 0) {
      const error = Object.assign(new Error('no checked address of the family asked for'), { code: 'ENOTFOUND' });
      if (options.all) (callback as (error: Error, addresses: never[]) => void)(error, []);
      else callback(error, '', 0);
      return;
    }
    if (options.all) (callback as (error: null, addresses: typeof fitting) => void)(null, fitting);
    else callback(null, fitting[0]!.address, fitting[0]!.family);
  };
}

export const sendHttp: Send = (url, headers, body, timeoutMs, addresses) =>
  new Promise((resolve) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinnedLookup(addresses),
      agent: false,
    });
    let settled = false;
    const settle = (result: Awaited<ReturnType<Send>>) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    // Also bounds a body that trickles in after the answer: the connection is closed at the deadline.
    const timer = setTimeout(() => {
      settle({ error: `no answer within ${timeoutMs / 1000} s` });
      request.destroy();
    }, timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('response', (response: IncomingMessage) => {
      // The answer counts once its headers are in; the body is not read, only drained.
      settle({ status: response.statusCode ?? 0, retry_after: response.headers['retry-after'] ?? null });
      response.on('error', () => undefined);
      response.on('close', () => clearTimeout(timer));
      response.resume();
    });
    request.on('error', (error) => settle({ error: error.message }));
    request.end(body);
  });
