// The response envelope. A successful operation's result becomes {status: "success", message, data[, next_cursor]}
// with the route's status; any error becomes {status: "error", message, errors} through the one mapping in
// http-errors.ts. Every response carries the request id, and every request leaves one log line.
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Page } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';
import { errorReply } from '../http-errors.ts';
import type { ApiEvent } from './resolve-route.ts';

/** What an operation may return besides plain data: a page, or a different status or message. */
export class Reply<T = unknown> {
  readonly data: T;
  readonly options: {
    status?: number;
    message?: string;
    headers?: Record<string, string>;
    nextCursor?: string | null;
    /** The envelope fields the route declares besides data (a log's position and completeness). */
    envelope?: Record<string, unknown>;
  };
  constructor(data: T, options: Reply['options'] = {}) {
    this.data = data;
    this.options = options;
  }
  static page<T>(page: Page<T>): Reply<T[]> {
    return new Reply(page.items, { nextCursor: page.next_cursor });
  }
}

export function respond(
  status: number,
  body: unknown,
  headers: Record<string, string>,
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

function requestIdHeader(request: Request<ApiEvent>): Record<string, string> {
  const id = request.event.requestContext?.requestId ?? request.context.awsRequestId;
  return id ? { 'x-request-id': id } : {};
}

/** Log fields of a request, also for one that failed before its route was resolved. */
function logContext(request: Request<ApiEvent>) {
  const { api, requestContext } = request.event;
  return (
    api?.log ?? {
      request_id: requestContext?.requestId,
      route: `${requestContext?.http?.method} ${request.event.rawPath}`,
    }
  );
}

export function envelope(logger: Logger): MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2> {
  // Successes at DEBUG (API Gateway's access log has them in AWS); rejections at INFO, so they are seen.
  const logRequest = (request: Request<ApiEvent>, status: number) => {
    const startedAt = request.event.api?.startedAt ?? request.event.requestContext?.timeEpoch;
    const fields = { ...logContext(request), status, duration_ms: startedAt ? Date.now() - startedAt : undefined };
    if (status < 400) logger.debug('request', fields);
    else if (status < 500) logger.info('request rejected', fields);
    else logger.error('request failed', fields);
  };
  return {
    after(request) {
      const { route } = request.event.api;
      const result = request.response as unknown;
      const reply = result instanceof Reply ? result : new Reply(result);
      const status = reply.options.status ?? route.status ?? 200;
      if (route.contentType) {
        request.response = {
          statusCode: status,
          headers: { 'content-type': route.contentType, ...requestIdHeader(request), ...reply.options.headers },
          body: String(reply.data),
        };
        logRequest(request, status);
        return;
      }
      const body: Record<string, unknown> = route.raw
        ? (reply.data as Record<string, unknown>)
        : { status: 'success', message: reply.options.message ?? route.message, data: reply.data };
      if (route.list) body.next_cursor = reply.options.nextCursor ?? null;
      Object.assign(body, reply.options.envelope);
      request.response = respond(status, body, { ...requestIdHeader(request), ...reply.options.headers });
      logRequest(request, status);
    },
    onError(request) {
      const reply = errorReply(request.error);
      if (reply.unexpected) logger.error('unexpected error', { ...logContext(request), error: request.error as Error });
      request.response = respond(
        reply.status,
        { status: 'error', message: reply.message, errors: reply.errors },
        { ...requestIdHeader(request), ...reply.headers },
      );
      logRequest(request, reply.status);
    },
  };
}
