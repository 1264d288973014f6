import { z } from "zod";
import { retentionDays, retentionDescription } from "./log-retention";

/**
 * Instance families RDS offers for PostgreSQL 13 and later (older generations such as db.t2 and
 * db.m4 are not offered for current major versions).
 */
// prettier-ignore
export const POSTGRES_INSTANCE_FAMILIES = [
  "t3", "t4g", "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i", "r5", "r5b", "r5d", "r6g", "r6gd", "r6i", "r6id", "r7g", "r7i",
] as const;

/**
 * ElastiCache node families for Redis OSS 7 and Valkey (current generation). r6gd is left out: its
 * nodes tier data to SSD and AWS refuses them without data tiering, which this app does not set.
 */
export const CACHE_NODE_FAMILIES = ["t3", "t4g", "m5", "m6g", "m7g", "r5", "r6g", "r7g", "c7gn"] as const;

/** Engine versions this app builds parameter groups for, per cache engine. */
export const CACHE_ENGINE_VERSIONS = { redis: ["6.2", "7.0", "7.1"], valkey: ["7.2", "8.0"] } as const;
export const CACHE_ENGINES = ["redis", "valkey"] as const;

export const POSTGRES_MAJOR_VERSIONS = [13, 14, 15, 16, 17] as const;
export const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;
// prettier-ignore
export const MAXMEMORY_POLICIES = [
  "volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction",
] as const;
export const PASSWORD_MANAGEMENT = ["writeOnly", "rdsManaged"] as const;
export const CACHE_ACCESS_CONTROL = ["iam", "none"] as const;

/** RDS and ElastiCache identifiers: a letter first, then letters, digits and single hyphens, no hyphen last. */
const AWS_IDENTIFIER = /^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
const identifier = z.string().regex(AWS_IDENTIFIER, "must be lower-case letters, digits and single hyphens, starting with a letter");

/** `hh24:mi-hh24:mi`, UTC. */
const dailyWindow = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'must be a UTC window like "03:00-04:00"');
/** `ddd:hh24:mi-ddd:hh24:mi`, UTC. */
const weeklyWindow = z
  .string()
  .regex(
    /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/,
    'must be a UTC window like "mon:04:00-mon:05:00"',
  );

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** Minutes a `03:00-04:00` or `mon:04:00-mon:05:00` window lasts, across midnight and the week's end. */
export function windowMinutes(window: string): number {
  const [start, end] = window
    .split("-")
    .map((part) => (part.length > 5 ? DAYS.indexOf(part.slice(0, 3)) * 1440 + minutes(part.slice(4)) : minutes(part)));
  const period = window.length > 11 ? 7 * 1440 : 1440;
  return (end - start + period) % period;
}

/** PostgreSQL's reserved key words (its SQL key words appendix) a role or database may not be named. */
// prettier-ignore
const POSTGRES_RESERVED = new Set([
  "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast", "check", "collate", "column",
  "constraint", "create", "current_catalog", "current_date", "current_role", "current_time", "current_timestamp", "current_user", "default",
  "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having",
  "in", "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on", "only",
  "or", "order", "placing", "primary", "references", "returning", "select", "session_user", "some", "symmetric", "system_user", "table",
  "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where", "window", "with", "public",
]);

/**
 * Whether a daily window (`03:00-04:00`) and a weekly one (`mon:04:30-mon:05:30`) overlap or
 * touch on the clock, on any day: AWS refuses backup and maintenance windows that overlap, and a
 * window that ends as the other starts leaves no margin for either to run long.
 */
export function windowsClash(daily: string, weekly: string): boolean {
  const spans = (start: number, end: number): [number, number][] =>
    end > start
      ? [[start, end]]
      : [
          [start, 1440],
          [0, end],
        ];
  const [dailyStart, dailyEnd] = daily.split("-").map(minutes);
  const [weeklyStart, weeklyEnd] = weekly.split("-").map((part) => minutes(part.slice(4)));
  return spans(dailyStart, dailyEnd).some(([a, b]) => spans(weeklyStart, weeklyEnd).some(([c, d]) => a <= d && c <= b));
}

/**
 * `<prefix>.<family>.<size>` whose family is in `families`; `refusal` says who does not offer
 * another family.
 */
function instanceType(prefix: string, kind: string, families: readonly string[], refusal: (family: string) => string) {
  return z.string().superRefine((value, ctx) => {
    const family = new RegExp(`^${prefix}\\.([a-z0-9]+)\\.(micro|small|medium|large|\\d*xlarge)$`).exec(value)?.[1];
    if (!family) ctx.addIssue({ code: "custom", message: `"${value}" is not ${kind} like ${prefix}.t4g.small` });
    else if (!families.includes(family)) ctx.addIssue({ code: "custom", message: `${refusal(family)}; families: ${families.join(", ")}` });
  });
}

/** PostgreSQL identifiers; names starting with rds or pg_ are reserved by RDS and PostgreSQL. */
export const sqlName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, "must be 1-63 lower-case letters, digits or underscores, starting with a letter")
  .refine((name) => !/^(rds|pg_)/.test(name), "names starting with rds or pg_ are reserved")
  .refine((name) => !POSTGRES_RESERVED.has(name), "is a PostgreSQL reserved word")
  .refine((name) => !["template0", "template1", "postgres"].includes(name), "is one of PostgreSQL's own databases");

/** RDS's master user name: 1-16 characters (CreateDBInstance MasterUsername), not reserved. */
const masterUsername = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,15}$/, "must be 1-16 lower-case letters, digits or underscores, starting with a letter (RDS's limit)")
  .refine((name) => !/^(rds|pg_)/.test(name), "names starting with rds or pg_ are reserved")
  .refine((name) => !POSTGRES_RESERVED.has(name), "is a PostgreSQL reserved word");

export const databaseSchema = z
  .strictObject({
    identifier: identifier
      .optional()
      .describe(
        "RDS instance identifier: lower-case letters, digits and single hyphens, starting with a letter; at most 63 characters with the -replica-<n> its replicas append. Default: <project>-<environment>-db.",
      ),
    engineVersion: z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be a PostgreSQL version like "16" or "16.4"')
      .refine(
        (v) => (POSTGRES_MAJOR_VERSIONS as readonly number[]).includes(Number(v.split(".")[0])),
        `the major version must be one of ${POSTGRES_MAJOR_VERSIONS.join(", ")}`,
      )
      .default("16")
      .describe(
        `PostgreSQL version, major ${POSTGRES_MAJOR_VERSIONS.join(", ")}: a major version ("16") lets RDS apply minor upgrades, a full one ("16.4") pins it.`,
      ),
    instanceClass: instanceType(
      "db",
      "an instance class",
      POSTGRES_INSTANCE_FAMILIES,
      (family) => `RDS for PostgreSQL does not offer db.${family}`,
    ).describe(
      `RDS instance class, db.<family>.<size>, like db.t4g.micro; the family must be one of ${POSTGRES_INSTANCE_FAMILIES.join(", ")} and the class offered in the region.`,
    ),
    allocatedStorageGb: z
      .number()
      .int()
      .min(20, "gp3 needs at least 20 GiB")
      .max(65536)
      .default(20)
      .describe("Storage allocated to the instance, GiB of gp3."),
    maxAllocatedStorageGb: z
      .number()
      .int()
      .min(0)
      .max(65536)
      .optional()
      .describe(
        "Ceiling for storage autoscaling, GiB: at least 110 % of allocatedStorageGb, or 0 to turn autoscaling off. Default: 4 × allocatedStorageGb, at most 65536.",
      ),
    multiAz: z
      .boolean()
      .optional()
      .describe("Keep a standby instance in another availability zone. Default: on in production, off otherwise."),
    backupRetentionDays: z
      .number()
      .int()
      .min(0)
      .max(35)
      .optional()
      .describe(
        "Days automated backups are kept; 0 turns them off, which read replicas do not allow. Default: 30 in production, 7 otherwise.",
      ),
    backupWindow: dailyWindow
      .default("03:00-04:00")
      .describe("Daily window for automated backups, hh:mm-hh:mm in UTC, at least 30 minutes long."),
    maintenanceWindow: weeklyWindow
      .default("mon:04:30-mon:05:30")
      .describe(
        "Weekly maintenance window, ddd:hh:mm-ddd:hh:mm in UTC, at least 30 minutes long; it must not overlap or touch the backup window.",
      ),
    readReplicas: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(0)
      .describe(
        "Read replicas of the primary, each encrypted, monitored and logged like it; they need automated backups and passwordManagement writeOnly.",
      ),
    databaseName: sqlName
      .default("app")
      .describe(
        "The database created on the instance: 1-63 lower-case letters, digits or underscores, starting with a letter; not a PostgreSQL reserved word or built-in database, and not starting with rds or pg_.",
      ),
    username: masterUsername
      .default("app")
      .describe(
        "The master user: 1-16 lower-case letters, digits or underscores, starting with a letter; not a PostgreSQL reserved word, and not starting with rds or pg_.",
      ),
    passwordManagement: z
      .enum(PASSWORD_MANAGEMENT, { error: `must be one of: ${PASSWORD_MANAGEMENT.join(", ")}` })
      .default("writeOnly")
      .describe(
        "writeOnly: Terraform generates the master password at apply and writes it, write-only, to RDS and the credentials secret, so it never reaches plan or state. rdsManaged: RDS keeps and rotates it in its own secret, and AWS then refuses read replicas.",
      ),
    passwordVersion: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("With writeOnly: increase it to rotate the master password (an in-place update)."),
    slowQueryMs: z
      .number()
      .int()
      .min(-1)
      .default(1000)
      .describe("log_min_duration_statement: statements slower than this many milliseconds are logged; -1 turns it off."),
    performanceInsights: z.boolean().default(true).describe("Turn on Performance Insights (7 days, encrypted with the environment's key)."),
    monitoringIntervalSeconds: z
      .number()
      .refine((s) => (MONITORING_INTERVALS as readonly number[]).includes(s), `must be one of ${MONITORING_INTERVALS.join(", ")}`)
      .default(60)
      .describe(`Enhanced monitoring interval, seconds: one of ${MONITORING_INTERVALS.join(", ")}; 0 turns it off.`),
    logRetentionDays: retentionDays
      .default(30)
      .describe(retentionDescription("the instances' postgresql and upgrade logs (/aws/rds/instance/<id>/…)")),
  })
  .superRefine((db, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    // RDS wants the autoscaling ceiling at least 10 % above the allocated storage.
    const ceiling = Math.ceil((db.allocatedStorageGb * 11) / 10);
    if (db.maxAllocatedStorageGb && db.maxAllocatedStorageGb < ceiling)
      issue(
        "maxAllocatedStorageGb",
        `must be at least ${ceiling} (allocatedStorageGb + 10 %) for storage autoscaling, or 0 to turn it off`,
      );
    if (db.maxAllocatedStorageGb === undefined && db.allocatedStorageGb > 59578)
      issue(
        "allocatedStorageGb",
        "above 59578 GiB leaves no room for storage autoscaling's 10 % margin under 65536; set maxAllocatedStorageGb to 0 to turn it off",
      );
    if (windowMinutes(db.backupWindow) < 30) issue("backupWindow", "must last at least 30 minutes (RDS)");
    if (windowMinutes(db.maintenanceWindow) < 30) issue("maintenanceWindow", "must last at least 30 minutes (RDS)");
    if (windowsClash(db.backupWindow, db.maintenanceWindow))
      issue("maintenanceWindow", `must not overlap or touch the backup window (${db.backupWindow})`);
    if (db.readReplicas > 0) {
      if (db.backupRetentionDays === 0)
        issue("readReplicas", "a read replica needs automated backups on its primary; set backupRetentionDays to 1 or more");
      if (db.passwordManagement === "rdsManaged")
        issue("readReplicas", "RDS refuses read replicas of a primary whose password it manages; use passwordManagement writeOnly");
    }
  });

export const cacheSchema = z
  .strictObject({
    identifier: identifier
      .optional()
      .describe(
        "Replication group id: lower-case letters, digits and single hyphens, starting with a letter, at most 40 characters. Default: <project>-<environment>-cache.",
      ),
    engine: z
      .enum(CACHE_ENGINES, { error: `must be one of: ${CACHE_ENGINES.join(", ")}` })
      .default("redis")
      .describe("Cache engine: Redis OSS or Valkey."),
    engineVersion: z
      .string()
      .optional()
      .describe(
        `Engine version: ${Object.entries(CACHE_ENGINE_VERSIONS)
          .map(([engine, versions]) => `${engine} ${versions.join(", ")}`)
          .join("; ")}. Default: the newest for the engine.`,
      ),
    nodeType: instanceType(
      "cache",
      "a node type",
      CACHE_NODE_FAMILIES,
      (family) => `ElastiCache does not offer cache.${family} for Redis 7 or Valkey`,
    ).describe(
      `Node type, cache.<family>.<size>, like cache.t4g.micro; the family must be one of ${CACHE_NODE_FAMILIES.join(", ")} and the type offered in the region.`,
    ),
    nodes: z
      .number()
      .int()
      .min(1)
      .max(6)
      .optional()
      .describe("Nodes in the replication group: the primary plus replicas. Default: 2 in production, 1 otherwise."),
    automaticFailover: z
      .boolean()
      .optional()
      .describe("Promote a replica when the primary fails; needs 2 or more nodes. Default: on with 2 or more nodes."),
    multiAz: z
      .boolean()
      .optional()
      .describe("Spread the nodes over availability zones; needs automaticFailover. Default: the same as automaticFailover."),
    transitEncryption: z.boolean().default(true).describe("TLS between clients and the cache; accessControl iam needs it."),
    accessControl: z
      .enum(CACHE_ACCESS_CONTROL, { error: `must be one of: ${CACHE_ACCESS_CONTROL.join(", ")}` })
      .default("iam")
      .describe(
        "iam: an RBAC user group whose application user authenticates with an IAM-signed token, so no secret exists (needs Redis 7 or Valkey, and transitEncryption). none: no authentication, refused in production.",
      ),
    maxmemoryPolicy: z
      .enum(MAXMEMORY_POLICIES, { error: `must be one of: ${MAXMEMORY_POLICIES.join(", ")}` })
      .default("allkeys-lru")
      .describe("The parameter group's maxmemory-policy: which keys are evicted when memory is full."),
    snapshotRetentionDays: z
      .number()
      .int()
      .min(0)
      .max(35)
      .optional()
      .describe("Days daily snapshots are kept; 0 takes none. Default: 5 in production, 0 otherwise."),
    snapshotWindow: dailyWindow.default("03:00-05:00").describe("Daily snapshot window, hh:mm-hh:mm in UTC, at least 60 minutes long."),
    maintenanceWindow: weeklyWindow
      .default("sun:05:30-sun:06:30")
      .describe(
        "Weekly maintenance window, ddd:hh:mm-ddd:hh:mm in UTC, at least 60 minutes long; it must not overlap or touch the snapshot window.",
      ),
    logRetentionDays: retentionDays
      .default(30)
      .describe(retentionDescription("the slow and engine logs (/elasticache/<id>/slow-log and engine-log)")),
  })
  .superRefine((cache, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const versions: readonly string[] = CACHE_ENGINE_VERSIONS[cache.engine];
    if (cache.engineVersion !== undefined && !versions.includes(cache.engineVersion))
      issue("engineVersion", `${cache.engine} versions: ${versions.join(", ")}`);
    if (windowsClash(cache.snapshotWindow, cache.maintenanceWindow))
      issue("maintenanceWindow", `must not overlap or touch the snapshot window (${cache.snapshotWindow})`);
    if (windowMinutes(cache.snapshotWindow) < 60) issue("snapshotWindow", "must last at least 60 minutes (ElastiCache)");
    if (windowMinutes(cache.maintenanceWindow) < 60) issue("maintenanceWindow", "must last at least 60 minutes (ElastiCache)");
    const version = cache.engineVersion ?? versions.at(-1)!;
    if (cache.accessControl === "iam" && cache.engine === "redis" && Number(version.split(".")[0]) < 7)
      issue("accessControl", "IAM authentication needs Redis 7 or later; raise engineVersion or set accessControl none");
    if (cache.accessControl === "iam" && !cache.transitEncryption)
      issue("transitEncryption", "RBAC (accessControl iam) needs transit encryption; turn it on or set accessControl none");
  });

export type DatabaseDefinition = z.output<typeof databaseSchema>;
export type CacheDefinition = z.output<typeof cacheSchema>;
