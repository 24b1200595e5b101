// Routes that need no key: health (with a check of each backing engine) and the OpenAPI document.
import { HttpError } from './http-errors.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { openApiDocument } from './openapi.ts';

/** Each engine's check resolves when it is reachable and rejects, saying what is wrong, when not. */
export type HealthChecks = Record<string, () => Promise<void>>;

export function systemApi(deps: HttpDependencies & { checks: HealthChecks; version: string }): HttpHandler {
  let document: Record<string, unknown> | undefined;
  return httpApi(
    'system',
    {
      health: async () => {
        const results = await Promise.all(
          Object.entries(deps.checks).map(
            async ([name, check]) =>
              [
                name,
                await check().then(
                  () => null,
                  (error: Error) => error.message || 'unavailable',
                ),
              ] as const,
          ),
        );
        const down = results.filter((result): result is readonly [string, string] => result[1] !== null);
        if (down.length > 0) {
          const errors = down.map(([field, message]) => ({ field, message }));
          throw new HttpError(503, `unavailable: ${down.map(([name]) => name).join(', ')}`, {
            errors,
            headers: { 'retry-after': '1' },
          });
        }
        return {
          status: 'ok' as const,
          version: deps.version,
          checks: Object.fromEntries(results.map(([name]) => [name, 'ok'])),
        };
      },
      openapi: () => (document ??= openApiDocument(deps.version)),
    },
    deps,
  );
}
