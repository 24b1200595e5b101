// The console's response headers, the same from the local host and from CloudFront: a strict
// Content-Security-Policy (scripts and styles from the console's own files only, no inline code, requests to the
// API only), and the usual hardening. `api` is the API's origin where it is not the console's.
export function consoleSecurityHeaders(api: string | null = null): Record<string, string> {
  const connect = ["'self'", ...(api ? [api] : [])].join(' ');
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src ${connect}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  };
}

/** Content-hashed assets are cached for good; the page and its config are asked again every time. */
export const CACHE_FOREVER = 'public, max-age=31536000, immutable';
export const CACHE_NEVER = 'no-cache';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

export function contentType(name: string): string {
  const dot = name.lastIndexOf('.');
  return CONTENT_TYPES[dot < 0 ? '' : name.slice(dot)] ?? 'application/octet-stream';
}
