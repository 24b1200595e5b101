// Local mode's settings, read from the environment in one place and checked at start: a wrong value stops the
// start with the variable's name and what it takes (README, "Local settings").
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { Capacity } from '../functions/core/admission.ts';
import { parseRateLimit, type RateLimit } from './rate-limit.ts';
import { RUNNER_CHOICES, type RunnerChoice } from '../functions/adapters/local/engines.ts';

export class SettingError extends Error {
  override name = 'SettingError';
}

export interface LocalSettings {
  port: number;
  /** Absolute. */
  dataDir: string;
  /** The first admin key, when JOBS_ADMIN_KEY sets it (otherwise one is kept in the data dir). */
  adminKey: string | undefined;
  catchUpSeconds: number | undefined;
  metricsRetentionHours: number | undefined;
  /** null: no throttling. */
  rateLimit: RateLimit | null;
  /** Webhooks may deliver to this machine (and over plain http to it); off: public https only, as in AWS. */
  webhooksAllowPrivate: boolean;
  /** What runs a run's attempt: a container engine (auto: the one that answers) or host processes. */
  runner: RunnerChoice;
  /** What this machine offers the tasks running at once (their cpu and memory_mb summed). */
  capacity: Capacity;
}

/** The host's capacity unless set: twice its cores (tasks wait on I/O too) and three quarters of its memory. */
export function defaultCapacity(): Capacity {
  return { cpu: 2 * availableParallelism(), memory_mb: Math.floor((0.75 * totalmem()) / 2 ** 20) };
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(value) || value < min)
    throw new SettingError(`${name} must be a number of at least ${min}, not '${text}'`);
  return value;
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(text)) return true;
  if (['0', 'false', 'off', 'no'].includes(text)) return false;
  throw new SettingError(`${name} must be on or off, not '${text}'`);
}

function wholeNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new SettingError(`${name} must be a whole number from ${min} to ${max}, not '${text}'`);
  return value;
}

function runnerChoice(text: string | undefined): RunnerChoice {
  if (text === undefined || text === '') return 'auto';
  if ((RUNNER_CHOICES as readonly string[]).includes(text)) return text as RunnerChoice;
  throw new SettingError(`JOBS_RUNNER must be one of ${RUNNER_CHOICES.join(', ')}, not '${text}'`);
}

export function readLocalSettings(env: NodeJS.ProcessEnv, defaultDataDir: string): LocalSettings {
  let rateLimit: RateLimit | null;
  try {
    rateLimit = parseRateLimit(env.JOBS_RATE_LIMIT);
  } catch (error) {
    throw new SettingError((error as Error).message);
  }
  return {
    port: wholeNumber(env, 'PORT', 0, 65_535) ?? 8080,
    dataDir: resolve(env.JOBS_DATA_DIR || defaultDataDir),
    adminKey: env.JOBS_ADMIN_KEY?.trim() || undefined,
    catchUpSeconds: wholeNumber(env, 'JOBS_SCHEDULE_CATCH_UP_SECONDS', 0),
    metricsRetentionHours: wholeNumber(env, 'JOBS_METRICS_RETENTION_HOURS', 1),
    rateLimit,
    webhooksAllowPrivate: onOff(env, 'JOBS_WEBHOOKS_ALLOW_PRIVATE', true),
    runner: runnerChoice(env.JOBS_RUNNER),
    capacity: {
      cpu: positiveNumber(env, 'JOBS_CAPACITY_CPU', 0.25) ?? defaultCapacity().cpu,
      memory_mb: wholeNumber(env, 'JOBS_CAPACITY_MEMORY_MB', 128) ?? defaultCapacity().memory_mb,
    },
  };
}
