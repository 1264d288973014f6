import { z } from "zod";

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const retentionDays = z.number().refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
  message: `must be one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
});

/** A retention field's description: whose logs it keeps, and the periods CloudWatch Logs accepts. */
export const retentionDescription = (logs: string): string =>
  `Days CloudWatch Logs keeps ${logs}: one of ${LOG_RETENTION_DAYS.join(", ")}.`;
