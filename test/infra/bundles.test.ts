// What each function loads at cold start: the bundle esbuild makes of its entry point, with the AWS SDK
// external as NodejsFunction leaves it (Lambda supplies it). Only the clients every request needs may be
// imported statically; the others load on first use (adapters/aws/lazy-sdk.ts).
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/function.ts';

const HANDLERS = join(PROJECT_ROOT, 'functions', 'handlers');
const TABLE = ['@aws-sdk/client-dynamodb', '@aws-sdk/util-dynamodb'];
const AUTHENTICATED = [...TABLE, '@aws-sdk/client-secrets-manager'].sort();
const RUNS = ['@aws-sdk/client-cloudwatch-logs', '@aws-sdk/client-sfn'];

/** Entry point → [SDK packages imported at start, SDK packages imported on first use]. */
const EXPECTED: Record<string, [string[], string[]]> = {
  'fallback.ts': [[], []],
  'run-state.ts': [TABLE, []],
  'ecs-events.ts': [TABLE, []],
  'execution-events.ts': [TABLE, []],
  'scheduled-trigger.ts': [TABLE, RUNS],
  'keys.ts': [AUTHENTICATED, []],
  'system.ts': [AUTHENTICATED, []],
  'metrics.ts': [AUTHENTICATED, ['@aws-sdk/client-cloudwatch']],
  'runs.ts': [AUTHENTICATED, RUNS],
  'logs.ts': [AUTHENTICATED, RUNS],
  'jobs.ts': [AUTHENTICATED, ['@aws-sdk/client-cloudwatch-logs', '@aws-sdk/client-ecs', '@aws-sdk/client-scheduler', '@aws-sdk/client-sfn']],
};

async function externalImports(handler: string): Promise<{ atStart: string[]; onFirstUse: string[] }> {
  const result = await build({
    entryPoints: [join(HANDLERS, handler)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external));
  const names = (kind: string) => [...new Set(imports.filter((i) => i.kind === kind).map((i) => i.path))].filter((p) => p.startsWith('@aws-sdk/')).sort();
  return { atStart: names('import-statement'), onFirstUse: names('dynamic-import') };
}

describe('cold start', () => {
  it('knows every entry point', () => {
    expect(readdirSync(HANDLERS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s imports only what every request needs; other clients load on first use', async (handler, [atStart, onFirstUse]) => {
    expect(await externalImports(handler)).toEqual({ atStart, onFirstUse });
  });
});
