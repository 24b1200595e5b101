// Delivery signatures, checked by an independent implementation: the npm standardwebhooks library, as a
// receiver would verify them, with each secret, during a rotation too.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { sign } from '../../functions/core/signing.ts';
import { newSigningSecret } from '../../functions/core/webhooks.ts';

describe('delivery signatures', () => {
  it('verify with standardwebhooks for the secret that signed them, and fail for another or a changed body', () => {
    const secret = newSigningSecret();
    const body = JSON.stringify({
      id: 'evt_01JD6R0G2M4S8V1X3Z5B7D9F1H',
      type: 'run.failed',
      data: { note: 'ünïcode ✓' },
    });
    const headers = sign([secret], 'evt_01JD6R0G2M4S8V1X3Z5B7D9F1H', new Date(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSigningSecret()).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('failed', 'succeeded'), { ...headers })).toThrow();
  });

  it('carries one signature per secret during a rotation, each verifying on its own', () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    const body = '{"id":"evt_x"}';
    const headers = sign([current, previous], 'evt_x', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, { ...headers })).toEqual({ id: 'evt_x' });
    expect(new Webhook(previous).verify(body, { ...headers })).toEqual({ id: 'evt_x' });
  });

  it('is refused by a receiver when its timestamp is too old (replay)', () => {
    const secret = newSigningSecret();
    const headers = sign([secret], 'evt_y', new Date(Date.now() - 10 * 60 * 1000), '{}');
    expect(() => new Webhook(secret).verify('{}', { ...headers })).toThrow();
  });
});
