/**
 * A single host's scheduled jobs: per job a systemd timer (its schedule as an OnCalendar= or a
 * monotonic interval) and a oneshot service that runs the job with `run-job`, which calls
 * `docker compose run` with the service's image, settings and secrets, retries, and reports.
 */
import type { JobDefinition } from "../config/jobs-schema";
import { type CronExpression, parseScheduleExpression, type RateExpression } from "../config/schedule-expression";

/** Where run-job reads each job's service, command and retries. */
export const JOBS_FILE = "/etc/app-host/jobs.json";

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const AWS_WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** A cron field's values, in order, or undefined for every value (`*`, `?`). */
function expand(field: string, min: number, max: number, names: readonly string[] = []): number[] | undefined {
  if (field === "*" || field === "?") return undefined;
  const value = (text: string) => (names.includes(text) ? min + names.indexOf(text) : Number(text));
  const values = new Set<number>();
  for (const item of field.split(",")) {
    const [base, step] = item.split("/");
    const [from, to] = base === "*" ? [String(min), String(max)] : base.split("-");
    const start = value(from);
    const end = to !== undefined ? value(to) : step !== undefined ? max : start;
    for (let v = start; v <= end; v += step !== undefined ? Number(step) : 1) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

const list = (values: number[] | undefined, pad = 0) => (values ? values.map((v) => String(v).padStart(pad, "0")).join(",") : "*");

/**
 * A cron(...) schedule as systemd's OnCalendar=: `[weekdays] year-month-day hour:minute:00 zone`.
 * Every field becomes an explicit list, which both read alike; L, W and # are refused at synth.
 */
export function onCalendar(cron: CronExpression, timeZone: string): string {
  const weekdays = expand(cron.dayOfWeek, 1, 7, AWS_WEEKDAYS);
  const date = `${list(expand(cron.year, 1970, 2199))}-${list(expand(cron.month, 1, 12, MONTHS), 2)}-${list(expand(cron.dayOfMonth, 1, 31), 2)}`;
  const time = `${list(expand(cron.hours, 0, 23), 2)}:${list(expand(cron.minutes, 0, 59), 2)}:00`;
  return [weekdays ? weekdays.map((d) => WEEKDAYS[d - 1]).join(",") : "", date, time, timeZone].filter(Boolean).join(" ");
}

/** A rate(...) schedule as a systemd time span. */
export function timeSpan(rate: RateExpression): string {
  return `${rate.value}${{ minute: "min", hour: "h", day: "d" }[rate.unit]}`;
}

export interface HostJobUnits {
  /** Unit file name → content. */
  readonly units: Readonly<Record<string, string>>;
  /** run-job's settings, by job name. */
  readonly jobs: Readonly<Record<string, { service: string; command: readonly string[]; retries: number }>>;
}

/** The timer and service of each job. `runJob` is the run-job script's path. */
export function renderHostJobs(jobs: readonly JobDefinition[], runJob: string, settingsFile: string): HostJobUnits {
  const units: Record<string, string> = {};
  for (const job of jobs) {
    const parsed = parseScheduleExpression(job.schedule);
    if (!parsed.ok) throw new Error(`job ${job.name}: ${parsed.reason}`);
    const schedule =
      parsed.expression.kind === "cron"
        ? [`OnCalendar=${onCalendar(parsed.expression, job.timeZone)}`]
        : [`OnBootSec=${timeSpan(parsed.expression)}`, `OnUnitActiveSec=${timeSpan(parsed.expression)}`];
    units[`app-job-${job.name}.timer`] = [
      "[Unit]",
      `Description=Schedule of job ${job.name}: ${job.schedule}`,
      "",
      "[Timer]",
      ...schedule,
      // On time, as Scheduler's flexible window off; a run missed while the host was down is skipped, as on ECS.
      "AccuracySec=1s",
      "",
      "[Install]",
      "WantedBy=timers.target",
      "",
    ].join("\n");
    units[`app-job-${job.name}.service`] = [
      "[Unit]",
      `Description=Job ${job.name} (docker compose run ${job.service})`,
      "After=app-host.service",
      "",
      "[Service]",
      "Type=oneshot",
      `EnvironmentFile=${settingsFile}`,
      `ExecStart=${runJob} ${job.name}`,
      // A oneshot service's limit is its start timeout: systemd stops the run (SIGTERM) and counts it failed.
      `TimeoutStartSec=${job.timeoutMinutes ? `${job.timeoutMinutes}min` : "infinity"}`,
      "",
    ].join("\n");
  }
  const settings = Object.fromEntries(jobs.map((job) => [job.name, { service: job.service, command: job.command, retries: job.retries }]));
  return { units, jobs: settings };
}
