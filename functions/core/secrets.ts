// Secrets: named values of a project that a job's containers find in their environment. Only their metadata is
// ever shown; the value lives in the host's vault (Secrets Manager in AWS, encrypted in the table locally) and
// reaches nothing but the container that asks for it, and the masking of that run's output.
import type { FieldError } from './errors.ts';
import { ENV_NAME_PATTERN } from './job-spec.ts';
import type { ProjectRef } from './pages.ts';

export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
export const SECRET_LIMITS = {
  valueBytes: 32 * 1024,
  perProject: 100,
  /** Secrets a job may name (its environment variables and its registry credentials). */
  perJob: 50,
  /** Shorter values are not masked in output: masking "a" would hide every a. */
  maskMinLength: 4,
} as const;

export type SecretSource = 'stored' | 'linked';

/** What is shown of a secret: never its value. */
export interface Secret extends ProjectRef {
  name: string;
  version: number;
  source: SecretSource;
  created_at: string;
  updated_at: string;
  /** The jobs that name it (in `secrets` or `registry_credentials`). */
  used_by: string[];
}

/** A secret as stored: its metadata and where its value is (an ARN in AWS, the local vault's own name locally). */
export interface StoredSecret extends Omit<Secret, 'used_by'> {
  location: string;
}

export type SecretRef = ProjectRef & { name: string };

/** `name` or `name#key` (one key of a JSON object value). */
export interface SecretReference {
  name: string;
  key: string | null;
}

export function parseReference(text: string): SecretReference {
  const at = text.indexOf('#');
  return at < 0 ? { name: text, key: null } : { name: text.slice(0, at), key: text.slice(at + 1) };
}

export const REFERENCE_PATTERN = /^[A-Za-z0-9_.-]{1,128}(#[^#\s]{1,256})?$/;

/** The job field `secrets`: environment names, and references of the right shape that do not repeat `env`. */
export function secretsFieldErrors(secrets: Record<string, string>, env: Record<string, string>): FieldError[] {
  const errors: FieldError[] = [];
  const names = Object.keys(secrets);
  if (names.length > SECRET_LIMITS.perJob)
    errors.push({ field: 'secrets', message: `at most ${SECRET_LIMITS.perJob} secrets, got ${names.length}` });
  for (const [variable, reference] of Object.entries(secrets)) {
    if (!ENV_NAME_PATTERN.test(variable))
      errors.push({
        field: `secrets.${variable}`,
        message: `'${variable}' is not a valid variable name (letters, digits, _; not starting with a digit)`,
      });
    else if (variable in env)
      errors.push({
        field: `secrets.${variable}`,
        message: `${variable} is also set in env; a variable has one source`,
      });
    if (!REFERENCE_PATTERN.test(reference))
      errors.push({
        field: `secrets.${variable}`,
        message: `'${reference}' is not a secret name (letters, digits, _ . -) optionally followed by #key`,
      });
  }
  return errors;
}

/** The secret names a job refers to, each once. */
export function referencedNames(job: {
  secrets: Record<string, string>;
  registry_credentials: string | null;
}): string[] {
  const names = Object.values(job.secrets).map((r) => parseReference(r).name);
  if (job.registry_credentials) names.push(job.registry_credentials);
  return [...new Set(names)].sort();
}

/** Why a reference cannot be given to a container, in words that never contain the value. */
export class SecretUnusableError extends Error {
  override name = 'SecretUnusableError';
}

/** The value a reference picks: the whole value, or one key of it parsed as a JSON object. */
export function pickValue(reference: SecretReference, value: string): string {
  if (reference.key === null) return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new SecretUnusableError(
      `secret '${reference.name}' is not a JSON object, so it has no key '${reference.key}'`,
    );
  }
  const picked =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)[reference.key]
      : undefined;
  if (picked === undefined) throw new SecretUnusableError(`secret '${reference.name}' has no key '${reference.key}'`);
  return typeof picked === 'string' ? picked : JSON.stringify(picked);
}

/** A registry login held in a secret: `{"username", "password"}`. */
export function registryLogin(name: string, value: string): { username: string; password: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = null;
  }
  const login = parsed as { username?: unknown; password?: unknown } | null;
  if (typeof login?.username !== 'string' || typeof login.password !== 'string')
    throw new SecretUnusableError(`registry credentials '${name}' must be a JSON object with username and password`);
  return { username: login.username, password: login.password };
}

/**
 * Each line of each value (output is masked line by line) long enough to mask, the longest first, so a value that
 * contains another is masked whole.
 */
export function maskable(values: Iterable<string>): string[] {
  const parts = new Set<string>();
  for (const value of values)
    for (const part of value.split(/\r?\n/)) if (part.length >= SECRET_LIMITS.maskMinLength) parts.add(part);
  return [...parts].sort((a, b) => b.length - a.length);
}

export const MASK = '***';

/** A line with every secret value in it replaced by ***. */
export function maskLine(line: string, values: readonly string[]): string {
  let masked = line;
  for (const value of values) if (masked.includes(value)) masked = masked.split(value).join(MASK);
  return masked;
}
