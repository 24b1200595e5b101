// The layering of functions/, as the README draws it: the domain imports only itself; the HTTP layer and the
// orchestration layer speak to the domain; adapters implement its ports; only the composition and the entry
// points put them together. And the domain speaks its own language: no ECS, Step Functions or EventBridge shapes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../local-server/service.ts';

const FUNCTIONS_DIR = join(PROJECT_DIR, 'functions');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(path) ? [path] : [];
  });
}

/** Each module's imports: the folder under functions/ of each relative import, or the package name. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g)].map((m) => {
    const target = (m[1] ?? m[2]) as string;
    if (!target.startsWith('.')) return target;
    const path = relative(FUNCTIONS_DIR, resolve(dirname(file), target));
    return path.startsWith('..')
      ? path
      : path
          .split('/')
          .slice(0, path.startsWith('adapters') ? 2 : 1)
          .join('/');
  });
}

const layer = (file: string) => {
  const path = relative(FUNCTIONS_DIR, file);
  return path.startsWith('adapters/')
    ? path.split('/').slice(0, 2).join('/')
    : path.includes('/')
      ? path.split('/')[0]!
      : path;
};

/** What each layer may import from functions/ (besides itself), and whether it may use the AWS SDK. */
const ALLOWED: Record<string, { layers: string[]; sdk: boolean }> = {
  core: { layers: [], sdk: false },
  schemas: { layers: ['core'], sdk: false },
  api: { layers: ['core', 'schemas', 'logger.ts', 'version.ts'], sdk: false },
  orchestration: { layers: ['core', 'logger.ts'], sdk: false },
  'adapters/aws': {
    layers: [
      'core',
      'schemas',
      'orchestration',
      'composition',
      'adapters/dynamodb',
      'adapters/transient.ts',
      'adapters/dns.ts',
      'adapters/http-send.ts',
      'logger.ts',
      'version.ts',
    ],
    sdk: true,
  },
  'adapters/dns.ts': { layers: ['core'], sdk: false },
  'adapters/http-send.ts': { layers: ['core'], sdk: false },
  'adapters/dynamodb': { layers: ['core', 'adapters/transient.ts'], sdk: true },
  'adapters/transient.ts': { layers: ['core'], sdk: false },
  'adapters/local': {
    layers: [
      'core',
      'orchestration',
      'composition',
      'adapters/dynamodb',
      'adapters/http-send.ts',
      'adapters/dns.ts',
      'logger.ts',
      'version.ts',
    ],
    sdk: false,
  },
  composition: { layers: ['core', 'api', 'logger.ts'], sdk: false },
  handlers: { layers: ['adapters/aws', 'composition', 'core', 'orchestration', 'api', 'logger.ts'], sdk: false },
  'logger.ts': { layers: [], sdk: false },
  'version.ts': { layers: ['../package.json'], sdk: false },
};

describe('functions/', () => {
  it('imports without a cycle, types included: the ports import the model, never the services that use them', () => {
    const graph = new Map(
      files(FUNCTIONS_DIR).map((file) => [
        file,
        [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+\.ts)'/g)].map((m) => resolve(dirname(file), m[1]!)),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open')
          cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(FUNCTIONS_DIR, f)).join(' → '));
        else if (!state.has(next)) visit(next, [...path, next]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });

  it('imports only along the layers', () => {
    const violations: string[] = [];
    for (const file of files(FUNCTIONS_DIR)) {
      const own = layer(file);
      const allowed = ALLOWED[own];
      if (!allowed) {
        violations.push(`${relative(FUNCTIONS_DIR, file)}: in no known layer`);
        continue;
      }
      for (const target of importsOf(file)) {
        const isLocal =
          !target.includes('@') &&
          (target.includes('/') || target.endsWith('.ts') || target.endsWith('.json')) &&
          !target.startsWith('node:');
        if (target.startsWith('@aws-sdk/') || target.startsWith('@smithy/')) {
          if (!allowed.sdk) violations.push(`${relative(FUNCTIONS_DIR, file)} uses ${target}`);
        } else if (target === 'aws-lambda' && own !== 'api' && own !== 'handlers') {
          violations.push(`${relative(FUNCTIONS_DIR, file)} uses aws-lambda types`);
        } else if (isLocal && target !== own && !allowed.layers.includes(target)) {
          violations.push(`${relative(FUNCTIONS_DIR, file)} (${own}) imports ${target}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("keeps the backends' shapes out of the domain", () => {
    const found: string[] = [];
    for (const file of files(join(FUNCTIONS_DIR, 'core'))) {
      const code = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\/\/|\*|\/\*\*)/.test(line))
        .join('\n');
      for (const shape of [/Containers\b/, /\bExitCode\b/, /States\./, /\{\s*Name\b/, /task_definition/, /TaskArn/])
        if (shape.test(code)) found.push(`${relative(FUNCTIONS_DIR, file)}: ${shape}`);
    }
    expect(found).toEqual([]);
  });
});

/** What the client may take from the core besides the schemas' types: plain rules that exist once. */
const CLIENT_CORE = [
  'functions/core/id-patterns.ts',
  'functions/core/run-statuses.ts',
  'functions/core/cron.ts',
  'functions/core/secrets.ts',
  'functions/core/revisions.ts',
];

describe('client/, cli/ and the console', () => {
  /** Every import of a file, as written, and whether it is for types only. */
  const importLines = (file: string) =>
    [
      ...readFileSync(file, 'utf8').matchAll(
        /(?:^|\n)\s*import\s(type\s)?[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g,
      ),
    ].map((m) => ({ typeOnly: Boolean(m[1]), target: (m[2] ?? m[3]) as string, file }));

  it("use the public API only: the client takes the schemas' types and a few plain rules of the core (the CLI's job files their schema), the CLI and the console go through the client", () => {
    const violations: string[] = [];
    for (const { typeOnly, target, file } of files(join(PROJECT_DIR, 'client')).flatMap(importLines)) {
      const path = target.startsWith('.') ? relative(PROJECT_DIR, resolve(dirname(file), target)) : target;
      // Job files (the CLI's alone) take the schema the server validates with, and its defaults.
      const jobFiles =
        relative(PROJECT_DIR, file) === 'client/job-files.ts' &&
        ['functions/schemas/job.ts', 'functions/core/jobs.ts', 'zod'].includes(path);
      const allowed =
        jobFiles ||
        CLIENT_CORE.includes(path) ||
        (path.startsWith('functions/')
          ? typeOnly && path.startsWith('functions/schemas/')
          : target === 'zod' && typeOnly);
      if (!allowed) violations.push(`${relative(PROJECT_DIR, file)} imports ${target}`);
    }
    const clients = [...files(join(PROJECT_DIR, 'cli')), ...files(join(PROJECT_DIR, 'console', 'src'))];
    for (const { target, file } of clients.flatMap(importLines)) {
      const path = target.startsWith('.') ? relative(PROJECT_DIR, resolve(dirname(file), target)) : target;
      if (['functions/', 'infra/', 'local-server/'].some((layer) => path.startsWith(layer)))
        violations.push(`${relative(PROJECT_DIR, file)} imports ${target}`);
      // The console's bundle carries no schema.
      if (file.includes(`${join('console', 'src')}`) && path === 'client/job-files.ts')
        violations.push(`${relative(PROJECT_DIR, file)} imports ${target}`);
    }
    expect(violations).toEqual([]);
  });
});
