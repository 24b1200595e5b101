// Where the CLI finds the service and its key: flags first, then JOBS_URL, JOBS_KEY, JOBS_WORKSPACE and
// JOBS_PROJECT, then what `jobsctl login` saved in ~/.config/jobs/config.json (mode 0600).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Settings {
  url: string;
  key?: string | undefined;
  workspace?: string | undefined;
  project?: string | undefined;
}

export interface SettingFlags {
  url?: string | undefined;
  key?: string | undefined;
  workspace?: string | undefined;
  project?: string | undefined;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'jobs', 'config.json');
}

export function readSaved(env: NodeJS.ProcessEnv = process.env): Partial<Settings> {
  try {
    return JSON.parse(readFileSync(configFile(env), 'utf8')) as Partial<Settings>;
  } catch {
    return {};
  }
}

export function resolveSettings(flags: SettingFlags, env: NodeJS.ProcessEnv = process.env): Settings {
  const saved = readSaved(env);
  return {
    url: flags.url ?? (env.JOBS_URL || undefined) ?? saved.url ?? DEFAULT_URL,
    key: flags.key ?? (env.JOBS_KEY || undefined) ?? saved.key,
    workspace: flags.workspace ?? (env.JOBS_WORKSPACE || undefined) ?? saved.workspace,
    project: flags.project ?? (env.JOBS_PROJECT || undefined) ?? saved.project,
  };
}

/** Saves the settings for later commands, readable by the user only (it holds a key). */
export function saveSettings(settings: Settings, env: NodeJS.ProcessEnv = process.env): string {
  const file = configFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // also when the file already existed with a wider mode
  return file;
}
