// The secret service: a project's secrets set, read (metadata only), listed and deleted; the check that a job
// names only secrets that exist; and, for the host that starts containers itself (local), the values a container
// is given and the values its output is masked with. A value enters through `put` and leaves only through
// `valuesFor` and `registryLogin`: no other method returns or logs one.
import { auditEntry, changedFields, type Requester } from './audit.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import type { Job } from './jobs.ts';
import type { JobStore, ProjectRef, SecretStore, SecretVault } from './ports.ts';
import {
  SECRET_LIMITS,
  SecretUnusableError,
  maskable,
  parseReference,
  pickValue,
  referencedNames,
  registryLogin,
  type Secret,
  type SecretRef,
  type StoredSecret,
} from './secrets.ts';

export type SecretWrite = { value: string } | { arn: string };

const MAX_WRITE_ATTEMPTS = 5;

/** Whether an ARN matches a pattern where `*` stands for any text. */
export function arnMatches(arn: string, pattern: string): boolean {
  const expression = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${expression}$`).test(arn);
}

export class SecretService {
  readonly #store: SecretStore;
  readonly #vault: () => SecretVault;
  readonly #jobs: JobStore;
  readonly #linkable: (workspaceId: string) => Promise<string[]>;
  readonly #now: () => Date;

  constructor(options: {
    store: SecretStore;
    /** Built when a value is first written or read: a function that only checks names never builds it. */
    vault: () => SecretVault;
    jobs: JobStore;
    /** The ARN patterns a workspace may link existing secrets from. */
    linkable?: (workspaceId: string) => Promise<string[]>;
    now?: () => Date;
  }) {
    this.#store = options.store;
    this.#vault = options.vault;
    this.#jobs = options.jobs;
    this.#linkable = options.linkable ?? (async () => []);
    this.#now = options.now ?? (() => new Date());
  }

  /** Sets a secret's value (a new version), or links an existing secret in AWS; `created` when it is new. */
  async put(ref: SecretRef, write: SecretWrite, requester?: Requester): Promise<{ secret: Secret; created: boolean }> {
    if ('arn' in write) await this.#checkLink(ref, write.arn);
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.#store.get(ref);
      if (!current && (await this.#store.list(ref)).length >= SECRET_LIMITS.perProject)
        throw new ConflictError(`a project has at most ${SECRET_LIMITS.perProject} secrets`, 'name');
      const stamp = this.#now().toISOString();
      const location = 'arn' in write ? write.arn : await this.#vault().write(ref, write.value);
      const next: StoredSecret = {
        workspace_id: ref.workspace_id,
        project_id: ref.project_id,
        name: ref.name,
        version: (current?.version ?? 0) + 1,
        source: 'arn' in write ? 'linked' : 'stored',
        created_at: current?.created_at ?? stamp,
        updated_at: stamp,
        location,
      };
      // Its value is never told: the change is its version (and where it is read from, for a link).
      const audit =
        requester &&
        auditEntry(
          requester,
          'secret.put',
          ref.workspace_id,
          { project_id: ref.project_id, secret: ref.name },
          changedFields(current && { version: current.version, source: current.source }, {
            version: next.version,
            source: next.source,
          }),
          this.#now(),
        );
      if (await this.#store.put(next, current?.version ?? null, audit)) {
        // A stored value replaced by a link is no longer needed where it was.
        if (current?.source === 'stored' && next.source === 'linked')
          await this.#vault()
            .remove(ref, current.location)
            .catch(() => undefined);
        return { secret: await this.#shown(next), created: current === null };
      }
    }
    throw new ConflictError('the secret was changed concurrently; retry the request');
  }

  async #checkLink(ref: SecretRef, arn: string): Promise<void> {
    if (!this.#vault().links)
      throw ValidationError.field(
        'arn',
        'linking an existing secret applies in AWS only; here, set its value with {"value": …}',
      );
    const patterns = await this.#linkable(ref.workspace_id);
    if (!patterns.some((pattern) => arnMatches(arn, pattern)))
      throw ValidationError.field(
        'arn',
        patterns.length === 0
          ? "matches none of the workspace's linked_secret_arns (it has none)"
          : `matches none of the workspace's linked_secret_arns: ${patterns.join(', ')}`,
      );
  }

  async get(ref: SecretRef): Promise<Secret> {
    const stored = await this.#store.get(ref);
    if (!stored) throw new NotFoundError('secret', ref.name);
    return this.#shown(stored);
  }

  async list(ref: ProjectRef): Promise<Secret[]> {
    const [stored, usage] = await Promise.all([this.#store.list(ref), this.#usage(ref)]);
    return stored.map((secret) => ({ ...metadata(secret), used_by: usage.get(secret.name) ?? [] }));
  }

  /** Refused (409, naming the jobs) while a job still names it. */
  async delete(ref: SecretRef, requester?: Requester): Promise<void> {
    const stored = await this.#store.get(ref);
    if (!stored) throw new NotFoundError('secret', ref.name);
    const users = (await this.#usage(ref)).get(ref.name) ?? [];
    if (users.length > 0)
      throw new ConflictError(`secret '${ref.name}' is used by ${users.join(', ')}: change those jobs first`, 'name');
    const audit =
      requester &&
      auditEntry(
        requester,
        'secret.delete',
        ref.workspace_id,
        { project_id: ref.project_id, secret: ref.name },
        { version: [stored.version, null] },
        this.#now(),
      );
    if (!(await this.#store.delete(ref, audit))) throw new NotFoundError('secret', ref.name);
    if (stored.source === 'stored') await this.#vault().remove(ref, stored.location);
  }

  /** The names among `names` that are not secrets of the project. */
  async missing(ref: ProjectRef, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const existing = new Set((await this.#store.list(ref)).map((secret) => secret.name));
    return names.filter((name) => !existing.has(name));
  }

  /** Where each secret a job names is (its ARN in AWS), for a task definition. */
  async locations(job: Job): Promise<Map<string, string>> {
    const names = referencedNames(job);
    if (names.length === 0) return new Map();
    const stored = await this.#store.list(job);
    return new Map(stored.filter((s) => names.includes(s.name)).map((s) => [s.name, s.location]));
  }

  /**
   * What an attempt is given, read now (so a new value reaches the next attempt), each secret once: the value of
   * each variable, and what its output is masked with (each whole value, and each picked key). Throws
   * SecretUnusableError, whose message names the secret and never its value, when one is gone or lacks the key.
   */
  async forAttempt(
    ref: ProjectRef,
    secrets: Record<string, string>,
  ): Promise<{ values: Record<string, string>; masks: string[] }> {
    const whole = new Map<string, string>();
    for (const name of namesIn(secrets)) whole.set(name, await this.#value({ ...ref, name }));
    const values = Object.fromEntries(
      Object.entries(secrets).map(([variable, text]) => {
        const reference = parseReference(text);
        return [variable, pickValue(reference, whole.get(reference.name)!)];
      }),
    );
    return { values, masks: maskable([...whole.values(), ...Object.values(values)]) };
  }

  /** The registry login a job's image is pulled with. */
  async registryLogin(ref: ProjectRef, name: string): Promise<{ username: string; password: string }> {
    return registryLogin(name, await this.#value({ ...ref, name }));
  }

  /**
   * What a run's output is masked with, where its attempt's own list is not at hand (output served, a run taken
   * back after a restart): what can be read of it now; a secret gone or a key missing masks nothing.
   */
  async maskValues(ref: ProjectRef, secrets: Record<string, string>): Promise<string[]> {
    const whole = new Map<string, string>();
    for (const name of namesIn(secrets))
      await this.#value({ ...ref, name }).then(
        (value) => whole.set(name, value),
        () => undefined,
      );
    const picked = Object.values(secrets).flatMap((text) => {
      const reference = parseReference(text);
      const value = whole.get(reference.name);
      if (value === undefined) return [];
      try {
        return [pickValue(reference, value)];
      } catch {
        return [];
      }
    });
    return maskable([...whole.values(), ...picked]);
  }

  async #value(ref: SecretRef): Promise<string> {
    const stored = await this.#store.get(ref);
    if (!stored) throw new SecretUnusableError(`secret '${ref.name}' does not exist in project ${ref.project_id}`);
    return this.#vault().read(ref, stored.location);
  }

  async #shown(stored: StoredSecret): Promise<Secret> {
    return { ...metadata(stored), used_by: (await this.#usage(stored)).get(stored.name) ?? [] };
  }

  /** Which jobs name each secret: read off the project's jobs, so it can never disagree with them. */
  async #usage(ref: ProjectRef): Promise<Map<string, string[]>> {
    const usage = new Map<string, string[]>();
    let cursor: string | undefined;
    do {
      const page = await this.#jobs.list(ref, { tags: [] }, { limit: 100, cursor });
      for (const job of page.items)
        for (const name of referencedNames(job)) usage.set(name, [...(usage.get(name) ?? []), job.id]);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return usage;
  }
}

/** The secrets a job's variables name, each once. */
function namesIn(secrets: Record<string, string>): string[] {
  return [...new Set(Object.values(secrets).map((text) => parseReference(text).name))];
}

function metadata(stored: StoredSecret): Omit<Secret, 'used_by'> {
  const { location: _location, ...shown } = stored;
  return shown;
}
