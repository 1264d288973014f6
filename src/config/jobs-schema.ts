import { z } from "zod";
import { shortName, timeZone } from "./fields";
import { parseScheduleExpression } from "./schedule-expression";

/** Scheduler's MaximumRetryAttempts runs 0-185. */
const MAX_RETRIES = 185;

export const jobSchema = z
  .strictObject({
    name: shortName.describe(
      "Job name, unique in the environment: 1-20 lower-case letters, digits or hyphens. Its schedule is <project>-<environment>-<name> (a systemd timer app-job-<name> on a single host).",
    ),
    schedule: z
      .string()
      .superRefine((text, ctx) => {
        const parsed = parseScheduleExpression(text);
        if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
      })
      .describe(
        "When it runs: an EventBridge Scheduler cron(minutes hours day-of-month month day-of-week year), six fields with ? in exactly one day field, or rate(<n> minute(s)|hour(s)|day(s)), at most once a minute. On a single host, cron's L, W and # are refused (systemd has no equivalent).",
      ),
    timeZone: timeZone
      .default("UTC")
      .describe("The time zone cron(...) reads its hours in (daylight saving time included), e.g. Europe/Berlin."),
    service: z
      .string()
      .describe(
        "The service whose image, task role, secrets, network and log group the job runs with: a one-off ECS task of its task definition, or docker compose run on a single host.",
      ),
    command: z
      .array(z.string().min(1, "must not be empty"))
      .min(1, "give the command and its arguments")
      .describe("The command and its arguments, replacing the service's command for this run (no shell unless it names one)."),
    retries: z
      .number()
      .int()
      .min(0)
      .max(MAX_RETRIES)
      .default(2)
      .describe(
        "ECS: times Scheduler retries a run it could not start (RunTask refused or throttled) within an hour, before the run goes to the job's dead-letter queue; a task that starts and exits non-zero is not retried, it pages. Single host: times systemd restarts a run that exits non-zero.",
      ),
    timeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .optional()
      .describe(
        "Single host only: systemd stops a run after this many minutes and counts it failed. ECS has no time limit for a task it starts, so an ECS environment refuses this: make the command stop itself. Default: no limit.",
      ),
  })
  .describe("A command run on a schedule with one service's image and settings.");

export type JobDefinition = z.output<typeof jobSchema>;

/** Issues of the jobs against the rest of the definition: known services, unique names, what the platform can enforce. */
export function jobIssues(
  env: { readonly jobs: readonly JobDefinition[]; readonly services: readonly { readonly name: string }[]; readonly singleHost?: unknown },
  issue: (path: (string | number)[], message: string) => void,
): void {
  const seen = new Map<string, number>();
  env.jobs.forEach((job, i) => {
    const first = seen.get(job.name);
    if (first !== undefined) issue(["jobs", i, "name"], `"${job.name}" is already the name of jobs[${first}]`);
    seen.set(job.name, i);
    if (!env.services.some((s) => s.name === job.service)) {
      const known = env.services.map((s) => s.name).join(", ") || "none";
      issue(["jobs", i, "service"], `names no service of this environment (services: ${known})`);
    }
    if (!env.singleHost && job.timeoutMinutes !== undefined)
      issue(
        ["jobs", i, "timeoutMinutes"],
        "ECS stops a task only when asked, and Scheduler cannot: remove it, and make the command stop itself",
      );
    const parsed = parseScheduleExpression(job.schedule);
    if (env.singleHost && parsed.ok && parsed.expression.kind === "cron") {
      const { dayOfMonth, dayOfWeek } = parsed.expression;
      if (/[LW#]/.test(dayOfMonth + dayOfWeek))
        issue(["jobs", i, "schedule"], "a single host's systemd timer has no L, W or # (last, weekday, n-th): list the days instead");
    }
  });
}
