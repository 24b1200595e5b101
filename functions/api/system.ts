// Routes that need no key: health (with a check of each backing engine) and the OpenAPI document.
import { HttpError } from './http-errors.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { openApiDocument } from './openapi.ts';

/** Each engine's check resolves when it is reachable and rejects when not. */
export type HealthChecks = Record<string, () => Promise<void>>;

export function systemApi(deps: HttpDependencies & { checks: HealthChecks; version: string }): HttpHandler {
  let document: Record<string, unknown> | undefined;
  return httpApi(
    'system',
    {
      health: async () => {
        const results = await Promise.all(
          Object.entries(deps.checks).map(async ([name, check]) => [name, await check().then(() => 'ok', () => 'unavailable')] as const),
        );
        const checks = Object.fromEntries(results);
        const down = results.filter(([, state]) => state !== 'ok').map(([name]) => name);
        if (down.length > 0) throw new HttpError(503, `unavailable: ${down.join(', ')}`, { headers: { 'retry-after': '1' } });
        return { status: 'ok' as const, version: deps.version, checks };
      },
      openapi: () => (document ??= openApiDocument(deps.version)),
    },
    deps,
  );
}
