// `npm run example-image`: a small image built on this machine, for the README's examples where no registry is
// reachable (an air-gapped laptop, a CI machine): FROM scratch, the machine's static busybox and its applets
// (sh, echo, sleep, seq, …). Without a container engine there is nothing to build: runs are host processes.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chooseRunner, type Engine } from '../functions/adapters/local/engines.ts';

const run = promisify(execFile);

/** The image the README's examples name. */
export const EXAMPLE_IMAGE = 'localhost/jobs-busybox:1';
/** Where Debian's busybox-static puts its binary (and other systems theirs). */
export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((path) => existsSync(path)) ?? null;

/**
 * Builds `tag` on the engine from the static busybox, with `files` (name → content) added at the image's root.
 * Under a second with podman, and needs no registry.
 */
export async function buildBusyboxImage(
  engine: Engine,
  tag: string,
  files: Record<string, string> = {},
): Promise<void> {
  if (!BUSYBOX)
    throw new Error('no static busybox on this machine to build the image from (apt-get install busybox-static)');
  const context = mkdtempSync(join(tmpdir(), 'jobs-image-'));
  try {
    copyFileSync(BUSYBOX, join(context, 'busybox'));
    const lines = ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]'];
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(context, name), content);
      lines.push(`COPY ${name} /${name}`);
    }
    writeFileSync(join(context, 'Containerfile'), `${lines.join('\n')}\n`);
    const runtime = engine.hostFlags.includes('--runtime')
      ? ['--runtime', engine.hostFlags[engine.hostFlags.indexOf('--runtime') + 1]!]
      : [];
    await run(
      engine.name,
      [...runtime, 'build', '--quiet', '--tag', tag, '--file', join(context, 'Containerfile'), context],
      {
        timeout: 120_000,
      },
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { engine, why } = await chooseRunner('auto');
  if (!engine) {
    console.log(`no container engine here (${why}): runs are host processes, and need no image`);
  } else {
    await buildBusyboxImage(engine, EXAMPLE_IMAGE).catch((error: Error) => {
      console.error(`could not build ${EXAMPLE_IMAGE} on ${engine.name}: ${error.message}`);
      process.exit(1);
    });
    console.log(`built ${EXAMPLE_IMAGE} on ${engine.name}`);
  }
}
