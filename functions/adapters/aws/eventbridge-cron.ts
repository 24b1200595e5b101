// Standard cron → EventBridge Scheduler's cron(minutes hours day-of-month month day-of-week year).
// EventBridge numbers days of the week 1-7 from Sunday (cron: 0-7, 0 and 7 both Sunday), wants `?` in exactly
// one day field, and cannot say cron's "either day field matches": such a cron becomes two schedules, one per
// day field. A day matching both then fires twice at one time; the scheduled run id makes that one run.
import { parseCron, type CronField, type ParsedCron } from '../../core/cron.ts';

/** A field as EventBridge writes it: ranges for runs of values, `*` for everything. */
function field(values: CronField, offset = 0): string {
  if (values === null) return '*';
  const shifted = values.map((v) => v + offset);
  const parts: string[] = [];
  for (let i = 0; i < shifted.length; i++) {
    let end = i;
    while (end + 1 < shifted.length && shifted[end + 1] === (shifted[end] as number) + 1) end++;
    parts.push(
      end > i + 1 ? `${shifted[i]}-${shifted[end]}` : end === i + 1 ? `${shifted[i]},${shifted[end]}` : `${shifted[i]}`,
    );
    i = end;
  }
  return parts.join(',');
}

function expression(cron: ParsedCron, days: { dayOfMonth: string; dayOfWeek: string }): string {
  return `cron(${field(cron.minute)} ${field(cron.hour)} ${days.dayOfMonth} ${field(cron.month)} ${days.dayOfWeek} *)`;
}

/** The EventBridge expressions that together fire exactly when the cron does (one, or two for day OR day). */
export function eventBridgeExpressions(cron: string | ParsedCron): string[] {
  const parsed = typeof cron === 'string' ? parseCron(cron) : cron;
  // EventBridge counts Sunday as 1.
  const dayOfWeek = field(parsed.dayOfWeek, 1);
  if (parsed.dayOfMonth !== null && parsed.dayOfWeek !== null) {
    return [
      expression(parsed, { dayOfMonth: field(parsed.dayOfMonth), dayOfWeek: '?' }),
      expression(parsed, { dayOfMonth: '?', dayOfWeek }),
    ];
  }
  if (parsed.dayOfWeek !== null) return [expression(parsed, { dayOfMonth: '?', dayOfWeek })];
  return [expression(parsed, { dayOfMonth: field(parsed.dayOfMonth), dayOfWeek: '?' })];
}
