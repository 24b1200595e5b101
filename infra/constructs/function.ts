// How every function of the service is built: Node 24 on arm64, bundled by the local esbuild (never Docker)
// into one minified ES module with source maps, with its own log group and its own role, which may write to that
// log group and nothing else until a construct grants it what the function calls.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { FUNCTIONS, type FunctionDef, type FunctionName } from '../../functions/composition/functions.ts';
import { acknowledgeWildcard } from '../checks.ts';
import { bindUses, type Providers } from './uses.ts';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The function of that name in the declaration (its entry is functions/handlers/<name>.ts), with the
 * permissions and settings of exactly the uses it declares.
 */
export function serviceFunction(
  scope: Construct,
  id: string,
  name: FunctionName,
  providers: Providers,
): NodejsFunction {
  const declared: FunctionDef = FUNCTIONS[name];
  const fn = buildFunction(scope, id, {
    handler: name,
    description: declared.description,
    timeout: declared.timeoutSeconds ? Duration.seconds(declared.timeoutSeconds) : undefined,
  });
  bindUses(fn, declared.uses, providers);
  return fn;
}

interface BuildProps {
  handler: string;
  description: string;
  timeout?: Duration | undefined;
}

function buildFunction(scope: Construct, id: string, props: BuildProps): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // Not the AWS-managed basic execution policy: that one may write to every log group in the account.
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: props.description,
  });
  logGroup.grantWrite(role);
  acknowledgeWildcard(
    role,
    '*',
    'Active tracing: X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions',
  );
  return new NodejsFunction(scope, id, {
    role,
    entry: join(PROJECT_ROOT, 'functions', 'handlers', `${props.handler}.ts`),
    handler: 'handler',
    description: props.description,
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: 1024,
    timeout: props.timeout ?? Duration.seconds(29),
    tracing: Tracing.ACTIVE,
    logGroup,
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
    environment: { NODE_OPTIONS: '--enable-source-maps', LOG_LEVEL: 'INFO', POWERTOOLS_SERVICE_NAME: 'jobs' },
    bundling: {
      format: OutputFormat.ESM,
      target: 'node24',
      minify: true,
      sourceMap: true,
      mainFields: ['module', 'main'],
      // Some dependencies are CommonJS and call require() on Node built-ins.
      banner:
        "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      forceDockerBundling: false,
    },
  });
}
