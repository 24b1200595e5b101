// Reads the request body: at most 256 KiB, JSON only, parsed without prototype pollution. Malformed JSON is a
// 400 that says where it broke (middy's own parser answers 422 and rejects optional bodies; our contract differs).
import type { MiddlewareObj } from '@middy/core';
import { jsonParseProtectProto } from '@middy/util';
import { ValidationError } from '../../core/errors.ts';
import { HttpError } from '../http-errors.ts';
import type { ApiEvent } from './resolve-route.ts';

export const MAX_BODY_BYTES = 256 * 1024;
/** No request of the API nests deeper than a few levels; a deeper body is refused before it is parsed. */
export const MAX_BODY_DEPTH = 32;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

export function jsonBody(options: { maxBytes?: number } = {}): MiddlewareObj<ApiEvent> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  return {
    before(request) {
      const event = request.event;
      const { route } = event.api;
      if (!route.body) return; // routes without a body ignore one, as GET and DELETE do
      const raw =
        event.body === undefined || event.body === null
          ? ''
          : event.isBase64Encoded
            ? Buffer.from(event.body, 'base64').toString('utf8')
            : event.body;
      if (Buffer.byteLength(raw) > maxBytes)
        throw new HttpError(413, `the request body exceeds ${maxBytes / 1024} KiB`);
      if (raw.trim() === '') {
        if (route.bodyRequired) throw ValidationError.field('body', 'a JSON body is required');
        return;
      }
      const contentType = event.headers?.['content-type'] ?? '';
      if (!JSON_MEDIA_TYPE.test(contentType)) {
        throw new HttpError(
          415,
          `Content-Type must be application/json, not ${contentType === '' ? 'missing' : `'${contentType}'`}`,
        );
      }
      if (nestingDepth(raw, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
        throw ValidationError.field('body', `nests objects or arrays deeper than ${MAX_BODY_DEPTH} levels`);
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

/** How deep a JSON text nests (brackets outside strings), counting no further than one past `limit`. */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}
