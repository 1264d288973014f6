/**
 * A monthly estimate of one synthesized stack: what it runs around the clock, priced from the
 * table below. Usage-priced items (data transfer, NAT and load-balancer traffic beyond one LCU,
 * log ingestion, S3 and ECR storage, requests, CodeBuild build minutes and CodePipeline V2 action
 * minutes) depend on traffic and releases and are left out.
 */
import type { StackJson } from "./terraform";

/**
 * us-east-1, on-demand, Linux, USD. Source: the AWS pricing pages of each service (EC2, Fargate,
 * RDS for PostgreSQL, ElastiCache, ELB, VPC, EBS, CloudWatch, Secrets Manager, KMS) as of
 * 2025-06; this machine has no internet, so they were not re-read on the day of the estimate.
 */
export const PRICES = {
  hoursPerMonth: 730,
  natGatewayHour: 0.045,
  publicIpv4Hour: 0.005,
  albHour: 0.0225,
  /** One load-balancer capacity unit, all day: a quiet product's floor. */
  albLcuHour: 0.008,
  fargateVcpuHour: 0.04048,
  fargateGbHour: 0.004445,
  rdsGp3GbMonth: 0.115,
  ebsGp3GbMonth: 0.08,
  snapshotGbMonth: 0.05,
  alarmMetricMonth: 0.1,
  compositeAlarmMonth: 0.5,
  dashboardMonth: 3,
  secretMonth: 0.4,
  kmsKeyMonth: 1,
  ec2Hour: {
    "t3.micro": 0.0104,
    "t3.small": 0.0208,
    "t3.medium": 0.0416,
    "t3.large": 0.0832,
    "t3a.micro": 0.0094,
    "t3a.small": 0.0188,
    "t3a.medium": 0.0376,
    "t3a.large": 0.0752,
    "t4g.micro": 0.0084,
    "t4g.small": 0.0168,
    "t4g.medium": 0.0336,
    "t4g.large": 0.0672,
    "m7i.large": 0.1008,
    "m7g.large": 0.0816,
  } as Record<string, number>,
  /** Single-AZ; Multi-AZ doubles the instance and its storage. */
  rdsPostgresHour: {
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.t3.micro": 0.018,
    "db.t3.small": 0.036,
    "db.t3.medium": 0.072,
    "db.m7g.large": 0.168,
    "db.r7g.large": 0.239,
  } as Record<string, number>,
  elasticacheHour: {
    "cache.t4g.micro": 0.016,
    "cache.t4g.small": 0.032,
    "cache.t4g.medium": 0.065,
    "cache.t3.micro": 0.017,
    "cache.t3.small": 0.034,
    "cache.m7g.large": 0.158,
    "cache.r7g.large": 0.219,
  } as Record<string, number>,
};

export interface CostItem {
  readonly item: string;
  readonly quantity: string;
  readonly monthly: number;
}

function all(tf: StackJson, type: string): Record<string, unknown>[] {
  return Object.values(tf.resource[type] ?? {});
}

function price(table: Record<string, number>, key: string, what: string): number {
  const value = table[key];
  if (value === undefined) throw new Error(`no price for ${what} ${key}: add it to PRICES in scripts/lib/cost.ts`);
  return value;
}

const month = (hourly: number) => hourly * PRICES.hoursPerMonth;
const byRef = (tf: StackJson, type: string) =>
  new Map(Object.entries(tf.resource[type] ?? {}).map(([name, r]) => [`\${${type}.${name}.id}`, r]));

export function estimate(tf: StackJson): CostItem[] {
  const items: CostItem[] = [];
  const push = (item: string, count: number, unit: string, monthly: number) => {
    if (count > 0) items.push({ item, quantity: `${count} ${unit}`, monthly });
  };

  const nats = all(tf, "aws_nat_gateway").length;
  push("NAT gateway hours", nats, "gateway(s)", nats * month(PRICES.natGatewayHour));

  const lbs = all(tf, "aws_lb");
  const publicSubnets = all(tf, "aws_subnet").filter((s) => (s.tags as Record<string, string>).Tier === "public").length;
  push("Load balancer hours and 1 LCU", lbs.length, "ALB(s)", lbs.length * month(PRICES.albHour + PRICES.albLcuHour));

  // Every public IPv4 address is charged: Elastic IPs (NAT, the single host) and one per ALB node.
  const addresses = all(tf, "aws_eip").length + lbs.length * publicSubnets;
  push("Public IPv4 addresses", addresses, "address(es)", addresses * month(PRICES.publicIpv4Hour));

  const tasks = byRef(tf, "aws_ecs_task_definition");
  let fargate = 0;
  let taskCount = 0;
  for (const svc of all(tf, "aws_ecs_service")) {
    const task = tasks.get(String(svc.task_definition).replace(/\.arn\}$/, ".id}"));
    if (!task) continue;
    const count = Number(svc.desired_count ?? 1);
    taskCount += count;
    fargate += count * month((Number(task.cpu) / 1024) * PRICES.fargateVcpuHour + (Number(task.memory) / 1024) * PRICES.fargateGbHour);
  }
  push("Fargate tasks at desired count (on-demand)", taskCount, "task(s)", fargate);

  const dbs = all(tf, "aws_db_instance");
  const byIdentifierRef = new Map(
    Object.entries(tf.resource.aws_db_instance ?? {}).map(([name, d]) => [`\${aws_db_instance.${name}.identifier}`, d]),
  );
  for (const db of dbs) {
    const copies = db.multi_az ? 2 : 1;
    // A replica's storage follows its primary's.
    const source = db.replicate_source_db ? byIdentifierRef.get(String(db.replicate_source_db)) : db;
    const storage = Number(source?.allocated_storage ?? 0);
    const role = db.replicate_source_db ? "replica" : db.multi_az ? "Multi-AZ primary" : "primary";
    push(
      `RDS PostgreSQL ${String(db.instance_class)} (${role}), ${storage} GiB gp3`,
      1,
      "instance",
      copies * (month(price(PRICES.rdsPostgresHour, String(db.instance_class), "RDS class")) + storage * PRICES.rdsGp3GbMonth),
    );
  }

  for (const cache of all(tf, "aws_elasticache_replication_group")) {
    const nodes = Number(cache.num_cache_clusters ?? 1);
    push(
      `ElastiCache ${String(cache.node_type)}`,
      nodes,
      "node(s)",
      nodes * month(price(PRICES.elasticacheHour, String(cache.node_type), "node type")),
    );
  }

  for (const instance of all(tf, "aws_instance")) {
    push(
      `EC2 ${String(instance.instance_type)}`,
      1,
      "instance",
      month(price(PRICES.ec2Hour, String(instance.instance_type), "instance type")),
    );
    const root = Number((instance.root_block_device as Record<string, unknown> | undefined)?.volume_size ?? 8);
    push("EBS gp3 root volume", root, "GiB", root * PRICES.ebsGp3GbMonth);
  }
  for (const volume of all(tf, "aws_ebs_volume")) {
    const size = Number(volume.size);
    push("EBS gp3 data volume", size, "GiB", size * PRICES.ebsGp3GbMonth);
    // Daily snapshots are incremental: about one full copy for a volume that changes little.
    push("EBS snapshots (about one full copy)", size, "GiB", size * PRICES.snapshotGbMonth);
  }

  const alarmMetrics = all(tf, "aws_cloudwatch_metric_alarm").reduce((sum, alarm) => {
    const queries = (alarm.metric_query as { metric?: unknown }[] | undefined) ?? [];
    return sum + (queries.length ? queries.filter((q) => q.metric).length : 1);
  }, 0);
  push("CloudWatch alarm metrics", alarmMetrics, "metric(s)", alarmMetrics * PRICES.alarmMetricMonth);
  const composites = all(tf, "aws_cloudwatch_composite_alarm").length;
  push("CloudWatch composite alarms", composites, "alarm(s)", composites * PRICES.compositeAlarmMonth);
  const dashboards = all(tf, "aws_cloudwatch_dashboard").length;
  push("CloudWatch dashboards", dashboards, "dashboard(s)", dashboards * PRICES.dashboardMonth);

  const secrets = all(tf, "aws_secretsmanager_secret").length;
  push("Secrets Manager secrets", secrets, "secret(s)", secrets * PRICES.secretMonth);
  const keys = all(tf, "aws_kms_key").length;
  push("KMS keys", keys, "key(s)", keys * PRICES.kmsKeyMonth);
  return items;
}

export function total(items: readonly CostItem[]): number {
  return items.reduce((sum, i) => sum + i.monthly, 0);
}

export const usd = (value: number) => `$${value.toFixed(2)}`;
