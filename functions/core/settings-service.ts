// The settings service: a workspace's and a project's settings read (the defaults where never set) and replaced.
import type { ProjectRef, SettingsStore } from './ports.ts';
import {
  DEFAULT_PROJECT_SETTINGS,
  DEFAULT_WORKSPACE_SETTINGS,
  NO_LIMITS,
  type Limits,
  type ProjectSettings,
  type WorkspaceSettings,
} from './settings.ts';

/** What a PUT may leave out: each omitted field takes its default. */
export type WorkspaceSettingsInput = Partial<Omit<WorkspaceSettings, 'limits'>> & { limits?: Partial<Limits> };
export type ProjectSettingsInput = Partial<Omit<ProjectSettings, 'limits'>> & { limits?: Partial<Limits> };

const limitsOf = (limits: Partial<Limits> | undefined): Limits => ({
  running_tasks: limits?.running_tasks ?? NO_LIMITS.running_tasks,
  cpu: limits?.cpu ?? NO_LIMITS.cpu,
});

export class SettingsService {
  readonly #store: SettingsStore;

  constructor(store: SettingsStore) {
    this.#store = store;
  }

  async workspace(workspaceId: string): Promise<WorkspaceSettings> {
    return (await this.#store.workspace(workspaceId)) ?? DEFAULT_WORKSPACE_SETTINGS;
  }

  async putWorkspace(workspaceId: string, input: WorkspaceSettingsInput): Promise<WorkspaceSettings> {
    const settings: WorkspaceSettings = {
      limits: limitsOf(input.limits),
      task_roles: [...new Set(input.task_roles ?? [])],
      linked_secret_arns: [...new Set(input.linked_secret_arns ?? [])],
    };
    await this.#store.putWorkspace(workspaceId, settings);
    return settings;
  }

  async project(ref: ProjectRef): Promise<ProjectSettings> {
    return (await this.#store.project(ref)) ?? DEFAULT_PROJECT_SETTINGS;
  }

  async putProject(ref: ProjectRef, input: ProjectSettingsInput): Promise<ProjectSettings> {
    const settings: ProjectSettings = {
      limits: limitsOf(input.limits),
      weight: input.weight ?? DEFAULT_PROJECT_SETTINGS.weight,
    };
    await this.#store.putProject(ref, settings);
    return settings;
  }
}
