// How a webhook delivery is POSTed: fetch, with the delivery timeout, never following a redirect (a redirect
// could lead anywhere the destination checks did not look).
import type { Send } from '../core/deliveries.ts';

export const sendHttp: Send = async (url, headers, body, timeoutMs) => {
  try {
    const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer().catch(() => undefined); // the body is not read, only drained
    return { status: response.status, retry_after: response.headers.get('retry-after') };
  } catch (error) {
    const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
    return { error: cause };
  }
};
