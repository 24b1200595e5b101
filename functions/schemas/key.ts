// The API key resource.
import * as z from 'zod';
import { ALL_WORKSPACES, ROLES } from '../core/keys.ts';
import { SLUG, Timestamp } from './common.ts';

const WorkspaceGrant = z.union([z.literal(ALL_WORKSPACES), z.string().regex(SLUG)], {
  error: `must be a workspace id or ${ALL_WORKSPACES} for all`,
});

export const KeyCreateBody = z
  .strictObject({
    name: z.string().min(1, { error: 'must not be empty' }).max(128, { error: 'must be at most 128 characters' }),
    role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
    workspaces: z.array(WorkspaceGrant, { error: 'must be an array of workspace ids' }).max(100).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.role !== 'admin' && (body.workspaces?.length ?? 0) === 0) {
      ctx.addIssue({ code: 'custom', path: ['workspaces'], message: `a ${body.role} key needs at least one workspace` });
    }
  })
  .meta({ id: 'KeyCreate' });

export const KeySchema = z
  .object({
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
