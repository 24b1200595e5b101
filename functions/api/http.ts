// The HTTP handler of one route group: a middy pipeline of small middlewares around a table of operations.
// Operations receive parsed, authorized, typed input and return data (or a Reply); everything about HTTP
// (envelopes, status codes, headers, errors) happens in the middlewares, the same in Lambda and locally.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import type { Requester } from '../core/audit.ts';
import type { Principal } from '../core/keys.ts';
import type { KeyService } from '../core/key-service.ts';
import type { LogContext, Logger } from '../logger.ts';
import { authenticate } from './middleware/authenticate.ts';
import { envelope } from './middleware/envelope.ts';
import { jsonBody } from './middleware/json-body.ts';
import type { Reply } from './middleware/envelope.ts';
import { resolveRoute, type ApiEvent } from './middleware/resolve-route.ts';
import { validate } from './middleware/validate.ts';
import type { HttpGroup, OperationId, routes } from './routes.ts';

type Parsed<R, K extends string> = R extends { [P in K]: infer S extends z.ZodType }
  ? z.output<S>
  : Record<string, never>;
type Body<R> = R extends { body: infer S extends z.ZodType }
  ? z.output<S> | (R extends { bodyRequired: true } ? never : undefined)
  : undefined;

export interface OperationInput<R> {
  params: Parsed<R, 'params'>;
  query: Parsed<R, 'query'>;
  body: Body<R>;
  /** The route's declared request headers, validated. */
  headers: Parsed<R, 'headers'>;
  /** Set on every route but the public ones. */
  principal: Principal;
  /** The principal as a change it makes is told: its key, role, this request's id and its source IP. */
  requester: Requester;
  requestId: string;
  /** Fields for log lines about this request (ids of what it touches). */
  log: LogContext;
}

type RoutesOf<G extends HttpGroup> = {
  [Id in OperationId as (typeof routes)[Id]['group'] extends G ? Id : never]: (typeof routes)[Id];
};

/** What an operation returns: its response schema's type (a page of it for a list), as data or as a Reply. */
type Data<R> = R extends { response: infer S extends z.ZodType } ? z.output<S> : never;
export type Result<R> = R extends { list: true } ? Reply<Array<Data<R>>> : Data<R> | Reply<Data<R>>;

/** The operations of a group: exactly one per route of the group, each returning what its route documents. */
export type Operations<G extends HttpGroup> = {
  [Id in keyof RoutesOf<G>]: (
    input: OperationInput<RoutesOf<G>[Id]>,
  ) => Promise<Result<RoutesOf<G>[Id]>> | Result<RoutesOf<G>[Id]>;
};

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HttpDependencies {
  keys: KeyService;
  logger: Logger;
}

export function httpApi<G extends HttpGroup>(group: G, operations: Operations<G>, deps: HttpDependencies): HttpHandler {
  const table = operations as unknown as Record<string, (input: unknown) => Promise<unknown> | unknown>;
  const handler = middy<ApiEvent, APIGatewayProxyStructuredResultV2>()
    .use(envelope(deps.logger))
    .use(resolveRoute(group))
    .use(authenticate(deps.keys))
    .use(jsonBody())
    .use(validate())
    .handler(async (event) => {
      const { api } = event;
      const operation = table[api.operation];
      if (!operation) throw new Error(`no operation ${api.operation} in group ${group}`);
      const principal = api.principal;
      const requester: Requester | undefined = principal && {
        key_id: principal.key_id,
        key_name: principal.key_name,
        role: principal.role,
        request_id: api.requestId,
        source_ip: event.requestContext?.http?.sourceIp ?? null,
      };
      return (await operation({
        ...api.input,
        principal,
        requester,
        requestId: api.requestId,
        log: api.log,
      })) as APIGatewayProxyStructuredResultV2;
    });
  return handler as unknown as HttpHandler;
}
