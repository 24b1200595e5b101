// The key a test's direct calls of the core make their changes as.
import type { Actor } from '../../functions/core/revisions.ts';

export const TEST_ACTOR: Actor = { key_id: 'key_test', key_name: 'test' };
