import { describe, expect, it } from 'vitest';
import { LazySdk } from '../../../functions/adapters/aws/lazy-sdk.ts';

class FakeClient {
  readonly by: string;
  constructor(by: string) {
    this.by = by;
  }
}
const fakeSdk = { FakeClient };

describe('LazySdk', () => {
  it('loads the package once, on the first call, and shares one client between concurrent callers', async () => {
    let loads = 0;
    const lazy = new LazySdk(
      async () => {
        loads++;
        return fakeSdk;
      },
      (sdk) => new sdk.FakeClient('package'),
    );
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    const c = await lazy.get();
    expect(loads).toBe(1);
    expect(a.client).toBe(b.client);
    expect(c.client).toBe(a.client);
    expect(a.client.by).toBe('package');
    expect(a.sdk).toBe(fakeSdk);
  });

  it("uses the caller's client when given one", async () => {
    const given = new FakeClient('caller');
    const lazy = new LazySdk(
      async () => fakeSdk,
      (sdk) => new sdk.FakeClient('package'),
      given,
    );
    expect((await lazy.get()).client).toBe(given);
  });

  it('tries the import again after a failed load instead of keeping the failure', async () => {
    let attempts = 0;
    const lazy = new LazySdk(
      async () => {
        attempts++;
        if (attempts === 1) throw new Error('module not found');
        return fakeSdk;
      },
      (sdk) => new sdk.FakeClient('package'),
    );
    await expect(lazy.get()).rejects.toThrow('module not found');
    expect((await lazy.get()).client.by).toBe('package');
    expect(attempts).toBe(2);
  });
});
