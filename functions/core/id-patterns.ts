// The shapes of ids and slugs: plain values with no imports, so the schemas, the stores and the API client (in the
// browser too) check against the very same patterns.

/** Crockford base32, 26 characters: a ULID. */
export const ULID_PATTERN = '[0-9A-HJKMNP-TV-Z]{26}';

export type IdPrefix = 'job' | 'run' | 'key' | 'evt' | 'wh' | 'dlv' | 'aud';

/** A prefixed id: the type's prefix, an underscore, a ULID. */
export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_${ULID_PATTERN}$`);
}

/** Workspace and project ids. */
export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
