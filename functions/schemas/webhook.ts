// The webhook resource and its request bodies. The signing secret appears only in the replies of create and
// rotate-secret.
import * as z from 'zod';
import { MAX_URL_LENGTH } from '../core/destinations.ts';
import { SUBSCRIBABLE_EVENTS, type Webhook } from '../core/webhooks.ts';
import { JobId, prefixedId, ProjectPath, Timestamp, type Same } from './common.ts';

export const WebhookId = prefixedId('wh').meta({ example: 'wh_01JD6T0G2M4S8V1X3Z5B7D9F1H' });
export const WebhookPath = ProjectPath.extend({ webhook_id: WebhookId });

const Url = z
  .string()
  .max(MAX_URL_LENGTH, { error: `must be at most ${MAX_URL_LENGTH} characters` })
  .url({ error: 'must be an absolute https URL' })
  .meta({ description: 'Where deliveries are POSTed: https (local mode also allows http to this machine)', example: 'https://hooks.example.com/jobs' });
const EventList = z
  .array(z.enum(SUBSCRIBABLE_EVENTS, { error: `must be one of ${SUBSCRIBABLE_EVENTS.join(', ')}` }))
  .min(1, { error: 'must name at least one event' })
  .max(SUBSCRIBABLE_EVENTS.length)
  .meta({ description: 'The event types delivered to it', example: ['run.failed', 'schedule.skipped'] });
const Description = z.string().max(512, { error: 'must be at most 512 characters' }).nullable();

export const WebhookCreateBody = z
  .strictObject({
    url: Url,
    events: EventList,
    job_id: JobId.nullable().optional().meta({ description: "Only this job's events (one of the project's); all of the project's otherwise" }),
    description: Description.optional(),
  })
  .meta({ id: 'WebhookCreate' });

export const WebhookPatchBody = z
  .strictObject({ url: Url.optional(), events: EventList.optional(), enabled: z.boolean().optional(), description: Description.optional() })
  .meta({ id: 'WebhookPatch' });

export const WebhookSchema = z
  .strictObject({
    id: WebhookId,
    workspace_id: z.string(),
    project_id: z.string(),
    url: z.string(),
    events: z.array(z.enum(SUBSCRIBABLE_EVENTS)),
    job_id: JobId.nullable(),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().meta({ description: 'Why the service disabled it (the receiver answered 410), if it did' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Webhook' });

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().meta({ description: 'The signing secret (whsec_…); shown once, only here', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
}).meta({ id: 'WebhookWithSecret' });

export const WEBHOOK_IS_THE_DOMAINS: Same<z.output<typeof WebhookSchema>, Webhook> = true;
