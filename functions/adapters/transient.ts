// Whether an AWS SDK failure means "not now": throttled, the service failing, or no answer at all (refused,
// reset, timed out). The caller should retry later, so each adapter turns such a failure into UnavailableError
// (503 with Retry-After) and lets any other through.
import { UnavailableError } from '../core/errors.ts';

const TRANSIENT_NAME =
  /Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded|ServiceQuota|ServiceUnavailable|InternalServer|ServerException|TimeoutError/;

export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return TRANSIENT_NAME.test(error.name) || status === undefined || status >= 500;
}

/** The error to throw: UnavailableError naming the service when the failure is transient, else the error itself. */
export function unavailableIfTransient(service: string, error: unknown): unknown {
  return isTransient(error) ? new UnavailableError(service, { cause: error }) : error;
}
