// The ports: what the domain needs from the outside world. Adapters implement them, one per engine
// (functions/adapters/aws/* for AWS and DynamoDB Local, functions/adapters/local/* for the embedded host).
import type { Job } from './jobs.ts';
import type { ApiKey, StoredKey } from './keys.ts';

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

export interface JobListFilter {
  /** All of these tags must match. */
  tags: ReadonlyArray<readonly [key: string, value: string]>;
  scheduled?: boolean | undefined;
}

/** A job as stored, with the version that guards concurrent updates. */
export interface StoredJob {
  job: Job;
  version: number;
}

export interface JobStore {
  /** Throws ConflictError when the name is taken in the project. */
  create(job: Job): Promise<void>;
  get(ref: ProjectRef, jobId: string): Promise<StoredJob | null>;
  list(ref: ProjectRef, filter: JobListFilter, page: PageRequest): Promise<Page<Job>>;
  /**
   * Replaces the job if its version is still `expectedVersion`; returns false when another writer got there
   * first. Throws ConflictError when a rename hits a taken name.
   */
  update(job: Job, expectedVersion: number, previousName: string): Promise<boolean>;
  /** Removes the job and its name; returns false if it was already gone. */
  delete(ref: ProjectRef, jobId: string, name: string): Promise<boolean>;
}

export interface KeyStore {
  create(key: StoredKey): Promise<void>;
  /** The key whose secret hashes to `hash`, or null (unknown or revoked). */
  findByHash(hash: string): Promise<ApiKey | null>;
  list(page: PageRequest): Promise<Page<ApiKey>>;
  /** Returns false if there was no such key. */
  revoke(keyId: string): Promise<boolean>;
}
