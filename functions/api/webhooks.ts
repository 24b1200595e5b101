// Webhook routes (writers, per project): create, list, get, patch, delete, rotate-secret, and their deliveries:
// list, test, redeliver. Thin over WebhookService and DeliveryService.
import type { DeliveryService } from '../core/delivery-service.ts';
import type { WebhookService } from '../core/webhook-service.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';

export function webhooksApi(
  deps: HttpDependencies & { webhooks: WebhookService; deliveries: DeliveryService },
): HttpHandler {
  const { webhooks, deliveries } = deps;
  return httpApi(
    'webhooks',
    {
      listWebhooks: async ({ params, query }) => Reply.page(await webhooks.list(params, query)),
      createWebhook: async ({ params, body, requester }) => {
        const { webhook, secret } = await webhooks.create(params, body, requester);
        return { ...webhook, secret };
      },
      getWebhook: ({ params }) => webhooks.get(params),
      patchWebhook: ({ params, body, requester }) => webhooks.patch(params, body, requester),
      deleteWebhook: async ({ params, requester }) => {
        await webhooks.delete(params, requester);
        return { id: params.webhook_id };
      },
      rotateWebhookSecret: async ({ params, requester }) => {
        const { webhook, secret } = await webhooks.rotateSecret(params, requester);
        return { ...webhook, secret };
      },
      testWebhook: ({ params }) => deliveries.test(params),
      listDeliveries: async ({ params, query }) =>
        Reply.page(await deliveries.list(params, { status: query.status }, query)),
      redeliver: ({ params }) => deliveries.redeliver(params),
    },
    deps,
  );
}
