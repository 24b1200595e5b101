// A job as the New and Edit forms hold it while it is typed (every value as its field's text, maps as rows), and
// the ways between it and the API: the create body it sends, the patch of an edit (only what changed, so a field
// left alone never overwrites anyone's change), and the same spec as YAML or JSON text. The service validates:
// a value the form cannot read as a number is sent as it was typed, and the API's 400 names its field.
import { parse, stringify } from 'yaml';
import { ALERT_RULES, DEFAULTS, JOB_SPEC_FIELDS, type Job, type JobPatch } from '../../client/jobs-client.ts';

export type Row = { key: string; value: string };
export type AlertRule = (typeof ALERT_RULES)[number];

export interface Draft {
  name: string;
  image: string;
  /** shell: the command is one script run by /bin/sh -c; exec: one argument a line. */
  commandMode: 'shell' | 'exec';
  command: string;
  env: Row[];
  secrets: Row[];
  registry_credentials: string;
  task_role: string;
  network: string;
  schedule: string;
  timezone: string;
  schedule_jitter_seconds: string;
  suspended: boolean;
  tags: Row[];
  timeout_seconds: string;
  retries: string;
  retry_rules: Array<{ exit_codes: string; action: string }>;
  concurrency: string;
  priority: string;
  queue_timeout_seconds: string;
  cpu: string;
  memory_mb: string;
  history_max_runs: string;
  history_max_age_days: string;
  tasks: string;
  parallelism: string;
  alerts: Record<AlertRule, string>;
  run_after: Array<{ job: string; on: string }>;
}

/** A spec as the API takes it; loosely typed, since text typed in the YAML tab may hold anything. */
export type SpecObject = Record<string, unknown>;

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
const rows = (record: unknown): Row[] =>
  Object.entries((record ?? {}) as Record<string, unknown>).map(([key, value]) => ({ key, value: text(value) }));
const isShell = (command: unknown): command is [string, string, string] =>
  Array.isArray(command) && command.length === 3 && command[0] === '/bin/sh' && command[1] === '-c';

/** The form's text for a spec (a job's, or one read from YAML); a field the spec lacks is left empty. */
export function draftOf(spec: SpecObject): Draft {
  const command = spec.command;
  const history = (spec.history ?? {}) as Record<string, unknown>;
  const alerts = (spec.alerts ?? {}) as Record<string, unknown>;
  return {
    name: text(spec.name),
    image: text(spec.image),
    commandMode: Array.isArray(command) && !isShell(command) ? 'exec' : 'shell',
    command:
      typeof command === 'string' ? command : isShell(command) ? command[2] : ((command as string[]) ?? []).join('\n'),
    env: rows(spec.env),
    secrets: rows(spec.secrets),
    registry_credentials: text(spec.registry_credentials),
    task_role: text(spec.task_role),
    network: text(spec.network),
    schedule: text(spec.schedule),
    timezone: text(spec.timezone),
    schedule_jitter_seconds: text(spec.schedule_jitter_seconds),
    suspended: spec.suspended === true,
    tags: rows(spec.tags),
    timeout_seconds: text(spec.timeout_seconds),
    retries: text(spec.retries),
    retry_rules: ((spec.retry_rules ?? []) as Array<{ exit_codes?: unknown; action?: unknown }>).map((rule) => ({
      exit_codes: Array.isArray(rule.exit_codes) ? rule.exit_codes.join(', ') : text(rule.exit_codes),
      action: text(rule.action),
    })),
    concurrency: text(spec.concurrency),
    priority: text(spec.priority),
    queue_timeout_seconds: text(spec.queue_timeout_seconds),
    cpu: text(spec.cpu),
    memory_mb: text(spec.memory_mb),
    history_max_runs: text(history.max_runs),
    history_max_age_days: text(history.max_age_days),
    tasks: text(spec.tasks),
    parallelism: text(spec.parallelism),
    alerts: Object.fromEntries(ALERT_RULES.map((rule) => [rule, text(alerts[rule])])) as Record<AlertRule, string>,
    run_after: ((spec.run_after ?? []) as Array<{ job?: unknown; on?: unknown }>).map((edge) => ({
      job: text(edge.job),
      on: text(edge.on),
    })),
  };
}

/** A new job's form: its name and image to fill in, the rest left to the service's defaults. */
export function emptyDraft(): Draft {
  return { ...draftOf({}), commandMode: 'shell', timezone: DEFAULTS.timezone };
}

/** A number field's value: left out when empty, a number when it reads as one, else the text (the API names it). */
function number(value: string): number | string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

const record = (list: Row[]) =>
  Object.fromEntries(list.filter((row) => row.key.trim() !== '').map((row) => [row.key.trim(), row.value]));

/** The spec the form says: fields left empty are left out (their default); nothing is checked here. */
export function specOfDraft(draft: Draft): SpecObject {
  const spec: SpecObject = {
    name: draft.name.trim(),
    image: draft.image.trim(),
    command:
      draft.commandMode === 'shell'
        ? draft.command
        : draft.command
            .split('\n')
            .map((arg) => arg.trim())
            .filter(Boolean),
    env: record(draft.env),
    secrets: record(draft.secrets),
    registry_credentials: draft.registry_credentials.trim() || undefined,
    task_role: draft.task_role.trim() || undefined,
    network: draft.network || undefined,
    schedule: draft.schedule.trim() || undefined,
    timezone: draft.timezone.trim() || undefined,
    schedule_jitter_seconds: number(draft.schedule_jitter_seconds),
    suspended: draft.suspended || undefined,
    tags: record(draft.tags),
    timeout_seconds: number(draft.timeout_seconds),
    retries: number(draft.retries),
    retry_rules: draft.retry_rules.map((rule) => ({
      exit_codes: rule.exit_codes
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((code) => number(code)),
      action: rule.action,
    })),
    concurrency: draft.concurrency || undefined,
    priority: number(draft.priority),
    queue_timeout_seconds: number(draft.queue_timeout_seconds),
    cpu: number(draft.cpu),
    memory_mb: number(draft.memory_mb),
    history:
      draft.history_max_runs.trim() || draft.history_max_age_days.trim()
        ? { max_runs: number(draft.history_max_runs), max_age_days: number(draft.history_max_age_days) }
        : undefined,
    tasks: number(draft.tasks),
    parallelism: number(draft.parallelism),
    alerts: Object.fromEntries(ALERT_RULES.map((rule) => [rule, number(draft.alerts[rule])])),
    run_after: draft.run_after.filter((edge) => edge.job.trim() !== '').map((edge) => ({ job: edge.job, on: edge.on })),
  };
  return compact(spec);
}

/** Without what says nothing: undefined values, and empty maps and lists (their default is empty too). */
function compact(value: SpecObject): SpecObject {
  const out: SpecObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const inner = compact(item as SpecObject);
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else if (!(Array.isArray(item) && item.length === 0)) out[key] = item;
  }
  return out;
}

/** A job's spec, in the spec's own field order: what the Edit form starts from and what YAML shows. */
export function specOfJob(job: Job): SpecObject {
  return Object.fromEntries(JOB_SPEC_FIELDS.map((field) => [field, job[field]]));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const isEmpty = (value: unknown) =>
  value === undefined ||
  value === null ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && Object.keys(value as object).length === 0);

/**
 * The PATCH of an edit: each field whose value the edit changed from the job it started from, and null for a field
 * the edit left out that the job had set (it goes back to its default). Alerts merge on the service, so a rule
 * taken away is sent as null.
 */
export function patchOf(base: Job, spec: SpecObject): JobPatch {
  const patch: Record<string, unknown> = {};
  for (const field of JOB_SPEC_FIELDS) {
    const before = base[field] as unknown;
    const after = spec[field];
    if (field === 'alerts') {
      const rules: Record<string, unknown> = {};
      const was = before as Record<string, number>;
      const now = (after ?? {}) as Record<string, unknown>;
      for (const rule of new Set([...Object.keys(was), ...Object.keys(now)]))
        if (!same(was[rule], now[rule])) rules[rule] = now[rule] ?? null;
      if (Object.keys(rules).length > 0) patch.alerts = rules;
      continue;
    }
    if (after === undefined) {
      if (!isEmpty(before) && !(field === 'suspended' && before === false)) patch[field] = null;
    } else if (!same(normalized(field, before), normalized(field, after))) patch[field] = after;
  }
  return patch as JobPatch;
}

/** A value as the service keeps it, for comparison: a command string runs as /bin/sh -c. */
function normalized(field: string, value: unknown): unknown {
  return field === 'command' && typeof value === 'string' ? ['/bin/sh', '-c', value] : value;
}

/**
 * An edit carried over onto the job as it is now: the fields this edit changed from the job it began with take
 * its values; every other field is the current job's, so a change made meanwhile is kept.
 */
export function rebase(base: Job, current: Job, spec: SpecObject): SpecObject {
  const result = specOfJob(current);
  for (const [field, value] of Object.entries(patchOf(base, spec) as Record<string, unknown>)) {
    if (field === 'alerts') result.alerts = spec.alerts ?? {};
    else if (value === null) delete result[field];
    else result[field] = value;
  }
  return compact(result);
}

export type TextFormat = 'yaml' | 'json';

export function specText(spec: SpecObject, format: TextFormat): string {
  return format === 'json' ? `${JSON.stringify(spec, null, 2)}\n` : stringify(spec);
}

/** A spec from the text tab; an error says where the text cannot be read. */
export function parseSpecText(source: string, format: TextFormat): SpecObject {
  const value: unknown = format === 'json' ? JSON.parse(source) : parse(source);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`The ${format.toUpperCase()} must be a map of the job's fields`);
  return value as SpecObject;
}
