// Errors of the HTTP layer itself (no key, wrong role, wrong media type …), and the one mapping from any
// error to a status and an error envelope. A 5xx never carries internals; a 4xx always says what to fix.
import {
  ConflictError,
  IdempotencyMismatchError,
  NotFoundError,
  PreconditionFailedError,
  UnavailableError,
  ValidationError,
  type FieldError,
} from '../core/errors.ts';

export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly options: { errors?: FieldError[]; headers?: Record<string, string> };
  constructor(
    status: number,
    message: string,
    options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.options = options;
  }
}

export interface ErrorReply {
  status: number;
  message: string;
  errors: FieldError[];
  headers: Record<string, string>;
  /** True when the error is ours (a bug or an unexpected failure), to be logged with its stack. */
  unexpected: boolean;
}

export function errorReply(error: unknown): ErrorReply {
  const reply = (
    status: number,
    message: string,
    errors: FieldError[] = [],
    headers: Record<string, string> = {},
  ): ErrorReply => ({
    status,
    message,
    errors,
    headers,
    unexpected: false,
  });
  if (error instanceof HttpError)
    return reply(error.status, error.message, error.options.errors, error.options.headers);
  if (error instanceof ValidationError) return reply(400, error.message, error.errors);
  if (error instanceof NotFoundError) return reply(404, error.message);
  if (error instanceof ConflictError) {
    return reply(409, error.message, error.field ? [{ field: error.field, message: error.message }] : []);
  }
  if (error instanceof PreconditionFailedError)
    return reply(412, error.message, [{ field: 'If-Match', message: error.message }]);
  if (error instanceof IdempotencyMismatchError) {
    return reply(422, error.message, [
      { field: 'Idempotency-Key', message: 'was already used with a different request body' },
    ]);
  }
  if (error instanceof UnavailableError) return reply(503, error.message, [], { 'retry-after': '1' });
  if (error instanceof Error && error.name === 'TimeoutError') {
    return reply(503, 'the request ran out of time; retry shortly', [], { 'retry-after': '1' });
  }
  return { ...reply(500, 'internal error'), unexpected: true };
}
