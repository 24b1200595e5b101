// Who the console is signed in as: the API key pasted at sign-in, kept in sessionStorage (it goes with the tab,
// never into a URL), and where the API is (config.json, written by the host beside the console).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, JobsClient } from '../../client/jobs-client.ts';

const KEY = 'jobs.console.key';

export interface ConsoleConfig {
  /** The API's base URL; the console's own origin when absent (local mode). */
  api_url?: string | null;
  /** Local mode: where the admin key file is. */
  admin_key_file?: string | null;
}

let config: ConsoleConfig = {};

export async function loadConfig(): Promise<ConsoleConfig> {
  try {
    const response = await fetch('config.json', { cache: 'no-cache' });
    if (response.ok) config = (await response.json()) as ConsoleConfig;
  } catch {
    // no config: the API is on this origin
  }
  return config;
}

export function consoleConfig(): ConsoleConfig {
  return config;
}

export function apiUrl(): string {
  return config.api_url || location.origin;
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

const CHANGED = 'jobs-console-session';

export function signIn(key: string): void {
  sessionStorage.setItem(KEY, key.trim());
  window.dispatchEvent(new Event(CHANGED));
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event(CHANGED));
}

/** Whether this tab has a key, following sign-in and sign-out. */
export function useSignedIn(): boolean {
  const [signedIn, setSignedIn] = useState(() => storedKey() !== null);
  useEffect(() => {
    const changed = () => setSignedIn(storedKey() !== null);
    window.addEventListener(CHANGED, changed);
    return () => window.removeEventListener(CHANGED, changed);
  }, []);
  return signedIn;
}

/** The typed client for a project (or a workspace alone), with the key of this tab. */
export function client(workspace?: string, project?: string): JobsClient {
  return new JobsClient({ url: apiUrl(), key: storedKey() ?? undefined, workspace, project });
}

/** A 401 means the key is gone or wrong: back to sign-in, saying why. */
export function isSignedOut(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
