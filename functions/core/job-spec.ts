// The rules a job's specification obeys, as pure functions: the zod schemas call them at the boundary and the
// job service calls them again on the merged result of a PATCH, so a rule exists once.
import type { FieldError } from './errors.ts';

export type Concurrency = 'allow' | 'forbid' | 'replace';
export const CONCURRENCY_POLICIES = ['allow', 'forbid', 'replace'] as const satisfies readonly Concurrency[];
/**
 * Where a job's containers sit: `public` (a public IP, today's subnets), `private` (the deployment's own subnets
 * and security groups, no public IP), `none` (no network at all).
 */
export type Network = 'public' | 'private' | 'none';
export const NETWORKS = ['public', 'private', 'none'] as const satisfies readonly Network[];

/** What an attempt's exit code decides: retried while `retries` allow, or the run fails at once. */
export type RetryAction = 'retry' | 'fail';
export const RETRY_ACTIONS = ['retry', 'fail'] as const satisfies readonly RetryAction[];
export interface RetryRule {
  exit_codes: number[];
  action: RetryAction;
}

/** When a job runs after another (run_after, see chains.ts): that job's run ended so. */
export const CHAIN_CONDITIONS = ['succeeded', 'failed', 'finished'] as const;
export type ChainCondition = (typeof CHAIN_CONDITIONS)[number];
export const MAX_RUN_AFTER = 20;

export interface RunAfter {
  /** The upstream job of the project, by name or id. */
  job: string;
  on: ChainCondition;
}

/** How much of a job's history is kept: its newest `max_runs` finished runs, none older than `max_age_days`. */
export interface History {
  max_runs: number;
  max_age_days: number;
}

export const NAME_PATTERN = /^[A-Za-z0-9._ -]{1,128}$/;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const TAG_KEY_PATTERN = /^[\p{L}\p{N} _./=+@-]{1,128}$/u;
export const LIMITS = {
  envCount: 100,
  envBytes: 32 * 1024,
  tagCount: 50,
  tagKeyLength: 128,
  tagValueLength: 256,
  timeoutSeconds: { min: 1, max: 604_800 },
  retries: { min: 0, max: 10 },
  retryRules: 10,
  maxRuns: { min: 1, max: 10_000 },
  maxAgeDays: { min: 1, max: 3650 },
  exitCode: { min: 0, max: 255 },
  tasks: { min: 1, max: 1000 },
  priority: { min: 0, max: 100 },
  queueTimeoutSeconds: { min: 1, max: 604_800 },
  scheduleJitterSeconds: { min: 0, max: 3600 },
  commandItems: 4096,
} as const;

export const DEFAULTS = {
  timezone: 'UTC',
  schedule_jitter_seconds: 0,
  suspended: false,
  timeout_seconds: 3600,
  retries: 0,
  concurrency: 'allow' as Concurrency,
  network: 'public' as Network,
  cpu: 0.25,
  memory_mb: 512,
  history: { max_runs: 1000, max_age_days: 90 },
  tasks: 1,
  priority: 50,
  queue_timeout_seconds: 86_400,
} as const;

/** At most this many of a run's tasks run at once unless the job says otherwise. */
export const DEFAULT_MAX_PARALLELISM = 10;

export function defaultParallelism(tasks: number): number {
  return Math.min(tasks, DEFAULT_MAX_PARALLELISM);
}

/**
 * The parallelism that goes with a new task count when none is given: one that was the default for the old count
 * follows the new count; one set on purpose stays, capped by the new count.
 */
export function parallelismFor(tasks: number, previous?: { tasks: number; parallelism: number }): number {
  if (!previous || previous.parallelism === defaultParallelism(previous.tasks)) return defaultParallelism(tasks);
  return Math.min(previous.parallelism, tasks);
}

export function parallelismError(tasks: number, parallelism: number): FieldError | null {
  return parallelism > tasks
    ? { field: 'parallelism', message: `must be at most tasks (${tasks}), got ${parallelism}` }
    : null;
}

/**
 * What a failed attempt's exit code decides, by the first rule naming it; null when none does (then the attempt
 * is retried while `retries` allow, as without rules).
 */
export function retryDecision(rules: readonly RetryRule[], exitCode: number): RetryAction | null {
  return rules.find((rule) => rule.exit_codes.includes(exitCode))?.action ?? null;
}

/**
 * An OCI image reference: [registry[:port]/]repository[:tag][@digest], as the distribution reference grammar
 * defines it (lower-case path components, tag up to 128 characters, algorithm:hex digest).
 */
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?|\\[[0-9a-fA-F:]+\\](?::[0-9]+)?';
export const MAX_IMAGE_LENGTH = 512;
export const IMAGE_REFERENCE = new RegExp(
  `^(?:(?:${DOMAIN})/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

export function isImageReference(value: string): boolean {
  return value.length <= MAX_IMAGE_LENGTH && IMAGE_REFERENCE.test(value);
}

/** Fargate's valid task sizes: for each vCPU value, the memory (MiB) it may be paired with. */
const FARGATE_SIZES: ReadonlyArray<{ cpu: number; from: number; to: number; step: number }> = [
  { cpu: 0.25, from: 512, to: 2048, step: 512 },
  { cpu: 0.5, from: 1024, to: 4096, step: 1024 },
  { cpu: 1, from: 2048, to: 8192, step: 1024 },
  { cpu: 2, from: 4096, to: 16384, step: 1024 },
  { cpu: 4, from: 8192, to: 30720, step: 1024 },
  { cpu: 8, from: 16384, to: 61440, step: 4096 },
  { cpu: 16, from: 32768, to: 122880, step: 8192 },
];
export const FARGATE_CPUS = FARGATE_SIZES.map((size) => size.cpu);

/** The memory a vCPU value given alone gets: the smallest Fargate pairs with it, as Fargate's console picks. */
export function smallestMemoryFor(cpu: number): number | null {
  return FARGATE_SIZES.find((size) => size.cpu === cpu)?.from ?? null;
}

/** The vCPU value a memory size given alone gets: the smallest Fargate pairs with it. */
export function smallestCpuFor(memoryMb: number): number | null {
  return FARGATE_SIZES.find((size) => fargatePairError(size.cpu, memoryMb) === null)?.cpu ?? null;
}

export function fargatePairError(cpu: number, memoryMb: number): FieldError | null {
  const size = FARGATE_SIZES.find((s) => s.cpu === cpu);
  if (!size) {
    return { field: 'cpu', message: `${cpu} is not a Fargate vCPU value; use one of ${FARGATE_CPUS.join(', ')}` };
  }
  const fits = memoryMb >= size.from && memoryMb <= size.to && (memoryMb - size.from) % size.step === 0;
  if (fits && !(cpu === 0.25 && memoryMb === 1536)) return null;
  const choices = cpu === 0.25 ? '512, 1024 or 2048' : `${size.from}-${size.to} in steps of ${size.step}`;
  return { field: 'memory_mb', message: `${memoryMb} is not valid with cpu ${cpu}; use ${choices}` };
}

/** A command given as one string runs through a shell, as a Dockerfile's shell form does. */
export function normalizeCommand(command: string | string[]): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
}

export function envErrors(env: Record<string, string>): FieldError[] {
  const errors: FieldError[] = [];
  const names = Object.keys(env);
  for (const name of names) {
    if (!ENV_NAME_PATTERN.test(name)) {
      errors.push({
        field: `env.${name}`,
        message: `'${name}' is not a valid variable name (letters, digits, _; not starting with a digit)`,
      });
    }
  }
  if (names.length > LIMITS.envCount)
    errors.push({ field: 'env', message: `at most ${LIMITS.envCount} variables, got ${names.length}` });
  const bytes = names.reduce((sum, name) => sum + Buffer.byteLength(name) + Buffer.byteLength(env[name] ?? ''), 0);
  if (bytes > LIMITS.envBytes)
    errors.push({ field: 'env', message: `names and values exceed ${LIMITS.envBytes} bytes (${bytes})` });
  return errors;
}

export function tagErrors(tags: Record<string, string>): FieldError[] {
  const errors: FieldError[] = [];
  const keys = Object.keys(tags);
  if (keys.length > LIMITS.tagCount)
    errors.push({ field: 'tags', message: `at most ${LIMITS.tagCount} tags, got ${keys.length}` });
  for (const key of keys) {
    if (!TAG_KEY_PATTERN.test(key)) {
      errors.push({
        field: `tags.${key}`,
        message: `a tag key is 1-${LIMITS.tagKeyLength} letters, digits, spaces or _ . / = + @ -`,
      });
    } else if ((tags[key] ?? '').length > LIMITS.tagValueLength) {
      errors.push({ field: `tags.${key}`, message: `a tag value is at most ${LIMITS.tagValueLength} characters` });
    }
  }
  return errors;
}
