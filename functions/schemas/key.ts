// The API key resource.
import * as z from 'zod';
import { ALL_WORKSPACES, ROLES, type ApiKey, type Role } from '../core/keys.ts';
import { SLUG, Timestamp, type Same } from './common.ts';

const WorkspaceGrant = z.union([z.literal(ALL_WORKSPACES), z.string().regex(SLUG)], {
  error: `must be a workspace id or ${ALL_WORKSPACES} for all`,
});

const KeyName = z.string().min(1, { error: 'must not be empty' }).max(128, { error: 'must be at most 128 characters' });
const roleMessage = `must be one of ${ROLES.join(', ')}`;

const needs = (role: Role) => `a ${role} key needs at least one workspace`;
const workspaces = (role: Role) =>
  z
    .array(WorkspaceGrant, {
      error: (issue) => (issue.input === undefined ? needs(role) : 'must be an array of workspace ids'),
    })
    .max(100, { error: 'at most 100 workspaces' });

/** An admin key sees every workspace; a writer or reader key names the workspaces it may touch. */
export const KeyCreateBody = z
  .discriminatedUnion(
    'role',
    [
      z.strictObject({ name: KeyName, role: z.literal('admin'), workspaces: workspaces('admin').optional() }),
      z.strictObject({
        name: KeyName,
        role: z.literal('writer'),
        workspaces: workspaces('writer').min(1, { error: needs('writer') }),
      }),
      z.strictObject({
        name: KeyName,
        role: z.literal('reader'),
        workspaces: workspaces('reader').min(1, { error: needs('reader') }),
      }),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? roleMessage : undefined) },
  )
  .meta({ id: 'KeyCreate', example: { name: 'ci', role: 'writer', workspaces: ['acme'] } });

export const KeySchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    workspaces: z.array(z.string()),
    created_at: Timestamp,
  })
  .meta({ id: 'Key' });

export const CreatedKeySchema = KeySchema.extend({
  secret: z.string().meta({ description: 'The bearer secret; shown once, only here' }),
}).meta({ id: 'CreatedKey' });

export const KEY_IS_THE_DOMAINS: Same<z.output<typeof KeySchema>, ApiKey> = true;
