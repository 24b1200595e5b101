// Reads the request body: at most 256 KiB, JSON only, parsed without prototype pollution. Malformed JSON is a
// 400 that says where it broke (middy's own parser answers 422 and rejects optional bodies; our contract differs).
import type { MiddlewareObj } from '@middy/core';
import { jsonParseProtectProto } from '@middy/util';
import { ValidationError } from '../../core/errors.ts';
import { HttpError } from '../http-errors.ts';
import type { ApiEvent } from './resolve-route.ts';

export const MAX_BODY_BYTES = 256 * 1024;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

export function jsonBody(options: { maxBytes?: number } = {}): MiddlewareObj<ApiEvent> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  return {
    before(request) {
      const event = request.event;
      const { route } = event.api;
      if (!route.body) return; // routes without a body ignore one, as GET and DELETE do
      const raw = event.body === undefined || event.body === null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      if (Buffer.byteLength(raw) > maxBytes) throw new HttpError(413, `the request body exceeds ${maxBytes / 1024} KiB`);
      if (raw.trim() === '') {
        if (route.bodyRequired) throw ValidationError.field('body', 'a JSON body is required');
        return;
      }
      const contentType = event.headers?.['content-type'] ?? '';
      if (!JSON_MEDIA_TYPE.test(contentType)) {
        throw new HttpError(415, `Content-Type must be application/json, not ${contentType === '' ? 'missing' : `'${contentType}'`}`);
      }
      try {
        event.api.body = jsonParseProtectProto(raw);
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status) throw ValidationError.field('body', 'must not contain __proto__ or constructor.prototype keys');
        throw ValidationError.field('body', `is not valid JSON (${(error as Error).message})`);
      }
    },
  };
}
