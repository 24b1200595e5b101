// The secret resource: its path, the body that sets it, and what is shown of it (never its value).
import * as z from 'zod';
import type { Secret } from '../core/secrets.ts';
import { SECRET_LIMITS } from '../core/secrets.ts';
import { JobId, ProjectId, ProjectPath, Timestamp, WorkspaceId, type Same } from './common.ts';
import { SecretName } from './job.ts';

export const SecretPath = ProjectPath.extend({ name: SecretName });

export const SecretPutBody = z
  .union(
    [
      z.strictObject({
        value: z
          .string({ error: 'must be a string' })
          .min(1, { error: 'must not be empty' })
          .refine((value) => Buffer.byteLength(value) <= SECRET_LIMITS.valueBytes, {
            error: `must be at most ${SECRET_LIMITS.valueBytes / 1024} KiB`,
          })
          .meta({
            description: `The value (at most ${SECRET_LIMITS.valueBytes / 1024} KiB); write-only: never shown again`,
            maxLength: SECRET_LIMITS.valueBytes,
          } as Record<string, unknown>),
      }),
      z.strictObject({
        arn: z
          .string({ error: 'must be a Secrets Manager ARN' })
          .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, {
            error: 'must be a Secrets Manager ARN',
          })
          .meta({
            description:
              "AWS only: links an existing secret instead of storing a value; allowed when it matches one of the workspace's linked_secret_arns",
          }),
      }),
    ],
    { error: 'must be {"value": "…"} or, in AWS, {"arn": "arn:aws:secretsmanager:…"}' },
  )
  .meta({ id: 'SecretPut' });

export const SecretSchema = z
  .strictObject({
    workspace_id: WorkspaceId,
    project_id: ProjectId,
    name: z.string(),
    version: z.number().int().min(1).meta({ description: 'Goes up by one with each new value' }),
    source: z.enum(['stored', 'linked']).meta({
      description: 'stored: the value was set through this API; linked: an existing AWS secret named by its ARN',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
    used_by: z.array(JobId).meta({ description: 'The jobs that name it (they must change before it can be deleted)' }),
  })
  .meta({ id: 'Secret' });

export const SECRET_IS_THE_DOMAINS: Same<z.output<typeof SecretSchema>, Secret> = true;
