// What one view hands to the view it opens next, kept in memory only: a webhook's signing secret is shown once, on
// the view it lands on, and is gone on reload or once that view is left (never in a URL or in storage).
import { useEffect, useState } from 'preact/hooks';

const notes = new Map<string, unknown>();

/** Leaves `note` for the view at `path` (a console path), replacing any note left there before. */
export function handOver(path: string, note: unknown): void {
  notes.set(path, note);
}

/** The note left for the view at `path`, once: a second call (a reload, a return) finds none. */
export function takeOver<T>(path: string): T | undefined {
  const note = notes.get(path) as T | undefined;
  notes.delete(path);
  return note;
}

/**
 * The note left for this view: taken as it mounts, and again whenever `again` changes, for a view that stays
 * mounted while only its URL's query changes (a form on it that closes).
 */
export function useHandOver<T>(path: string, again?: unknown): T | undefined {
  const [note, setNote] = useState(() => takeOver<T>(path));
  useEffect(() => {
    const left = takeOver<T>(path);
    if (left !== undefined) setNote(left);
  }, [path, again]);
  return note;
}
