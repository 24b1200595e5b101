// Domain errors. They carry meaning, never an HTTP status: the API layer maps each class to a status once
// (functions/api/http-errors.ts), so the core stays free of transport concerns.

export interface FieldError {
  field: string;
  message: string;
}

/** Input that breaks a rule of the contract. `errors` names each offending field. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly errors: FieldError[];
  constructor(errors: FieldError[] | FieldError) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.errors = list;
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError({ field, message });
  }
}

/** The resource does not exist, or the caller may not see it (the two are indistinguishable on purpose). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  readonly resource: string;
  readonly id: string;
  constructor(resource: string, id: string) {
    super(`${resource} ${id} not found`);
    this.resource = resource;
    this.id = id;
  }
}

/** The request conflicts with the current state: a duplicate name, a finished run, `forbid` concurrency. */
export class ConflictError extends Error {
  override name = 'ConflictError';
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** The request was made against a version that is no longer current (If-Match named an older revision). */
export class PreconditionFailedError extends Error {
  override name = 'PreconditionFailedError';
}

/** An idempotency key was reused with a different request body. */
export class IdempotencyMismatchError extends Error {
  override name = 'IdempotencyMismatchError';
  constructor() {
    super('Idempotency-Key was already used with a different request body');
  }
}

/** A backing engine (DynamoDB, the orchestrator, …) cannot be reached right now; the client may retry. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
  readonly engine: string;
  constructor(engine: string, options?: { cause?: unknown }) {
    super(`${engine} is unavailable, retry shortly`, options);
    this.engine = engine;
  }
}

/** A step of a run's execution found the run already settled (cancelled, say): there is nothing more to run. */
export class RunAlreadySettledError extends Error {
  override name = 'RunAlreadySettledError';
}

/** A task was never started: it waited past its queue timeout, or it can never fit under its limits. */
export class NotAdmittedError extends Error {
  override name = 'NotAdmittedError';
}
