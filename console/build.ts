// Builds the web console from its sources: one ES module bundle and one stylesheet, named by their content's
// hash (so they can be cached for good), and an index.html that loads them with no inline script or style, as
// the Content-Security-Policy requires. `npm start`, the tests and the stack build it when its sources have no
// build yet (console/dist/<hash of the sources>); `npm run build:console` builds it by hand.
import { buildSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_SOURCES = fileURLToPath(new URL('./src', import.meta.url));
export const CONSOLE_DIST = fileURLToPath(new URL('./dist', import.meta.url));
/**
 * What the bundle may be made of outside its folder: the typed client, the domain core it shares rules with (cron,
 * the spec's fields and defaults, revisions), and the locked packages.
 */
const SHARED_DIRS = ['../client', '../functions/core'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
const LOCK = fileURLToPath(new URL('../package-lock.json', import.meta.url));

/** Every file the bundle may be built from, sorted. */
function sources(): string[] {
  const files: string[] = [LOCK];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  for (const dir of [CONSOLE_SOURCES, ...SHARED_DIRS]) walk(dir);
  return files.sort();
}

/** A build's name: the hash of its sources' contents, so one source tree has one build however often it is asked. */
export function sourcesHash(): string {
  const hash = createHash('sha256');
  for (const file of sources()) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

export interface BuiltConsole {
  dir: string;
  script: string;
  stylesheet: string;
}

/** Builds into `outDir` (made afresh). */
export function buildConsole(outDir: string): BuiltConsole {
  rmSync(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = buildSync({
    entryPoints: { app: join(CONSOLE_SOURCES, 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: assets,
    // Views only some visits open (the job form, with its YAML) are chunks of their own, loaded when opened.
    splitting: true,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const script = basename(outputs.find(([file, output]) => file.endsWith('.js') && output.entryPoint)![0]);
  const stylesheet = basename(outputs.find(([file]) => file.endsWith('.css'))![0]);
  const html = readFileSync(join(CONSOLE_SOURCES, 'index.html'), 'utf8')
    .replace('%SCRIPT%', `assets/${script}`)
    .replace('%STYLESHEET%', `assets/${stylesheet}`);
  writeFileSync(join(outDir, 'index.html'), html);
  return { dir: outDir, script, stylesheet };
}

/**
 * The built console of the current sources, built if it is not there yet: into a directory of its own first,
 * then renamed into place, so services starting at the same moment never see half a build. Synchronous (about a
 * tenth of a second), so a CDK construct can ask for it too.
 */
export function ensureConsole(root = CONSOLE_DIST): string {
  const dir = join(root, sourcesHash());
  if (existsSync(join(dir, 'index.html'))) return dir;
  const scratch = join(root, `.building-${process.pid}-${Date.now()}`);
  buildConsole(scratch);
  try {
    renameSync(scratch, dir);
  } catch {
    rmSync(scratch, { recursive: true, force: true }); // built by another at the same moment
  }
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`built ${ensureConsole()}`);
