// The rules of a job's alerts, as its spec holds them (which there are, their ranges, how a PATCH merges them), and
// the events they tell. What tells each event, and when, is alerts.ts.

export const ALERT_RULES = [
  'consecutive_failures',
  'missed_schedule_seconds',
  'max_duration_seconds',
  'pause_after_failures',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/** A job's alerts: each one set is on. */
export type JobAlerts = Partial<Record<AlertRule, number>>;

export const ALERT_LIMITS: Record<AlertRule, { min: number; max: number }> = {
  consecutive_failures: { min: 1, max: 100 },
  missed_schedule_seconds: { min: 60, max: 86_400 },
  max_duration_seconds: { min: 1, max: 604_800 },
  pause_after_failures: { min: 1, max: 100 },
};

/** Merges a PATCH of alerts as a JSON merge patch: a rule set to null is turned off, one left out stays. */
export function mergeAlerts(current: JobAlerts, patch: Partial<Record<AlertRule, number | null>>): JobAlerts {
  const merged: Record<string, number> = { ...current };
  for (const [rule, value] of Object.entries(patch)) {
    if (value === null) delete merged[rule];
    else if (value !== undefined) merged[rule] = value;
  }
  return ordered(merged);
}

/** The alerts with their rules in the contract's order (a spec compares equal whatever order it was sent in). */
export function ordered(alerts: JobAlerts): JobAlerts {
  const out: JobAlerts = {};
  for (const rule of ALERT_RULES) if (alerts[rule] !== undefined) out[rule] = alerts[rule];
  return out;
}

/** Whether a settle must know the failures in a row before it (some alert depends on them). */
export function watchesStreak(alerts: JobAlerts): boolean {
  return alerts.consecutive_failures !== undefined || alerts.pause_after_failures !== undefined;
}

export const ALERT_EVENT_TYPES = ['job.failing', 'job.recovered', 'schedule.missed', 'run.slow', 'job.paused'] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

export function isAlertEvent(type: string): type is AlertEventType {
  return (ALERT_EVENT_TYPES as readonly string[]).includes(type);
}

/** What an alert event says besides its run: the rule, its threshold, the value that crossed it, in words. */
export interface AlertDetail {
  rule: AlertRule;
  threshold: number;
  value: number;
  message: string;
}
