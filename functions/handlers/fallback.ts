// Lambda entry: API Gateway's $default route (404 and 405 as envelopes). It uses nothing (its declaration says
// so), so it composes nothing: no client is loaded at its cold start.
import { fallbackApi } from '../api/fallback.ts';
import { createLogger } from '../logger.ts';

export const handler = fallbackApi({ logger: createLogger() });
