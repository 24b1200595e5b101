// Bearer-key authentication and authorization. A key that cannot see the workspace gets 404 (the resource
// does not exist for it), checked before the role so a 403 never confirms that something exists.
import type { MiddlewareObj } from '@middy/core';
import { canSeeWorkspace, hasAccess } from '../../core/keys.ts';
import type { KeyService } from '../../core/key-service.ts';
import { HttpError } from '../http-errors.ts';
import type { ApiEvent } from './resolve-route.ts';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const CHALLENGE = { 'www-authenticate': 'Bearer' };

export function authenticate(keys: KeyService): MiddlewareObj<ApiEvent> {
  return {
    async before(request) {
      const { api, headers, pathParameters } = request.event;
      if (api.route.access === 'public') return;
      const header = headers?.authorization;
      if (!header) throw new HttpError(401, 'missing Authorization: Bearer <key>', { headers: CHALLENGE });
      const secret = BEARER.exec(header)?.[1];
      const principal = secret ? await keys.authenticate(secret) : null;
      if (!principal) throw new HttpError(401, 'invalid or revoked API key', { headers: CHALLENGE });
      api.principal = principal;
      api.log.key_id = principal.key_id;

      const workspace = pathParameters?.workspace_id;
      if (workspace !== undefined && !canSeeWorkspace(principal, workspace)) {
        throw new HttpError(404, `workspace ${workspace} not found`);
      }
      if (!hasAccess(principal, api.route.access)) {
        throw new HttpError(403, `a ${principal.role} key cannot do this: ${api.route.summary}`);
      }
    },
  };
}
