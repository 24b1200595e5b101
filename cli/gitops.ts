// Jobs as code: job files read from paths (files or folders of YAML and JSON, each job naming its workspace and
// project or taking the CLI's), checked against the job file's schema with the file and line of each error, and
// compared with what the service has, field by field. A plan says what an apply would do; an apply does it with
// the revision the plan read (If-Match), so a job changed meanwhile stops it instead of being overwritten.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import {
  ApiError,
  changeText,
  specChanges,
  type FieldChange,
  type Job,
  type JobCreate,
  type JobPatch,
  type JobsClient,
} from '../client/jobs-client.ts';
import { buildJobSpec, JobFileSchema } from '../client/job-files.ts';

type JobSpec = ReturnType<typeof buildJobSpec>;

/** The tag apply puts on the jobs it creates: prune deletes only jobs that carry it. */
export const MANAGED_BY = { key: 'managed-by', value: 'jobsctl' } as const;
const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface ProjectRef {
  workspace: string;
  project: string;
}

export interface JobFile extends ProjectRef {
  /** Where it was read: `path:line`. */
  source: string;
  spec: JobCreate;
}

export type PlannedChange =
  | { kind: 'create'; where: ProjectRef; name: string; spec: JobCreate; changes: FieldChange[] }
  | {
      kind: 'update';
      where: ProjectRef;
      name: string;
      job: Job;
      patch: JobPatch;
      changes: FieldChange[];
    }
  | { kind: 'unchanged'; where: ProjectRef; name: string; job: Job }
  | { kind: 'delete'; where: ProjectRef; name: string; job: Job };

/**
 * Every job file under the paths: a folder's files with a YAML or JSON extension (but a `.schema.json`, the job
 * file's schema kept beside them), found at any depth, by name; a file named on its own is read whatever its name.
 */
export function jobFilePaths(paths: string[]): string[] {
  const found: string[] = [];
  const walk = (path: string, named: boolean) => {
    if (path === '-') return void found.push(path);
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch (error) {
      throw fileError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) if (!entry.startsWith('.')) walk(join(path, entry), false);
    } else if (named || (EXTENSIONS.has(extname(path)) && !path.endsWith('.schema.json'))) found.push(path);
  };
  for (const path of paths) walk(path, true);
  return found;
}

function fileError(message: string, field = 'file'): ApiError {
  return new ApiError(0, message, [{ field, message }]);
}

/**
 * The jobs of the files, each checked against the job file's schema: an error names its file, line and field. Two
 * jobs of one name in one project are an error too.
 */
export async function readJobFiles(paths: string[], defaults: Partial<ProjectRef>): Promise<JobFile[]> {
  const { LineCounter, parseAllDocuments } = await import('yaml'); // YAML is a superset of JSON: one parser reads both
  const jobs: JobFile[] = [];
  const problems: string[] = [];
  for (const file of jobFilePaths(paths)) {
    const path = file === '-' ? 'stdin' : file;
    const text = readFileSync(file === '-' ? 0 : file, 'utf8');
    const lines = new LineCounter();
    const documents = parseAllDocuments(text, { lineCounter: lines });
    for (const document of Array.isArray(documents) ? documents : [documents]) {
      const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);
      if (document.errors.length > 0) {
        const error = document.errors[0]!;
        problems.push(`${path}:${lineOf(error.pos[0])}: ${error.message.split('\n')[0]}`);
        continue;
      }
      const value = document.toJS() as unknown;
      if (value === null || value === undefined) continue;
      const items = Array.isArray(value) ? value : [value];
      items.forEach((item, i) => {
        const base: Array<string | number> = Array.isArray(value) ? [i] : [];
        const at = (path_: Array<string | number>) => {
          // The line of the deepest node of the path that exists (an unknown field's key, say).
          for (let depth = path_.length; depth >= 0; depth--) {
            const node = document.getIn([...base, ...path_.slice(0, depth)], true) as { range?: number[] } | undefined;
            if (node?.range) return lineOf(node.range[0]);
          }
          return 1;
        };
        const parsed = JobFileSchema.safeParse(item);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            const keys = (issue as { keys?: string[] }).keys;
            const fieldPath = issue.path.map(String);
            // An unknown field is named itself, on its own line.
            for (const field of keys ?? [null]) {
              const full = field === null ? fieldPath : [...fieldPath, field];
              const message = field === null ? issue.message : 'is not a field of a job';
              problems.push(`${path}:${at(full)}: ${full.join('.') || '(job)'}: ${message}`);
            }
          }
          return;
        }
        const { workspace = defaults.workspace, project = defaults.project, ...spec } = parsed.data;
        if (!workspace || !project) {
          problems.push(
            `${path}:${at([])}: the job names no ${workspace ? 'project' : 'workspace'} (pass --${workspace ? 'project' : 'workspace'} or set it in the file)`,
          );
          return;
        }
        jobs.push({ workspace, project, source: `${path}:${at([])}`, spec: spec as JobCreate });
      });
    }
  }
  const seen = new Map<string, string>();
  for (const job of jobs) {
    const name = `${job.workspace}/${job.project}/${job.spec.name}`;
    const first = seen.get(name);
    if (first) problems.push(`${job.source}: job ${name} is also defined at ${first}`);
    else seen.set(name, job.source);
  }
  // In the order a reader meets them: by file, then by line.
  const lineOrder = (p: string) => {
    const [, file = '', line = '0'] = /^(.*?):(\d+):/.exec(p) ?? [];
    return [file, Number(line)] as const;
  };
  problems.sort((a, b) => {
    const [fa, la] = lineOrder(a);
    const [fb, lb] = lineOrder(b);
    return fa === fb ? la - lb : fa < fb ? -1 : 1;
  });
  if (problems.length > 0)
    throw new ApiError(0, `the job files are not valid:\n${problems.map((p) => `  ${p}`).join('\n')}`, [
      { field: 'file', message: problems[0]! },
    ]);
  if (jobs.length === 0) throw fileError(`no job in ${paths.join(', ')}`);
  return jobs;
}

const projectKey = (where: ProjectRef) => `${where.workspace}/${where.project}`;

/**
 * The spec a file asks for, as the service would make it (every default filled in), with what it keeps of the job
 * it updates: whether it is suspended, unless the file says (a schedule suspended by hand or paused by alerts stays
 * so), and the managed-by tag (apply adds it at create; a file adopts a job by carrying it).
 */
function desiredSpec(file: JobCreate, current: Job | null): JobSpec {
  const tags: Record<string, string> = { ...file.tags };
  const kept = current?.tags[MANAGED_BY.key];
  if (!current) tags[MANAGED_BY.key] = MANAGED_BY.value;
  else if (kept !== undefined && tags[MANAGED_BY.key] === undefined) tags[MANAGED_BY.key] = kept;
  return buildJobSpec({
    ...file,
    tags,
    ...(file.suspended === undefined && current ? { suspended: current.suspended } : {}),
  });
}

/** The PATCH that turns `current` into `desired`: each top-level field that differs, alerts as a merge patch. */
function patchOf(current: JobSpec, desired: JobSpec, changes: FieldChange[]): JobPatch {
  const patch: Record<string, unknown> = {};
  for (const field of new Set(changes.map((c) => c.field.split('.')[0] as keyof JobSpec))) {
    if (field === 'alerts') {
      const off = Object.keys(current.alerts).filter((rule) => !(rule in desired.alerts));
      patch.alerts = { ...desired.alerts, ...Object.fromEntries(off.map((rule) => [rule, null])) };
    } else patch[field] = desired[field];
  }
  return patch as JobPatch;
}

async function allJobs(client: JobsClient): Promise<Job[]> {
  const jobs: Job[] = [];
  for await (const job of client.all((cursor) => client.listJobs({ limit: 100, cursor }))) jobs.push(job);
  return jobs;
}

/** What an apply of the files would do, project by project in the files' order, deletes (with prune) last. */
export async function plan(
  files: JobFile[],
  clientFor: (where: ProjectRef) => JobsClient,
  options: { prune: boolean },
): Promise<PlannedChange[]> {
  const projects = new Map<string, { where: ProjectRef; files: JobFile[]; jobs: Job[] }>();
  for (const file of files) {
    const key = projectKey(file);
    const entry = projects.get(key) ?? {
      where: { workspace: file.workspace, project: file.project },
      files: [],
      jobs: [],
    };
    entry.files.push(file);
    projects.set(key, entry);
  }
  const changes: PlannedChange[] = [];
  const deletes: PlannedChange[] = [];
  // Each project's jobs are read once, all projects at once.
  await Promise.all(
    [...projects.values()].map(async (entry) => {
      entry.jobs = await allJobs(clientFor(entry.where));
    }),
  );
  for (const { where, files: inFiles, jobs } of projects.values()) {
    const byName = new Map(jobs.map((job) => [job.name, job]));
    for (const file of inFiles) {
      const current = byName.get(file.spec.name) ?? null;
      const desired = desiredSpec(file.spec, current);
      if (!current) {
        const created = Object.entries(file.spec).map(([field, after]) => ({ field, before: undefined, after }));
        if (file.spec.tags?.[MANAGED_BY.key] === undefined)
          created.push({ field: `tags.${MANAGED_BY.key}`, before: undefined, after: MANAGED_BY.value });
        changes.push({
          kind: 'create',
          where,
          name: file.spec.name,
          spec: { ...file.spec, tags: desired.tags },
          changes: created,
        });
        continue;
      }
      const diff = specChanges(current, desired);
      changes.push(
        diff.length === 0
          ? { kind: 'unchanged', where, name: current.name, job: current }
          : {
              kind: 'update',
              where,
              name: current.name,
              job: current,
              patch: patchOf(current, desired, diff),
              changes: diff,
            },
      );
    }
    if (!options.prune) continue;
    const named = new Set(inFiles.map((file) => file.spec.name));
    for (const job of jobs)
      if (!named.has(job.name) && job.tags[MANAGED_BY.key] === MANAGED_BY.value)
        deletes.push({ kind: 'delete', where, name: job.name, job });
  }
  return [...changes, ...deletes];
}

/** Whether the plan would change anything. */
export const changesAnything = (planned: PlannedChange[]) => planned.some((c) => c.kind !== 'unchanged');

/** The plan as a reviewer reads it: one heading per job, then its fields; colour (given) only on a terminal. */
export function planLines(
  planned: PlannedChange[],
  color: Record<'+' | '-' | '~', (text: string) => string>,
): string[] {
  const lines: string[] = [];
  const counts = { create: 0, update: 0, delete: 0, unchanged: 0 };
  for (const change of planned) {
    counts[change.kind]++;
    const name = `${projectKey(change.where)}/${change.name}`;
    if (change.kind === 'unchanged') continue;
    if (change.kind === 'delete') {
      lines.push(color['-'](`- job ${name} (not in the files; ${MANAGED_BY.key}: ${MANAGED_BY.value})`));
      continue;
    }
    lines.push(
      change.kind === 'create'
        ? color['+'](`+ job ${name}`)
        : color['~'](`~ job ${name} (revision ${change.job.revision})`),
    );
    for (const field of change.changes) {
      const { sign, values } = changeText(field);
      lines.push(color[sign](`    ${sign} ${field.field}: ${values}`));
    }
  }
  lines.push(
    `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete, ${counts.unchanged} unchanged.`,
  );
  return lines;
}

/**
 * Applies a plan in its order, each update only while its job is still at the revision the plan read. The first
 * failure stops it: what came before stays applied, nothing after it is tried (`done` says how far it got).
 */
export async function applyPlan(
  planned: PlannedChange[],
  clientFor: (where: ProjectRef) => JobsClient,
  done: (change: PlannedChange, job: Job | null) => void,
): Promise<void> {
  for (const change of planned) {
    const client = clientFor(change.where);
    if (change.kind === 'create') done(change, await client.createJob(change.spec));
    else if (change.kind === 'update')
      done(change, await client.patchJob(change.job.id, change.patch, change.job.revision));
    else if (change.kind === 'delete') {
      await client.deleteJob(change.job.id);
      done(change, null);
    }
  }
}

/** A job as a file apply accepts: its workspace and project, and each field of its spec that is not the default. */
export function exportedJob(job: Job): Record<string, unknown> {
  const baseline = buildJobSpec({ name: job.name, image: job.image, command: job.command, tasks: job.tasks });
  const document: Record<string, unknown> = { workspace: job.workspace_id, project: job.project_id };
  const spec = buildJobSpec(job);
  for (const [field, value] of Object.entries(spec)) {
    const kept = ['name', 'image', 'command'].includes(field);
    if (kept || JSON.stringify(value) !== JSON.stringify(baseline[field as keyof JobSpec])) document[field] = value;
  }
  return document;
}
