// Finds the route API Gateway matched (event.routeKey) and starts the request's state. A function only
// serves its own group's routes; anything else reaching it is a wiring error, answered as 404.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from '../http-errors.ts';
import { ROUTES_BY_KEY, type HttpGroup, type OperationId, type RouteDef } from '../routes.ts';
import type { Principal } from '../../core/keys.ts';
import type { LogContext } from '../../logger.ts';

export interface ApiState {
  operation: OperationId;
  route: RouteDef;
  requestId: string;
  startedAt: number;
  log: LogContext;
  principal?: Principal;
  /** The parsed JSON body, before validation. */
  body?: unknown;
  input?: { params: unknown; query: unknown; body: unknown; headers: unknown };
}

export type ApiEvent = APIGatewayProxyEventV2 & { api: ApiState };

export function resolveRoute(group: HttpGroup): MiddlewareObj<ApiEvent> {
  return {
    before(request) {
      const event = request.event;
      const found = ROUTES_BY_KEY.get(event.routeKey);
      const requestId = event.requestContext?.requestId ?? request.context.awsRequestId;
      event.api = {
        operation: found?.id as OperationId,
        route: found?.route as RouteDef,
        requestId,
        startedAt: Date.now(),
        log: { request_id: requestId, route: event.routeKey },
      };
      if (!found || found.route.group !== group) throw new HttpError(404, `no route ${event.routeKey} here`);
    },
  };
}
