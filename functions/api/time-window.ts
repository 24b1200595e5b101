// The time window of a logs or metrics query: `since` (a duration back from now) or `start`, and `end`.
export interface WindowQuery {
  since?: number | undefined;
  start?: Date | undefined;
  end?: Date | undefined;
}

export function timeWindow(query: WindowQuery, now = Date.now()): { start?: Date; end?: Date } {
  const start = query.since !== undefined ? new Date(now - query.since) : query.start;
  return { ...(start ? { start } : {}), ...(query.end ? { end: query.end } : {}) };
}
