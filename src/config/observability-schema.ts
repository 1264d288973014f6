import { z } from "zod";

/** The budget's notifications: actual costs at this share of the limit, and forecast costs past it. */
export const BUDGET_ACTUAL_PERCENT = 80;
export const BUDGET_FORECAST_PERCENT = 100;
/** A budget the definition does not set is the estimate plus this margin. */
export const BUDGET_MARGIN_PERCENT = 25;

export const thresholdsSchema = z
  .strictObject({
    http5xxPercent: z
      .number()
      .min(0.1)
      .max(100)
      .default(5)
      .describe(
        "5xx responses (from the load balancer and the targets) as a percent of requests over 5 minutes, above which the load balancer alarms.",
      ),
    latencyP95Seconds: z
      .number()
      .positive()
      .default(1)
      .describe("Target response time p95, seconds, above which the load balancer alarms; at most latencyP99Seconds."),
    latencyP99Seconds: z
      .number()
      .positive()
      .default(2.5)
      .describe("Target response time p99, seconds, above which the load balancer alarms."),
    serviceCpuPercent: z
      .number()
      .min(1)
      .max(100)
      .default(85)
      .describe("An ECS service's average CPU utilisation, percent, above which it alarms."),
    serviceMemoryPercent: z
      .number()
      .min(1)
      .max(100)
      .default(85)
      .describe("An ECS service's average memory utilisation, percent, above which it alarms."),
    wafBlockedPer5Minutes: z
      .number()
      .int()
      .min(1)
      .default(500)
      .describe("Requests the web ACL blocks in 5 minutes above which it alarms (edge.waf)."),
    errorLines: z.number().int().min(1).default(10).describe("ERROR lines in a service's log per 5 minutes above which it alarms."),
    databaseCpuPercent: z
      .number()
      .min(1)
      .max(100)
      .default(80)
      .describe("A database instance's CPU utilisation, percent, above which it alarms."),
    databaseFreeStorageGb: z.number().positive().default(5).describe("Free storage, GiB, below which a database instance alarms."),
    databaseFreeMemoryMb: z.number().positive().default(128).describe("Freeable memory, MiB, below which a database instance alarms."),
    databaseConnections: z.number().int().min(1).default(100).describe("Connections above which a database instance alarms."),
    databaseLatencyMs: z
      .number()
      .positive()
      .default(20)
      .describe("Read or write latency, milliseconds, above which a database instance alarms."),
    replicaLagSeconds: z.number().positive().default(60).describe("Seconds behind the primary above which a database read replica alarms."),
    cpuCreditBalance: z
      .number()
      .min(0)
      .default(20)
      .describe("CPU credits left below which a burstable database instance (db.t*) or single host (t*) alarms."),
    cacheEngineCpuPercent: z
      .number()
      .min(1)
      .max(100)
      .default(80)
      .describe("A cache node's engine CPU utilisation, percent, above which it alarms."),
    cacheMemoryPercent: z.number().min(1).max(100).default(80).describe("A cache node's memory use, percent, above which it alarms."),
    cacheEvictions: z.number().int().min(1).default(100).describe("Keys evicted from a cache node per 5 minutes above which it alarms."),
    cacheConnections: z.number().int().min(1).default(1000).describe("Connections above which a cache node alarms."),
    cacheReplicationLagSeconds: z
      .number()
      .positive()
      .default(30)
      .describe("Seconds behind the primary above which a cache replica alarms."),
    hostCpuPercent: z.number().min(1).max(100).default(80).describe("Single host: average CPU use, percent, above which the host alarms."),
    hostMemoryPercent: z.number().min(1).max(100).default(90).describe("Single host: memory use, percent, above which the host alarms."),
    hostDiskPercent: z
      .number()
      .min(1)
      .max(100)
      .default(80)
      .describe("Single host: disk use of the root and data volumes, percent, above which the host alarms."),
  })
  .refine((t) => t.latencyP95Seconds <= t.latencyP99Seconds, {
    path: ["latencyP95Seconds"],
    message: "must not exceed latencyP99Seconds",
  });

export const observabilitySchema = z
  .strictObject({
    alarmEmails: z
      .array(z.email("must be an e-mail address"))
      .default([])
      .describe("E-mail addresses subscribed to the alarm topic; each confirms its subscription by mail."),
    alarmHttpsEndpoints: z
      .array(z.url({ protocol: /^https$/, error: "must be an https:// URL" }))
      .default([])
      .describe("https:// URLs subscribed to the alarm topic, such as a pager's webhook."),
    thresholds: thresholdsSchema
      .default(thresholdsSchema.parse({}))
      .describe("Alarm thresholds; each default is where a demanding on-call rota would start."),
    monthlyBudgetUsd: z
      .number()
      .positive("must be more than 0 US dollars")
      .max(1_000_000)
      .optional()
      .describe(
        `The environment's monthly AWS Budgets cost budget, US dollars: the alarm topic hears when the month's costs reach ${BUDGET_ACTUAL_PERCENT} % of it and when they are forecast to pass it. Costs count by the Environment tag, a cost allocation tag to activate once in the billing console. Default: npm run cost's estimate plus ${BUDGET_MARGIN_PERCENT} %, in whole dollars.`,
      ),
  })
  .default({ alarmEmails: [], alarmHttpsEndpoints: [], thresholds: thresholdsSchema.parse({}) });

export type Thresholds = z.output<typeof thresholdsSchema>;
export type ObservabilityDefinition = z.output<typeof observabilitySchema>;
