// A SettingsStore decorator that remembers what it has read and written, for a host that is the only writer of
// its table (local mode holds its data directory exclusively): admission reads a workspace's and a project's
// limits each time it decides, and a PUT through this same object is seen by the very next decision.
import type { AuditEntry } from '../../core/audit.ts';
import type { ProjectRef, SettingsStore } from '../../core/ports.ts';
import type { ProjectSettings, WorkspaceSettings } from '../../core/settings.ts';

export class CachedSettingsStore implements SettingsStore {
  readonly #inner: SettingsStore;
  readonly #read = new Map<string, Promise<WorkspaceSettings | ProjectSettings | null>>();

  constructor(inner: SettingsStore) {
    this.#inner = inner;
  }

  #remembered<T extends WorkspaceSettings | ProjectSettings>(key: string, read: () => Promise<T | null>) {
    let found = this.#read.get(key) as Promise<T | null> | undefined;
    if (!found) {
      found = read();
      this.#read.set(key, found);
      // A failed read is not remembered: the next one asks the table again.
      found.catch(() => this.#read.delete(key));
    }
    return found;
  }

  async #write<T extends WorkspaceSettings | ProjectSettings>(key: string, write: () => Promise<void>, value: T) {
    this.#read.delete(key);
    await write();
    this.#read.set(key, Promise.resolve(value));
  }

  workspace(workspaceId: string): Promise<WorkspaceSettings | null> {
    return this.#remembered(`w/${workspaceId}`, () => this.#inner.workspace(workspaceId));
  }
  putWorkspace(workspaceId: string, settings: WorkspaceSettings, audit?: AuditEntry): Promise<void> {
    return this.#write(`w/${workspaceId}`, () => this.#inner.putWorkspace(workspaceId, settings, audit), settings);
  }
  project(ref: ProjectRef): Promise<ProjectSettings | null> {
    return this.#remembered(`p/${ref.workspace_id}/${ref.project_id}`, () => this.#inner.project(ref));
  }
  putProject(ref: ProjectRef, settings: ProjectSettings, audit?: AuditEntry): Promise<void> {
    return this.#write(
      `p/${ref.workspace_id}/${ref.project_id}`,
      () => this.#inner.putProject(ref, settings, audit),
      settings,
    );
  }
}
