// What every command reads from the global options: the client of the configured service, the output format.
import type { Command } from 'commander';
import { JobsClient } from '../client/jobs-client.ts';
import type { Format } from './output.ts';
import { resolveSettings } from './settings.ts';

export interface GlobalOptions {
  url?: string;
  key?: string;
  workspace?: string;
  project?: string;
  output: Format;
}

export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function clientOf(command: Command): JobsClient {
  return new JobsClient(resolveSettings(globals(command)));
}

export function formatOf(command: Command): Format {
  return globals(command).output;
}
