// The request rate the API admits: per key locally, and as the stage's throttle in AWS (HTTP APIs have no
// per-key throttling), so both hosts admit the same rate.
export const RATE_LIMIT = { perSecond: 500, burst: 1000 } as const;
