// The HTTP API: one route per entry of the shared route table, each to the function of its group, and the
// $default route to the fallback function (404/405 as envelopes). Authentication is a middleware inside the
// functions, not an API Gateway authorizer: the same check then serves local mode and AWS, and a revoked key
// fails on the very next request (an authorizer would either cache verdicts or add a second invocation).
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_GROUPS, routes, type HttpGroup, type RouteDef } from '../../functions/api/routes.ts';
import { acknowledge } from '../checks.ts';
import { serviceFunction } from './function.ts';
import type { Orchestration } from './orchestration.ts';
import type { Runner } from './runner.ts';
import type { Events } from './events.ts';
import type { Scheduling } from './scheduling.ts';
import type { Store } from './store.ts';
import { RATE_LIMIT } from '../../functions/api/limits.ts';

export interface ApiProps {
  store: Store;
  orchestration: Orchestration;
  runner: Runner;
  scheduling: Scheduling;
  events: Events;
  /** The web console's origin: the only one CORS allows. */
  consoleOrigin: string;
}

export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly functions: Record<HttpGroup, NodejsFunction>;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    // One function per route group, each granted what its declaration says it uses and nothing else.
    this.functions = Object.fromEntries(
      HTTP_GROUPS.map((group) => [
        group,
        serviceFunction(this, `${group[0]!.toUpperCase()}${group.slice(1)}Function`, group, props),
      ]),
    ) as Record<HttpGroup, NodejsFunction>;

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Jobs API',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Fallback', this.functions.fallback),
      // The console calls the API from its own origin, and only it may.
      corsPreflight: {
        allowOrigins: [props.consoleOrigin],
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PATCH, CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match'],
        exposeHeaders: ['retry-after', 'etag'],
        maxAge: Duration.hours(1),
      },
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: RATE_LIMIT.perSecond, burstLimit: RATE_LIMIT.burst },
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs) },
    });

    acknowledge(
      this,
      'APIG4',
      'Every route authenticates in its function (API keys, hashed in the table, checked by the shared middleware that local mode runs too); ' +
        'the $default route answers 404/405 envelopes only',
    );
    const integrations = new Map<HttpGroup, HttpLambdaIntegration>();
    for (const [operationId, route] of Object.entries(routes) as Array<[string, RouteDef]>) {
      let integration = integrations.get(route.group);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.group}Integration`, this.functions[route.group]);
        integrations.set(route.group, integration);
      }
      new HttpRoute(this, `Route${operationId[0]!.toUpperCase()}${operationId.slice(1)}`, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration,
      });
    }
    new CfnOutput(this, 'Url', { value: this.httpApi.apiEndpoint, description: 'The Jobs API base URL' });
  }
}
