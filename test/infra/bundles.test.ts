// What each function loads at cold start: the bundle esbuild makes of its entry point, with the AWS SDK
// external as NodejsFunction leaves it (Lambda supplies it). Only the clients every request needs may be
// imported statically; the others load on first use (adapters/aws/lazy-sdk.ts).
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName } from '../../functions/composition/functions.ts';
import { PROJECT_ROOT } from '../../infra/constructs/function.ts';

const HANDLERS = join(PROJECT_ROOT, 'functions', 'handlers');
const TABLE = ['@aws-sdk/client-dynamodb', '@aws-sdk/util-dynamodb'];
/** The clients that load on first use, wherever a function may call them. */
const LAZY = [
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-ecs',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-scheduler',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-sqs',
];

/** What a declared function may import at cold start: the table's client if it uses the table; nothing else. */
function expected(name: FunctionName): { atStart: string[]; onFirstUse: string[] } {
  const uses = FUNCTIONS[name].uses as readonly string[];
  if (uses.length === 0) return { atStart: [], onFirstUse: [] };
  return { atStart: uses.some((use) => use.startsWith('table:')) ? TABLE : [], onFirstUse: LAZY };
}

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
  const names = (kind: string) =>
    [...new Set(imports.filter((i) => i.kind === kind).map((i) => i.path))]
      .filter((p) => p.startsWith('@aws-sdk/'))
      .sort();
  return { atStart: names('import-statement'), onFirstUse: names('dynamic-import') };
}

describe('cold start', () => {
  it('has one entry point per declared function', () => {
    expect(readdirSync(HANDLERS).sort()).toEqual(
      Object.keys(FUNCTIONS)
        .map((name) => `${name}.ts`)
        .sort(),
    );
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    '%s imports only what every request needs; other clients load on first use',
    async (name) => {
      expect(await externalImports(`${name}.ts`)).toEqual(expected(name));
    },
  );
});
