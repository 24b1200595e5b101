// The settings service: a workspace's and a project's settings read (the defaults where never set) and replaced,
// always in the contract's shape and order (the table keeps no order of a map's keys).
import { auditEntry, changedFields, type Requester } from './audit.ts';
import type { AdmissionLimits, Capacity, TaskPlace } from './admission.ts';
import type { ProjectRef, SettingsStore } from './ports.ts';
import {
  DEFAULT_PROJECT_SETTINGS,
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

/** A workspace's settings in the contract's shape and order, defaults where a field is absent. */
function workspaceSettingsOf(input: WorkspaceSettingsInput): WorkspaceSettings {
  return {
    limits: limitsOf(input.limits),
    task_roles: [...new Set(input.task_roles ?? [])],
    linked_secret_arns: [...new Set(input.linked_secret_arns ?? [])],
  };
}

function projectSettingsOf(input: ProjectSettingsInput): ProjectSettings {
  return { limits: limitsOf(input.limits), weight: input.weight ?? DEFAULT_PROJECT_SETTINGS.weight };
}

export class SettingsService {
  readonly #store: SettingsStore;

  constructor(store: SettingsStore) {
    this.#store = store;
  }

  async workspace(workspaceId: string): Promise<WorkspaceSettings> {
    return workspaceSettingsOf((await this.#store.workspace(workspaceId)) ?? {});
  }

  async putWorkspace(
    workspaceId: string,
    input: WorkspaceSettingsInput,
    requester?: Requester,
  ): Promise<WorkspaceSettings> {
    const settings = workspaceSettingsOf(input);
    const audit =
      requester &&
      auditEntry(
        requester,
        'settings.update',
        workspaceId,
        {},
        changedFields({ ...(await this.workspace(workspaceId)) }, { ...settings }),
      );
    await this.#store.putWorkspace(workspaceId, settings, audit);
    return settings;
  }

  async project(ref: ProjectRef): Promise<ProjectSettings> {
    return projectSettingsOf((await this.#store.project(ref)) ?? {});
  }

  async putProject(ref: ProjectRef, input: ProjectSettingsInput, requester?: Requester): Promise<ProjectSettings> {
    const settings = projectSettingsOf(input);
    const audit =
      requester &&
      auditEntry(
        requester,
        'settings.update',
        ref.workspace_id,
        { project_id: ref.project_id },
        changedFields({ ...(await this.project(ref)) }, { ...settings }),
      );
    await this.#store.putProject(ref, settings, audit);
    return settings;
  }

  /** The limits over tasks of these places, read once each, for one decision of admission. */
  async admissionLimits(places: TaskPlace[], host: Capacity | null): Promise<AdmissionLimits> {
    const workspaces = new Map<string, Limits>();
    const projects = new Map<string, ProjectSettings>();
    const projectKey = (place: TaskPlace) => `${place.workspace_id}/${place.project_id}`;
    await Promise.all([
      ...[...new Set(places.map((place) => place.workspace_id))].map(async (id) =>
        workspaces.set(id, (await this.workspace(id)).limits),
      ),
      ...[...new Map(places.map((place) => [projectKey(place), place])).values()].map(async (place) =>
        projects.set(projectKey(place), await this.project(place)),
      ),
    ]);
    return {
      workspace: (id) => workspaces.get(id) ?? NO_LIMITS,
      project: (place) => projects.get(projectKey(place)) ?? DEFAULT_PROJECT_SETTINGS,
      host,
    };
  }
}
