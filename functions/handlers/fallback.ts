// Lambda entry: API Gateway's $default route (404 and 405 as envelopes).
import { fallbackApi } from '../api/fallback.ts';
import { createLogger } from '../logger.ts';

export const handler = fallbackApi({ logger: createLogger() });
