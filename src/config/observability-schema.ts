import { z } from "zod";

/** Alarm thresholds; each default is what a demanding on-call rota starts from. */
export const thresholdsSchema = z
  .strictObject({
    /** ALB 5xx responses (load balancer and targets) as a percent of requests, over 5 minutes. */
    http5xxPercent: z.number().min(0.1).max(100).default(5),
    /** Target response time, seconds. */
    latencyP95Seconds: z.number().positive().default(1),
    latencyP99Seconds: z.number().positive().default(2.5),
    /** ECS service average CPU and memory, percent. */
    serviceCpuPercent: z.number().min(1).max(100).default(85),
    serviceMemoryPercent: z.number().min(1).max(100).default(85),
    /** ERROR lines in a service's log per 5 minutes. */
    errorLines: z.number().int().min(1).default(10),
    databaseCpuPercent: z.number().min(1).max(100).default(80),
    /** Free storage, GiB, below which the database alarms. */
    databaseFreeStorageGb: z.number().positive().default(5),
    databaseFreeMemoryMb: z.number().positive().default(128),
    databaseConnections: z.number().int().min(1).default(100),
    databaseLatencyMs: z.number().positive().default(20),
    replicaLagSeconds: z.number().positive().default(60),
    /** Burstable classes: CPU credits left below which the database (or the single host) alarms. */
    cpuCreditBalance: z.number().min(0).default(20),
    cacheEngineCpuPercent: z.number().min(1).max(100).default(80),
    cacheMemoryPercent: z.number().min(1).max(100).default(80),
    /** Keys evicted per 5 minutes. */
    cacheEvictions: z.number().int().min(1).default(100),
    cacheConnections: z.number().int().min(1).default(1000),
    cacheReplicationLagSeconds: z.number().positive().default(30),
    /** Single host: average CPU, memory and disk use, percent. */
    hostCpuPercent: z.number().min(1).max(100).default(80),
    hostMemoryPercent: z.number().min(1).max(100).default(90),
    hostDiskPercent: z.number().min(1).max(100).default(80),
  })
  .refine((t) => t.latencyP95Seconds <= t.latencyP99Seconds, {
    path: ["latencyP95Seconds"],
    message: "must not exceed latencyP99Seconds",
  });

export const observabilitySchema = z
  .strictObject({
    /** Subscribed to the alarm topic (each address confirms by mail). */
    alarmEmails: z.array(z.email("must be an e-mail address")).default([]),
    /** HTTPS endpoints (a pager's webhook) subscribed to the alarm topic. */
    alarmHttpsEndpoints: z.array(z.url({ protocol: /^https$/, error: "must be an https:// URL" })).default([]),
    thresholds: thresholdsSchema.default(thresholdsSchema.parse({})),
  })
  .default({ alarmEmails: [], alarmHttpsEndpoints: [], thresholds: thresholdsSchema.parse({}) });

export type Thresholds = z.output<typeof thresholdsSchema>;
export type ObservabilityDefinition = z.output<typeof observabilitySchema>;
