// The local stand-in for API Gateway's HTTP API: it matches each request to a route of the shared route table
// exactly as API Gateway does (unmatched requests go to $default), builds the payload-format-2.0 event, calls
// the very handler Lambda runs, and writes its result back. It adds no API logic of its own.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { HttpHandler } from '../functions/api/http.ts';
import { ROUTES_BY_KEY, matchPath, routeKey, type HttpGroup, type Method } from '../functions/api/routes.ts';
import { ownLimit } from '../functions/adapters/local/proc.ts';
import type { Logger } from '../functions/logger.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { ConsoleSite } from './console-site.ts';

/** API Gateway's own payload limit; the handlers enforce the API's smaller one. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout; the handler's context reports what is left of it. */
const INTEGRATION_TIMEOUT_MS = 29_000;
/** Media types API Gateway passes as text; any other body arrives base64-encoded. */
const TEXT_MEDIA = /^(?:text\/|application\/(?:[\w.+-]+\+)?(?:json|xml|javascript|x-www-form-urlencoded))/i;

export type GroupHandlers = Record<HttpGroup, HttpHandler>;

export interface ApiGatewayOptions {
  handlers: GroupHandlers;
  logger: Logger;
  port: number;
  host?: string;
  /** Per-key throttling; none when null or absent. */
  rateLimiter?: RateLimiter | null;
  /** The web console's files, served beside the API (in AWS, CloudFront serves them). */
  site?: ConsoleSite;
}

export interface RunningApi {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function selectRoute(method: string, path: string): { key: string; group: HttpGroup; params?: Record<string, string> } {
  const match = matchPath(path);
  if (match) {
    const found = ROUTES_BY_KEY.get(routeKey({ method: method as Method, path: match.path }));
    if (found) return { key: routeKey(found.route), group: found.route.group, params: match.params };
  }
  return { key: '$default', group: 'fallback' };
}

function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY_BYTES) {
        resolve('too-large');
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Header values as API Gateway passes them: lower-case names, repeated headers joined by commas. */
function eventHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] as string).toLowerCase();
    const value = request.rawHeaders[i + 1] as string;
    if (name === 'cookie') continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return headers;
}

function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Splits the request target by hand: `new URL` would read a path like //host/x as another host. */
function splitTarget(target: string): { path: string; rawQuery: string } {
  const at = target.indexOf('?');
  return at < 0
    ? { path: target || '/', rawQuery: '' }
    : { path: target.slice(0, at) || '/', rawQuery: target.slice(at + 1) };
}

export function toEvent(
  request: IncomingMessage,
  body: Buffer,
  requestId: string,
): { event: APIGatewayProxyEventV2; group: HttpGroup } {
  const { path, rawQuery } = splitTarget(request.url ?? '/');
  const method = (request.method ?? 'GET').toUpperCase();
  const { key, group, params } = selectRoute(method, path);
  const headers = eventHeaders(request);
  const query = new URLSearchParams(rawQuery);
  const queryStringParameters: Record<string, string> = {};
  for (const name of new Set(query.keys())) queryStringParameters[name] = query.getAll(name).join(',');
  const cookies = request.headers.cookie?.split(/;\s*/).filter(Boolean);
  const text = body.length === 0 || TEXT_MEDIA.test(headers['content-type'] ?? '');
  const now = new Date();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: key,
    rawPath: path,
    rawQueryString: rawQuery,
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] as string,
      http: {
        method,
        path,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: key,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: !text,
  };
  if (cookies?.length) event.cookies = cookies;
  if (query.size > 0) event.queryStringParameters = queryStringParameters;
  if (params) event.pathParameters = params;
  if (body.length > 0) event.body = text ? body.toString('utf8') : body.toString('base64');
  return { event, group };
}

function lambdaContext(group: HttpGroup, requestId: string): Context {
  const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `jobs-${group}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:jobs-${group}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/jobs-${group}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function writeResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2, requestId: string): void {
  const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  headers['content-length'] = String(Buffer.byteLength(body));
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

function gatewayError(status: number, message: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'error', message, errors: [] }),
  };
}

/**
 * Connections the server holds at most: half the process's file-descriptor limit, so that a flood of sockets
 * (idle, or sending headers slowly) is refused at the door and the service keeps descriptors for its own work:
 * its runs' output, /proc, its engine. Also how long a client may take over its headers and its request, and
 * how long an idle keep-alive connection is kept.
 */
export const CONNECTION_LIMITS = {
  maxConnections: Math.max(64, Math.floor(fileDescriptorLimit() / 2)),
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  /** How often held connections are checked against those times. */
  checkIntervalMs: 1_000,
};

/** The soft limit on open files of this process (RLIMIT_NOFILE); 1024 where it cannot be read. */
export function fileDescriptorLimit(): number {
  return ownLimit('Max open files').soft ?? 1024;
}

export async function startApiGateway(options: ApiGatewayOptions): Promise<RunningApi> {
  const limits = CONNECTION_LIMITS;
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    async (request, response) => {
      if (options.site?.(request, response)) return;
      const requestId = randomUUID();
      try {
        const body = await readBody(request);
        if (body === 'too-large') {
          writeResult(
            response,
            gatewayError(413, `the request body exceeds API Gateway's ${GATEWAY_MAX_BODY_BYTES} bytes`),
            requestId,
          );
          return;
        }
        const wait = options.rateLimiter?.take(request.headers.authorization, request.socket.remoteAddress ?? '');
        if (wait) {
          const throttled = gatewayError(429, `too many requests for this API key; retry in ${wait} s`);
          writeResult(
            response,
            { ...throttled, headers: { ...throttled.headers, 'retry-after': String(wait) } },
            requestId,
          );
          return;
        }
        const { event, group } = toEvent(request, body, requestId);
        const result = await options.handlers[group](event, lambdaContext(group, requestId));
        writeResult(response, result, requestId);
      } catch (error) {
        // What API Gateway answers when the integration itself fails.
        options.logger.error('handler failed', { request_id: requestId, error: error as Error });
        if (!response.headersSent) writeResult(response, gatewayError(500, 'internal error'), requestId);
        else response.destroy();
      }
    },
  );
  server.maxConnections = limits.maxConnections;
  // Said once a minute at most, with how many were refused since.
  let refused = 0;
  let saidAt = 0;
  server.on('drop', () => {
    refused++;
    if (Date.now() - saidAt < 60_000) return;
    options.logger.warn(`refusing new connections: ${limits.maxConnections} are open, the most this service holds`, {
      max_connections: limits.maxConnections,
      refused,
    });
    saidAt = Date.now();
    refused = 0;
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
