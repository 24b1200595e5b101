// What the container tests need: the engine this machine has (or why there is none), and an image built here
// from busybox (no registry is reachable): FROM scratch, busybox and its applets, and a marker file whose
// content is new on every build, so a test proves its command ran inside this image.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { chooseRunner, type Engine } from '../../functions/adapters/local/engines.ts';
import { BUSYBOX, buildBusyboxImage } from '../../local-server/example-image.ts';

const run = promisify(execFile);

export interface TestImage {
  engine: Engine;
  image: string;
  /** What /marker holds in the image, and nowhere on the host. */
  marker: string;
}

/** The engine and a fresh test image, or why the container tests cannot run here. */
export async function testImage(): Promise<TestImage | { skip: string }> {
  const { engine, why } = await chooseRunner('auto');
  if (!engine) return { skip: why };
  if (!BUSYBOX) {
    return {
      skip: `${engine.name} answers, but there is no static busybox to build the test image from (apt-get install busybox-static)`,
    };
  }
  const marker = randomUUID();
  const image = `localhost/jobs-test:${marker.slice(0, 8)}`;
  await buildBusyboxImage(engine, image, { marker: `${marker}\n` });
  return { engine, image, marker };
}

/** The containers of the service the engine has (by the label every one of them carries). */
export async function serviceContainers(engine: Engine): Promise<string[]> {
  const { stdout } = await run(engine.name, ['ps', '--all', '--filter', 'label=jobs.run-id', '--format', '{{.Names}}']);
  return stdout.split('\n').filter(Boolean);
}

export async function removeImage(engine: Engine, image: string): Promise<void> {
  await run(engine.name, ['rmi', '--force', image]).catch(() => undefined);
}
