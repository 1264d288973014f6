/**
 * A monthly estimate of one synthesized stack: what it runs around the clock, or for the hours
 * its RunningHours tag says (office hours), priced from the table below. Usage-priced items (data transfer, NAT and load-balancer traffic beyond one LCU,
 * log ingestion, S3 and ECR storage, requests, CodeBuild build minutes and CodePipeline V2 action
 * minutes) depend on traffic and releases and are left out.
 */
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { RUNNING_HOURS_TAG, runningShare } from "../config/office-hours";
import { DefaultTokenResolver, StringConcat, TerraformResource, Tokenization, type TerraformStack } from "cdktf";

/** The resources of a synthesized stack, as its Terraform JSON holds them. */
export interface StackJson {
  readonly resource: Readonly<Record<string, Readonly<Record<string, Record<string, unknown>>>>>;
}

/**
 * us-east-1, on-demand, Linux, USD. Source: the AWS pricing pages of each service (EC2, Fargate,
 * RDS for PostgreSQL, ElastiCache, ELB, VPC, EBS, CloudWatch, Secrets Manager, KMS) as of
 * 2025-06; this machine has no internet, so they were not re-read on the day of the estimate.
 */
export const PRICES = {
  hoursPerMonth: 730,
  natGatewayHour: 0.045,
  /** Per endpoint and AZ; data processed ($0.01/GB) is usage. */
  interfaceEndpointHour: 0.01,
  publicIpv4Hour: 0.005,
  albHour: 0.0225,
  /** One load-balancer capacity unit, all day: a quiet product's floor. */
  albLcuHour: 0.008,
  fargateVcpuHour: 0.04048,
  fargateGbHour: 0.004445,
  /** Fargate on Graviton (ARM64). */
  fargateArmVcpuHour: 0.03238,
  fargateArmGbHour: 0.00356,
  /** Fargate Spot's price moves with spare capacity (AWS: up to 70 % off); estimated at 30 % of on-demand. */
  fargateSpotShare: 0.3,
  /** A metric filter's metric is a custom metric once it publishes. */
  customMetricMonth: 0.3,
  rdsGp3GbMonth: 0.115,
  ebsGp3GbMonth: 0.08,
  snapshotGbMonth: 0.05,
  alarmMetricMonth: 0.1,
  compositeAlarmMonth: 0.5,
  dashboardMonth: 3,
  secretMonth: 0.4,
  /** After an account's first two, which the estimate does not assume are left. */
  budgetDay: 0.02,
  kmsKeyMonth: 1,
  /** A web ACL, and each rule in it (a managed rule group is one); requests ($0.60 a million) are usage. */
  wafWebAclMonth: 5,
  wafRuleMonth: 1,
  ec2Hour: {
    "t3.micro": 0.0104,
    "t3.small": 0.0208,
    "t3.medium": 0.0416,
    "t3.large": 0.0832,
    "t3a.micro": 0.0094,
    "t3a.small": 0.0188,
    "t3a.medium": 0.0376,
    "t3a.large": 0.0752,
    "t4g.nano": 0.0042,
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
  if (value === undefined) throw new Error(`no price for ${what} ${key}: add it to PRICES in src/cost/estimate.ts`);
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
  // An interface endpoint is charged per AZ it has a network interface in.
  const endpointAzs = all(tf, "aws_vpc_endpoint")
    .filter((e) => e.vpc_endpoint_type === "Interface")
    .reduce((sum, e) => sum + ((e.subnet_ids as unknown[] | undefined)?.length ?? 0), 0);
  push("VPC interface endpoint hours, per AZ", endpointAzs, "endpoint-AZ(s)", endpointAzs * month(PRICES.interfaceEndpointHour));

  const lbs = all(tf, "aws_lb");
  const publicSubnets = all(tf, "aws_subnet").filter((s) => (s.tags as Record<string, string>).Tier === "public").length;
  push("Load balancer hours and 1 LCU", lbs.length, "ALB(s)", lbs.length * month(PRICES.albHour + PRICES.albLcuHour));

  // Every public IPv4 address is charged: Elastic IPs (NAT, the single host) and one per ALB node.
  const addresses = all(tf, "aws_eip").length + lbs.length * publicSubnets;
  push("Public IPv4 addresses", addresses, "address(es)", addresses * month(PRICES.publicIpv4Hour));

  const tasks = byRef(tf, "aws_ecs_task_definition");
  const fargate = new Map<string, { tasks: number; monthly: number }>();
  const addTasks = (label: string, tasks: number, monthly: number) => {
    const sum = fargate.get(label) ?? { tasks: 0, monthly: 0 };
    fargate.set(label, { tasks: sum.tasks + tasks, monthly: sum.monthly + monthly });
  };
  for (const svc of all(tf, "aws_ecs_service")) {
    const task = tasks.get(String(svc.task_definition).replace(/\.arn\}$/, ".id}"));
    if (!task) continue;
    const arm = (task.runtime_platform as { cpu_architecture?: string } | undefined)?.cpu_architecture === "ARM64";
    const hourly =
      (Number(task.cpu) / 1024) * (arm ? PRICES.fargateArmVcpuHour : PRICES.fargateVcpuHour) +
      (Number(task.memory) / 1024) * (arm ? PRICES.fargateArmGbHour : PRICES.fargateGbHour);
    const { onDemand, spot } = spotSplit(Number(svc.desired_count ?? 1), svc.capacity_provider_strategy);
    const share = runningShareOf(svc);
    const on = `${arm ? ", Graviton" : ""}${share < 1 ? ", office hours" : ""}`;
    addTasks(`Fargate tasks at desired count (on-demand${on})`, onDemand, onDemand * month(hourly) * share);
    addTasks(
      `Fargate Spot tasks at desired count (about 30 % of on-demand${on})`,
      spot,
      spot * month(hourly * PRICES.fargateSpotShare) * share,
    );
  }
  for (const [label, { tasks, monthly }] of fargate) push(label, tasks, "task(s)", monthly);

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
    // A stopped instance's storage is still charged.
    const share = runningShareOf(db);
    push(
      `RDS PostgreSQL ${String(db.instance_class)} (${role}${share < 1 ? ", office hours" : ""}), ${storage} GiB gp3`,
      1,
      "instance",
      copies * (month(price(PRICES.rdsPostgresHour, String(db.instance_class), "RDS class")) * share + storage * PRICES.rdsGp3GbMonth),
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
    const share = runningShareOf(instance);
    push(
      `EC2 ${String(instance.instance_type)}${share < 1 ? " (office hours)" : ""}`,
      1,
      "instance",
      month(price(PRICES.ec2Hour, String(instance.instance_type), "instance type")) * share,
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

  const filters = all(tf, "aws_cloudwatch_log_metric_filter").length;
  push("Custom metrics from log metric filters", filters, "metric(s)", filters * PRICES.customMetricMonth);

  const secrets = all(tf, "aws_secretsmanager_secret").length;
  push("Secrets Manager secrets", secrets, "secret(s)", secrets * PRICES.secretMonth);
  const keys = all(tf, "aws_kms_key").length;
  push("KMS keys", keys, "key(s)", keys * PRICES.kmsKeyMonth);
  for (const acl of all(tf, "aws_wafv2_web_acl")) {
    const rules = ((acl.rule as unknown[] | undefined) ?? []).length;
    push(`AWS WAF web ACL and its ${rules} rules`, 1, "web ACL", PRICES.wafWebAclMonth + rules * PRICES.wafRuleMonth);
  }
  const budgets = all(tf, "aws_budgets_budget").length;
  push("AWS Budgets cost budgets", budgets, "budget(s)", budgets * PRICES.budgetDay * (365 / 12));
  return items;
}

/** The share of the month a resource stopped by office hours runs (its RunningHours tag); 1 for any other. */
function runningShareOf(resource: Record<string, unknown>): number {
  return runningShare((resource.tags as Record<string, unknown> | undefined)?.[RUNNING_HOURS_TAG]);
}

/**
 * How a service's tasks split between on-demand and Spot: ECS places the base on the first
 * provider, then the rest by weight.
 */
function spotSplit(count: number, strategy: unknown): { onDemand: number; spot: number } {
  const providers = (strategy as { capacity_provider: string; weight?: number; base?: number }[] | undefined) ?? [];
  const spotWeight = providers.find((p) => p.capacity_provider === "FARGATE_SPOT")?.weight ?? 0;
  if (spotWeight === 0) return { onDemand: count, spot: 0 };
  const base = Math.min(
    count,
    providers.reduce((sum, p) => sum + (p.base ?? 0), 0),
  );
  const totalWeight = providers.reduce((sum, p) => sum + (p.weight ?? 0), 0);
  const spot = Math.round(((count - base) * spotWeight) / totalWeight);
  return { onDemand: count - spot, spot };
}

/**
 * Every resource type the stacks create, and how the estimate treats it: a standing (hourly or
 * monthly) price it includes, or why it has none. A jest test fails on a type in neither list, so
 * a new kind of resource is priced, or said to be free or usage-priced, before it ships.
 */
export const PRICED_TYPES: Readonly<Record<string, string>> = {
  aws_nat_gateway: "hours",
  aws_lb: "hours and one LCU",
  aws_eip: "public IPv4 hours",
  aws_ecs_service: "Fargate vCPU and memory hours at the desired count (on-demand, Spot, x86 or ARM)",
  aws_db_instance: "instance hours and gp3 storage",
  aws_elasticache_replication_group: "node hours",
  aws_instance: "instance hours and the root volume",
  aws_ebs_volume: "gp3 storage and about one full snapshot",
  aws_cloudwatch_metric_alarm: "per metric",
  aws_cloudwatch_composite_alarm: "per alarm",
  aws_cloudwatch_dashboard: "per dashboard",
  aws_cloudwatch_log_metric_filter: "the custom metric it publishes",
  aws_secretsmanager_secret: "per secret",
  aws_kms_key: "per key",
  aws_budgets_budget: "$0.02 a day (an account's first two budgets are free)",
  aws_wafv2_web_acl: "per web ACL and per rule (requests are usage)",
  aws_vpc_endpoint: "interface endpoints by the hour in each AZ (gateway endpoints are free); data processed is usage",
};

export const UNPRICED_TYPES: Readonly<Record<string, string>> = {
  aws_acm_certificate: "free (public certificates)",
  aws_cloudfront_distribution: "usage: requests and data transfer out (no standing charge with SNI certificates)",
  aws_cloudwatch_log_delivery: "usage: vended log ingestion",
  aws_cloudwatch_log_delivery_destination: "free",
  aws_cloudwatch_log_delivery_source: "free",
  aws_acm_certificate_validation: "no resource in AWS",
  aws_appautoscaling_policy: "free",
  aws_appautoscaling_scheduled_action: "free",
  aws_appautoscaling_target: "free",
  aws_cloudwatch_event_rule: "usage: custom events only (AWS service events are free)",
  aws_cloudwatch_event_target: "free",
  aws_cloudwatch_log_group: "usage: ingestion and storage",
  aws_codebuild_project: "usage: build minutes",
  aws_codedeploy_app: "free for ECS",
  aws_codedeploy_deployment_group: "free for ECS",
  aws_codepipeline: "usage: V2 pipelines are priced by action minutes",
  aws_codestarconnections_connection: "free",
  aws_db_parameter_group: "free",
  aws_db_subnet_group: "free",
  aws_default_security_group: "free",
  aws_dlm_lifecycle_policy: "free (its snapshots are priced with the volume)",
  aws_ecs_cluster: "free",
  aws_ecs_cluster_capacity_providers: "free",
  aws_ecs_task_definition: "free (its tasks are priced with the service)",
  aws_elasticache_parameter_group: "free",
  aws_elasticache_subnet_group: "free",
  aws_elasticache_user: "free",
  aws_elasticache_user_group: "free",
  aws_flow_log: "usage: log ingestion",
  aws_iam_instance_profile: "free",
  aws_iam_role: "free",
  aws_iam_role_policy: "free",
  aws_iam_role_policy_attachment: "free",
  aws_internet_gateway: "free (traffic is data transfer)",
  aws_kms_alias: "free",
  aws_lb_listener: "free (priced with the load balancer)",
  aws_lb_listener_rule: "free",
  aws_lb_target_group: "free",
  aws_route: "free",
  aws_route53_record: "usage: queries (the hosted zone is looked up, not created)",
  aws_route_table: "free",
  aws_route_table_association: "free",
  aws_s3_bucket: "usage: storage and requests",
  aws_s3_bucket_lifecycle_configuration: "free",
  aws_s3_bucket_notification: "free (EventBridge's AWS events are free)",
  aws_s3_bucket_ownership_controls: "free",
  aws_s3_bucket_policy: "free",
  aws_s3_bucket_public_access_block: "free",
  aws_s3_bucket_server_side_encryption_configuration: "free",
  aws_s3_bucket_versioning: "free (old versions are storage)",
  aws_scheduler_schedule: "usage: invocations (14 million a month free)",
  aws_scheduler_schedule_group: "free",
  aws_secretsmanager_secret_version: "free (priced with the secret)",
  aws_security_group: "free",
  aws_sns_topic: "usage: publishes and deliveries",
  aws_sns_topic_policy: "free",
  aws_sns_topic_subscription: "usage: deliveries",
  aws_sqs_queue: "usage: requests",
  aws_sqs_queue_policy: "free",
  aws_ssm_document: "free",
  aws_ssm_parameter: "free (standard tier)",
  aws_subnet: "free",
  aws_volume_attachment: "free",
  aws_vpc: "free",
  aws_vpc_security_group_egress_rule: "free",
  aws_vpc_security_group_ingress_rule: "free",
  aws_wafv2_ip_set: "free",
  aws_wafv2_web_acl_association: "free",
  aws_wafv2_web_acl_logging_configuration: "usage: log ingestion",
};

/** What the estimate reads besides the priced types: the subnets' tiers (ALB addresses) and the task sizes. */
const ESTIMATE_INPUTS = new Set([...Object.keys(PRICED_TYPES), "aws_subnet", "aws_ecs_task_definition"]);

/** Types the estimate only counts (an alarm: its metrics), so they need not be resolved, which costs most. */
const COUNTED_TYPES = new Set([
  "aws_cloudwatch_metric_alarm",
  "aws_cloudwatch_composite_alarm",
  "aws_cloudwatch_dashboard",
  "aws_cloudwatch_log_metric_filter",
  "aws_secretsmanager_secret",
  "aws_kms_key",
  "aws_budgets_budget",
]);

/**
 * The resources of a stack being built that the estimate reads, resolved as they will be
 * synthesized (the ones it only counts, as they are): so a stack can price itself (its budget's
 * default) before it is written out.
 */
export function pricedResources(stack: TerraformStack): StackJson {
  const resource: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const node of stack.node.findAll()) {
    if (!TerraformResource.isTerraformResource(node) || !ESTIMATE_INPUTS.has(node.terraformResourceType)) continue;
    const type = node.terraformResourceType;
    if (COUNTED_TYPES.has(type)) {
      const queries = node instanceof CloudwatchMetricAlarm ? node.metricQueryInput : undefined;
      (resource[type] ??= {})[node.friendlyUniqueId] = Array.isArray(queries) ? { metric_query: queries } : {};
      continue;
    }
    const json = Tokenization.resolve(node.toTerraform(), { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) }) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    for (const [resolvedType, byName] of Object.entries(json.resource)) Object.assign((resource[resolvedType] ??= {}), byName);
  }
  return { resource };
}

export function total(items: readonly CostItem[]): number {
  return items.reduce((sum, i) => sum + i.monthly, 0);
}

export const usd = (value: number) => `$${value.toFixed(2)}`;
