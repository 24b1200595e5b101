// Settings of a workspace (admins') and of a project (writers'): the limits admission will hold runs to, a
// project's share of its workspace, the IAM roles jobs may run as and the existing secrets they may link. A
// setting never changes a run already running. `null` or an omitted limit means none.

export interface Limits {
  /** Tasks running at once. */
  running_tasks: number | null;
  /** The sum of the running tasks' cpu. */
  cpu: number | null;
}

export interface WorkspaceSettings {
  limits: Limits;
  /** The IAM roles a job of the workspace may name as its `task_role`. */
  task_roles: string[];
  /** ARN patterns (`*` any text) of existing Secrets Manager secrets a project may link. */
  linked_secret_arns: string[];
}

export interface ProjectSettings {
  limits: Limits;
  /** Its share of a binding workspace limit, against the other projects' (1–100). */
  weight: number;
}

export const NO_LIMITS: Limits = { running_tasks: null, cpu: null };
export const DEFAULT_PROJECT_SETTINGS: ProjectSettings = { limits: NO_LIMITS, weight: 1 };

export const SETTINGS_LIMITS = {
  taskRoles: 100,
  linkedSecretArns: 50,
  weight: { min: 1, max: 100 },
  runningTasks: { min: 1, max: 100_000 },
  cpu: { min: 0.25, max: 100_000 },
} as const;

export const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
export const LINKED_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9*-]+:(\d{12}|\*):secret:[\w/+=.@*-]+$/;
