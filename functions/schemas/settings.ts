// Workspace and project settings: the PUT bodies (omitted fields take their defaults) and what is shown.
import * as z from 'zod';
import {
  LINKED_ARN_PATTERN,
  ROLE_ARN_PATTERN,
  SETTINGS_LIMITS,
  type ProjectSettings,
  type WorkspaceSettings,
} from '../core/settings.ts';
import { integer, type Same } from './common.ts';

const RunningTasks = integer(SETTINGS_LIMITS.runningTasks.min, SETTINGS_LIMITS.runningTasks.max).meta({
  description: 'Tasks running at once; null: no limit',
});
const CpuLimit = z
  .number({ error: `must be a number of vCPU from ${SETTINGS_LIMITS.cpu.min}` })
  .min(SETTINGS_LIMITS.cpu.min, { error: `must be at least ${SETTINGS_LIMITS.cpu.min}` })
  .max(SETTINGS_LIMITS.cpu.max, { error: `must be at most ${SETTINGS_LIMITS.cpu.max}` })
  .meta({ description: "The sum of the running tasks' cpu; null: no limit" });

const LimitsBody = z
  .strictObject(
    { running_tasks: RunningTasks.nullable().optional(), cpu: CpuLimit.nullable().optional() },
    { error: 'must be an object with running_tasks and/or cpu' },
  )
  .meta({
    id: 'LimitsInput',
    description: 'An omitted or null limit is none. A limit never stops a run already running',
  });

const LimitsSchema = z
  .strictObject({ running_tasks: z.number().int().nullable(), cpu: z.number().nullable() })
  .meta({ id: 'Limits' });

export const RoleArn = z
  .string({ error: 'must be an IAM role ARN' })
  .regex(ROLE_ARN_PATTERN, { error: 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/jobs-tasks/etl' })
  .meta({ example: 'arn:aws:iam::123456789012:role/jobs-tasks/etl' });

const LinkedArn = z.string({ error: 'must be a Secrets Manager ARN pattern' }).regex(LINKED_ARN_PATTERN, {
  error: 'must be a Secrets Manager ARN pattern such as arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-a/*',
});

export const WorkspaceSettingsBody = z
  .strictObject({
    limits: LimitsBody.optional(),
    task_roles: z
      .array(RoleArn, { error: 'must be a list of IAM role ARNs' })
      .max(SETTINGS_LIMITS.taskRoles, { error: `must have at most ${SETTINGS_LIMITS.taskRoles} roles` })
      .optional()
      .meta({
        description:
          "The IAM roles a job of the workspace may name as its task_role (in AWS, under the deployment's role path)",
      }),
    linked_secret_arns: z
      .array(LinkedArn, { error: 'must be a list of Secrets Manager ARN patterns' })
      .max(SETTINGS_LIMITS.linkedSecretArns, {
        error: `must have at most ${SETTINGS_LIMITS.linkedSecretArns} patterns`,
      })
      .optional()
      .meta({ description: 'Existing secrets a project may link by ARN (* stands for any text); AWS only' }),
  })
  .meta({ id: 'WorkspaceSettingsInput' });

export const ProjectSettingsBody = z
  .strictObject({
    limits: LimitsBody.optional(),
    weight: integer(SETTINGS_LIMITS.weight.min, SETTINGS_LIMITS.weight.max)
      .optional()
      .meta({ description: "Its share of a binding workspace limit against the other projects' (default 1)" }),
  })
  .meta({ id: 'ProjectSettingsInput' });

export const WorkspaceSettingsSchema = z
  .strictObject({ limits: LimitsSchema, task_roles: z.array(z.string()), linked_secret_arns: z.array(z.string()) })
  .meta({ id: 'WorkspaceSettings' });

export const ProjectSettingsSchema = z
  .strictObject({ limits: LimitsSchema, weight: z.number().int() })
  .meta({ id: 'ProjectSettings' });

export const WORKSPACE_SETTINGS_ARE_THE_DOMAINS: Same<
  z.output<typeof WorkspaceSettingsSchema>,
  WorkspaceSettings
> = true;
export const PROJECT_SETTINGS_ARE_THE_DOMAINS: Same<z.output<typeof ProjectSettingsSchema>, ProjectSettings> = true;
