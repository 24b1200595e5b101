// Secret routes (per project): list and read metadata (readers), set and delete (writers). Thin over SecretService;
// the value of a PUT goes to the vault and is never part of a reply.
import type { SecretService } from '../core/secret-service.ts';
import { routes } from './routes.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';

export function secretsApi(deps: HttpDependencies & { secrets: SecretService }): HttpHandler {
  const { secrets } = deps;
  return httpApi(
    'secrets',
    {
      listSecrets: async ({ params }) => Reply.page({ items: await secrets.list(params), next_cursor: null }),
      getSecret: ({ params }) => secrets.get(params),
      putSecret: async ({ params, body, requester }) => {
        const { secret, created } = await secrets.put(params, body, requester);
        return created ? new Reply(secret, { status: 201, message: routes.putSecret.created }) : secret;
      },
      deleteSecret: async ({ params, requester }) => {
        await secrets.delete(params, requester);
        return { name: params.name };
      },
    },
    deps,
  );
}
