import { z } from "zod";
import { timeZone } from "./fields";
import type { JobDefinition } from "./jobs-schema";
import { parseScheduleExpression } from "./schedule-expression";

const LAST_MINUTE = 24 * 60 - 1;
const WINDOW = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/;

/**
 * When each step runs, in minutes from the window's opening (negative: before it) or closing:
 * the database and the NAT instance start first (RDS takes minutes to become available), the
 * services follow, and alarms notify again once they are up; at the close, in reverse.
 */
export const OFFICE_HOURS_STEPS = {
  startDataAndEgress: -20,
  scaleUp: -10,
  alarmsOn: 0,
  alarmsOff: 0,
  scaleDown: 5,
  stopDataAndEgress: 15,
} as const;

export const officeHoursSchema = z
  .strictObject({
    weekdays: z
      .string()
      .superRefine((text, ctx) => {
        const problem = windowProblem(text);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .describe(
        'The window, Monday to Friday, as "HH:MM-HH:MM" in timeZone, e.g. "08:00-18:00": at least one hour, opening at 00:20 or later and closing by 23:44 (the database and the NAT instance start 20 minutes before it opens and stop 15 minutes after it closes).',
      ),
    timeZone: timeZone.describe("The time zone the window is read in, daylight saving time included."),
  })
  .describe(
    "Non-production only: outside the window the services scale to zero (Application Auto Scaling scheduled actions), the RDS instance and a NAT instance stop (EventBridge Scheduler), and the alarms notify no one; everything starts before the window opens. The cache and the load balancer keep running (ElastiCache cannot stop). Default: always on.",
  );

export type OfficeHours = z.output<typeof officeHoursSchema>;

/** "HH:MM" of minutes after midnight. */
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

/** Minutes after midnight of the window's opening and closing. */
export function windowMinutes(weekdays: string): { open: number; close: number } {
  const [, oh, om, ch, cm] = WINDOW.exec(weekdays)!.map(Number);
  return { open: oh * 60 + om, close: ch * 60 + cm };
}

function windowProblem(text: string): string | undefined {
  const match = WINDOW.exec(text);
  if (!match) return 'must be "HH:MM-HH:MM", e.g. "08:00-18:00"';
  const [, oh, om, ch, cm] = match.map(Number);
  if (oh > 23 || ch > 23 || om > 59 || cm > 59) return `${text} is not a time of day: hours run 00-23, minutes 00-59`;
  const [open, close] = [oh * 60 + om, ch * 60 + cm];
  if (close - open < 60) return `${text} must open at least an hour before it closes`;
  if (open + OFFICE_HOURS_STEPS.startDataAndEgress < 0)
    return `${text} opens before 00:${String(-OFFICE_HOURS_STEPS.startDataAndEgress)}: the database starts ${-OFFICE_HOURS_STEPS.startDataAndEgress} minutes earlier, on the day before`;
  if (close + OFFICE_HOURS_STEPS.stopDataAndEgress > LAST_MINUTE)
    return `${text} closes after ${hhmm(LAST_MINUTE - OFFICE_HOURS_STEPS.stopDataAndEgress)}: the database stops ${OFFICE_HOURS_STEPS.stopDataAndEgress} minutes later, on the next day`;
  return undefined;
}

/** A weekday cron (Scheduler's and Application Auto Scaling's six fields) at `minutes` after midnight. */
export function weekdayCron(minutes: number): string {
  return `cron(${minutes % 60} ${Math.floor(minutes / 60)} ? * MON-FRI *)`;
}

/**
 * The tag value a resource that office hours stop carries: when it runs, e.g.
 * `MON-FRI 07:40-18:15 Europe/Berlin`, so the console says why it is stopped and the cost estimate
 * prices the hours it runs.
 */
export function runningHoursTag(hours: OfficeHours, kind: "services" | "dataAndEgress"): string {
  const { open, close } = windowMinutes(hours.weekdays);
  const [start, stop] =
    kind === "services"
      ? [open + OFFICE_HOURS_STEPS.scaleUp, close + OFFICE_HOURS_STEPS.scaleDown]
      : [open + OFFICE_HOURS_STEPS.startDataAndEgress, close + OFFICE_HOURS_STEPS.stopDataAndEgress];
  return `MON-FRI ${hhmm(start)}-${hhmm(stop)} ${hours.timeZone}`;
}

/** The tag key of `runningHoursTag`. */
export const RUNNING_HOURS_TAG = "RunningHours";

/** The share of a week a resource tagged with `runningHoursTag` runs; 1 for any other value. */
export function runningShare(tag: unknown): number {
  const match = typeof tag === "string" ? /^MON-FRI (\d\d:\d\d-\d\d:\d\d) /.exec(tag) : null;
  if (!match) return 1;
  const { open, close } = windowMinutes(match[1]);
  return (5 * (close - open)) / (7 * 24 * 60);
}

/**
 * Why a job cannot run under office hours, if it cannot: outside the window its service's
 * database is stopped and its task could not pull its image, so a job must run on weekdays inside
 * the window, in the window's time zone.
 */
export function jobOutsideHours(job: JobDefinition, hours: OfficeHours): string | undefined {
  const parsed = parseScheduleExpression(job.schedule);
  if (!parsed.ok) return undefined;
  const expression = parsed.expression;
  const need = `run it on weekdays (day-of-week MON-FRI) at a fixed time inside officeHours ${hours.weekdays} ${hours.timeZone}`;
  if (expression.kind === "rate") return `rate(...) runs around the clock, also while office hours have the environment stopped: ${need}`;
  if (job.timeZone !== hours.timeZone) return `runs in ${job.timeZone}, officeHours in ${hours.timeZone}: ${need}`;
  const { open, close } = windowMinutes(hours.weekdays);
  const at = Number(expression.hours) * 60 + Number(expression.minutes);
  const fixed = /^\d+$/.test(expression.minutes) && /^\d+$/.test(expression.hours);
  const weekdaysOnly = /^(MON-FRI|(MON|TUE|WED|THU|FRI|[2-6])(,(MON|TUE|WED|THU|FRI|[2-6]))*)$/.test(expression.dayOfWeek);
  if (!fixed || !weekdaysOnly || at < open || at >= close) return `${job.schedule} may run while the environment is stopped: ${need}`;
  return undefined;
}
