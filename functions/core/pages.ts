// Shapes every store and service shares: the project a resource lives in, and a page of a list.

/** Jobs and runs live in a workspace and a project; every lookup is scoped by both. */
export interface ProjectRef {
  workspace_id: string;
  project_id: string;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
