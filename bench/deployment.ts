// Deployment figures: `cdk synth` time beside an empty app's, and for each function the bundle CDK would upload
// (minified size, zipped size) and its module initialisation in Node 24 as a cold-start proxy.
//
// Initialisation imports the synthesized bundle in a fresh process, with the environment the template gives the
// function (tokens replaced by plausible values) and its NODE_OPTIONS. The AWS SDK is resolved from node_modules,
// as Lambda resolves it from its runtime. The admin key is read from a local stand-in for Secrets Manager, so the
// SDK's first request (credentials, signing, a connection) is inside the figure; only the network is not.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { median, ROOT } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const OUT = join(ROOT, 'bench', 'out', 'deployment');
const CDK = join(ROOT, 'node_modules', '.bin', 'cdk');
const SYNTHS = 3;
const IMPORTS = 7;
const execFileAsync = promisify(execFile);

interface LambdaResource {
  Type: string;
  Metadata?: Record<string, string>;
  Properties: { Handler: string; Environment?: { Variables: Record<string, unknown> } };
}

function timedSynth(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(CDK, ['synth', '--quiet', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` },
  });
  if (result.status !== 0) throw new Error(`cdk synth ${args.join(' ')} failed:\n${result.stderr}`);
  return performance.now() - started;
}

/** A template value as a string: literals as they are, references as plausible stand-ins. */
function envValue(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  return name.endsWith('_ARN') ? 'arn:aws:states:eu-west-1:123456789012:stateMachine:bench' : 'bench';
}

/** Asynchronous, so the Secrets Manager stand-in in this process can answer meanwhile. */
async function importMs(file: string, env: Record<string, string>): Promise<number> {
  const { stdout } = await execFileAsync(process.execPath, [join(ROOT, 'bench', 'init-time.mjs'), file], {
    cwd: ROOT,
    encoding: 'utf8',
    env,
    timeout: 30_000,
  });
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { init_ms: number }).init_ms;
}

async function medianOf(times: number, measure: () => Promise<number>): Promise<{ median: number; max: number }> {
  const values: number[] = [];
  for (let i = 0; i < times; i++) values.push(await measure());
  return { median: median(values), max: Math.max(...values) };
}

/** Answers GetSecretValue as Secrets Manager does, so the admin-key read at cold start is a real SDK request. */
async function secretsManagerStandIn(): Promise<{ url: string; close: () => void }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bench',
          Name: 'bench',
          SecretString: 'bench-admin-key-value',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

export async function deployment(): Promise<Section> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const assembly = join(OUT, 'cdk.out');

  const synth: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < SYNTHS; i++) {
    synth.push(timedSynth(['--output', assembly]));
    floor.push(
      timedSynth([
        '--app',
        `node ${join('bench', 'ceilings', 'empty-cdk-app.ts')}`,
        '--output',
        join(OUT, 'empty.out'),
      ]),
    );
  }

  const template = JSON.parse(readFileSync(join(assembly, 'JobsService.template.json'), 'utf8')) as {
    Resources: Record<string, LambdaResource>;
  };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  const secrets = await secretsManagerStandIn();
  const baseEnv = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
  };

  const floorDir = join(OUT, 'floor');
  mkdirSync(floorDir, { recursive: true });
  writeFileSync(join(floorDir, 'index.mjs'), 'export const handler = async () => ({});\n');
  const floorInit = await medianOf(IMPORTS, () =>
    importMs(join(floorDir, 'index.mjs'), { ...baseEnv, NODE_OPTIONS: '--enable-source-maps' }),
  );

  const rows: string[][] = [];
  try {
    for (const fn of functions) {
      const name = fn.Metadata!['aws:cdk:path']!.replace(/^JobsService\//, '').replace(/\/Resource$/, '');
      // Under the project, so the bundle's external @aws-sdk/* imports resolve from node_modules.
      const dir = join(OUT, 'functions', name.replace(/\//g, '-'));
      cpSync(join(assembly, fn.Metadata!['aws:asset:path']!), dir, { recursive: true });
      const bundle = readFileSync(join(dir, 'index.mjs'));
      const env = Object.fromEntries(
        Object.entries(fn.Properties.Environment?.Variables ?? {}).map(([key, value]) => [key, envValue(key, value)]),
      );
      const init = await medianOf(IMPORTS, () => importMs(join(dir, 'index.mjs'), { ...baseEnv, ...env }));
      rows.push([
        name,
        `${(bundle.length / 1024).toFixed(0)} KiB`,
        `${(gzipSync(bundle).length / 1024).toFixed(0)} KiB`,
        `${(statSync(join(dir, 'index.mjs.map')).size / 1024).toFixed(0)} KiB`,
        `${init.median.toFixed(1)} ms`,
        `${init.max.toFixed(1)} ms`,
      ]);
    }
  } finally {
    secrets.close();
  }
  rows.push([
    'floor: an empty handler module',
    '—',
    '—',
    '—',
    `${floorInit.median.toFixed(1)} ms`,
    `${floorInit.max.toFixed(1)} ms`,
  ]);

  return {
    title: 'Deployment: synthesis, bundles, initialisation',
    tables: [
      {
        caption: `\`cdk synth\` of the stack (11 functions bundled by esbuild, cdk-nag checks included), median of ${SYNTHS}, beside an app with one resource`,
        head: ['app', 'synth time'],
        rows: [
          ['the jobs service', `${(median(synth) / 1000).toFixed(2)} s`],
          ['floor: one stack, one topic', `${(median(floor) / 1000).toFixed(2)} s`],
        ],
      },
      {
        caption: `Each function's bundle (goal: under 500 KB minified) and its module initialisation in Node ${process.versions.node}, median and max of ${IMPORTS} fresh processes (goal: under 150 ms)`,
        head: ['function', 'minified', 'zipped (≈ upload)', 'source map', 'init median', 'init max'],
        rows,
      },
    ],
    notes: [
      'The AWS SDK is not bundled: Lambda supplies it, so it is external (and loaded from node_modules here).',
      'Initialisation is what the module does before its handler is called; Lambda adds its runtime start before that and the network round trip of the admin-key read.',
    ],
  };
}
