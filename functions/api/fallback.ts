// API Gateway's $default route: whatever matched no route. A known path with another method is 405 (with
// Allow), anything else 404; both as envelopes, decided from the same route table the routes come from.
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '../logger.ts';
import { HttpError } from './http-errors.ts';
import type { HttpHandler } from './http.ts';
import { envelope } from './middleware/envelope.ts';
import type { ApiEvent } from './middleware/resolve-route.ts';
import { matchPath, methodsFor } from './routes.ts';

export function fallbackApi(deps: { logger: Logger }): HttpHandler {
  const handler = middy<ApiEvent, APIGatewayProxyStructuredResultV2>()
    .use(envelope(deps.logger))
    .handler((event) => {
      const method = event.requestContext.http.method;
      const path = event.rawPath;
      const match = matchPath(path);
      if (!match) throw new HttpError(404, `no route ${method} ${path}`);
      const allowed = methodsFor(match.path);
      throw new HttpError(405, `${method} is not allowed on ${path}; use ${allowed.join(', ')}`, {
        headers: { allow: allowed.join(', ') },
      });
    });
  return handler as unknown as HttpHandler;
}
