// The webhook resource and its request bodies. The signing secret appears only in the replies of create and
// rotate-secret.
import * as z from 'zod';
import { MAX_URL_LENGTH } from '../core/destinations.ts';
import type { Delivery } from '../core/deliveries.ts';
import { EVENT_TYPES } from '../core/events.ts';
import { SUBSCRIBABLE_EVENTS, type Webhook } from '../core/webhooks.ts';
import { JobId, PageQuery, prefixedId, ProjectPath, Timestamp, type Same } from './common.ts';
import { idPattern } from '../core/id-patterns.ts';

export const WebhookId = prefixedId('wh').meta({ example: 'wh_01JD6T0G2M4S8V1X3Z5B7D9F1H' });
export const WebhookPath = ProjectPath.extend({ webhook_id: WebhookId });

const Url = z
  .string()
  .max(MAX_URL_LENGTH, { error: `must be at most ${MAX_URL_LENGTH} characters` })
  .url({ error: 'must be an absolute https URL' })
  .meta({
    description: 'Where deliveries are POSTed: https (local mode also allows http to this machine)',
    example: 'https://hooks.example.com/jobs',
  });
const EventList = z
  .array(z.enum(SUBSCRIBABLE_EVENTS, { error: `must be one of ${SUBSCRIBABLE_EVENTS.join(', ')}` }))
  .min(1, { error: 'must name at least one event' })
  .max(SUBSCRIBABLE_EVENTS.length)
  .refine((events) => new Set(events).size === events.length, { error: 'must name each event once' })
  .meta({
    description: 'The event types delivered to it, each once',
    uniqueItems: true,
    example: ['run.failed', 'schedule.skipped'],
  } as Record<string, unknown>);
const Description = z.string().max(512, { error: 'must be at most 512 characters' }).nullable();

export const WebhookCreateBody = z
  .strictObject({
    url: Url,
    events: EventList,
    job_id: JobId.nullable()
      .optional()
      .meta({ description: "Only this job's events (one of the project's); all of the project's otherwise" }),
    description: Description.optional(),
  })
  .meta({ id: 'WebhookCreate' });

export const WebhookPatchBody = z
  .strictObject({
    url: Url.optional(),
    events: EventList.optional(),
    enabled: z.boolean().optional(),
    description: Description.optional(),
  })
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
    disabled_reason: z
      .string()
      .nullable()
      .meta({ description: 'Why the service disabled it (the receiver answered 410), if it did' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Webhook' });

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().meta({
    description: 'The signing secret (whsec_…); shown once, only here',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).meta({ id: 'WebhookWithSecret' });

export const WEBHOOK_IS_THE_DOMAINS: Same<z.output<typeof WebhookSchema>, Webhook> = true;

export const DeliveryPath = WebhookPath.extend({
  delivery_id: z
    .string()
    .regex(idPattern('dlv'), { error: 'must be dlv_ followed by a 26-character ULID' })
    .meta({ example: 'dlv_01JD6R0G2M4S8V1X3Z5B7D9F1H' }),
});

const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export const DeliveriesQuery = PageQuery.extend({
  status: z
    .enum(DELIVERY_STATUSES, { error: `must be one of ${DELIVERY_STATUSES.join(', ')}` })
    .optional()
    .meta({ description: 'Only deliveries in this status' }),
});

export const DeliverySchema = z
  .strictObject({
    id: z.string(),
    webhook_id: WebhookId,
    event_id: z.string(),
    event_type: z.enum(EVENT_TYPES),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.int().min(0),
    last_status_code: z.int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: Timestamp.nullable().meta({ description: 'When the next attempt is due (pending only)' }),
    created_at: Timestamp,
  })
  .meta({ id: 'Delivery' });

export const DELIVERY_IS_THE_DOMAINS: Same<z.output<typeof DeliverySchema>, Delivery> = true;
