// API key routes (admin only): create, list, revoke.
import type { KeyService } from '../core/key-service.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';

export function keysApi(deps: HttpDependencies): HttpHandler {
  const keys: KeyService = deps.keys;
  return httpApi(
    'keys',
    {
      createKey: async ({ body, requester }) => {
        const { key, secret } = await keys.create(
          { name: body.name, role: body.role, workspaces: body.workspaces ?? [] },
          requester,
        );
        return { ...key, secret };
      },
      listKeys: async ({ query }) => Reply.page(await keys.list(query)),
      revokeKey: async ({ params, requester }) => {
        await keys.revoke(params.key_id, requester);
        return { id: params.key_id };
      },
    },
    deps,
  );
}
