import { CloudwatchCompositeAlarm } from "@cdktf/provider-aws/lib/cloudwatch-composite-alarm";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { Thresholds } from "../config/observability-schema";
import type { MonitoringInventory, WatchedHost } from "./monitoring-inventory";

/** CloudFront and CLOUDFRONT-scope WAF report their metrics here, and only here. */
export const GLOBAL_METRICS_REGION = "us-east-1";

export interface MetricRef {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** A statistic (`Average`, `Sum`, `Minimum`, `Maximum`) or a percentile (`p95`). */
  readonly stat: string;
}

/** One alarm, described as data: the alarm pack creates it, the dashboard graphs its metrics. */
export interface AlarmSpec {
  /** Unique in the stack; the alarm is named `<namePrefix>-<id>`. */
  readonly id: string;
  /** The dashboard row it belongs to. */
  readonly component: string;
  /** What it means and what to check first. */
  readonly description: string;
  readonly comparison: "GreaterThanThreshold" | "LessThanThreshold";
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: "breaching" | "notBreaching" | "missing" | "ignore";
  /** EC2 actions (recover, reboot) taken on ALARM besides notifying. @default none */
  readonly ec2Actions?: readonly string[];
  /** Where the metric is reported, when not in the stack's region (CloudFront's are in us-east-1). @default the stack's */
  readonly region?: string;
  /** Either one metric, or an expression over named metrics. */
  readonly metric?: MetricRef;
  readonly expression?: { readonly expression: string; readonly label: string; readonly metrics: Readonly<Record<string, MetricRef>> };
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Namespace of the ERROR-line counts the log metric filters publish. */
function logMetricNamespace(namePrefix: string): string {
  return `${namePrefix}/logs`;
}

/** Any occurrence is worth a page: above zero in one five-minute period; no data is no occurrence. */
const anyInFiveMinutes = {
  comparison: "GreaterThanThreshold",
  threshold: 0,
  periodSeconds: 300,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  treatMissingData: "notBreaching",
} as const;

/** The usual evaluation: two of three five-minute periods. */
const every5min = { periodSeconds: 300, evaluationPeriods: 3, datapointsToAlarm: 2 };

/** Every alarm the inventory calls for, in a stable order. */
function alarmSpecs(inventory: MonitoringInventory, t: Thresholds, namePrefix: string): AlarmSpec[] {
  const specs: AlarmSpec[] = [];

  for (const lb of inventory.of("loadBalancer")) {
    const alb = (name: string, stat: string): MetricRef => ({
      namespace: "AWS/ApplicationELB",
      name,
      dimensions: { LoadBalancer: lb.arnSuffix },
      stat,
    });
    specs.push(
      {
        id: "alb-5xx-rate",
        component: "Load balancer",
        description: `More than ${t.http5xxPercent}% of requests end in a 5xx. Check the target 5xx split and the services' ERROR logs first; ELB 5xx alone means no healthy target answered.`,
        comparison: "GreaterThanThreshold",
        threshold: t.http5xxPercent,
        periodSeconds: 300,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: "notBreaching",
        expression: {
          expression: "IF(requests > 0, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)",
          label: "5xx % of requests",
          metrics: {
            requests: alb("RequestCount", "Sum"),
            elb5xx: alb("HTTPCode_ELB_5XX_Count", "Sum"),
            target5xx: alb("HTTPCode_Target_5XX_Count", "Sum"),
          },
        },
      },
      ...(
        [
          ["p95", t.latencyP95Seconds],
          ["p99", t.latencyP99Seconds],
        ] as const
      ).map(([stat, seconds]): AlarmSpec => ({
        id: `alb-latency-${stat}`,
        component: "Load balancer",
        description: `Target response time ${stat} above ${seconds} s. Check the database's latency and connections and the services' CPU first.`,
        comparison: "GreaterThanThreshold",
        threshold: seconds,
        ...every5min,
        treatMissingData: "notBreaching",
        metric: alb("TargetResponseTime", stat),
      })),
      {
        id: "alb-rejected-connections",
        component: "Load balancer",
        description:
          "The load balancer rejected connections: it hit its connection limit. Check for a traffic spike or a client retry storm.",
        ...anyInFiveMinutes,
        metric: alb("RejectedConnectionCount", "Sum"),
      },
    );
  }

  for (const acl of inventory.of("webAcl")) {
    specs.push({
      id: "waf-blocked",
      component: "Web ACL",
      description: `The web ACL ${acl.name} blocked more than ${t.wafBlockedPer5Minutes} requests in 5 minutes: an attack or a scan, or a rule blocking the product's own traffic. Check its log group (aws-waf-logs-…) first: it says which rule matched which client.`,
      comparison: "GreaterThanThreshold",
      threshold: t.wafBlockedPer5Minutes,
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      ...(acl.scope === "CLOUDFRONT" ? { region: GLOBAL_METRICS_REGION } : {}),
      metric: {
        namespace: "AWS/WAFV2",
        name: "BlockedRequests",
        dimensions: acl.scope === "CLOUDFRONT" ? { WebACL: acl.name, Rule: "ALL" } : { WebACL: acl.name, Region: acl.region, Rule: "ALL" },
        stat: "Sum",
      },
    });
  }

  for (const cdn of inventory.of("distribution")) {
    specs.push({
      id: "cdn-5xx-rate",
      component: "CloudFront",
      description: `More than ${t.http5xxPercent}% of the requests to ${cdn.name} end in a 5xx, CloudFront's own or the origin's. Check the load balancer's 5xx alarms first: if they are quiet, CloudFront cannot reach it (certificate, origin header, security group).`,
      comparison: "GreaterThanThreshold",
      threshold: t.http5xxPercent,
      periodSeconds: 300,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: "notBreaching",
      region: GLOBAL_METRICS_REGION,
      metric: {
        namespace: "AWS/CloudFront",
        name: "5xxErrorRate",
        dimensions: { DistributionId: cdn.distributionId, Region: "Global" },
        stat: "Average",
      },
    });
  }

  for (const tg of inventory.of("targetGroup")) {
    specs.push({
      id: `${slug(tg.label)}-unhealthy-hosts`,
      component: "Load balancer",
      description: `${tg.label}: targets fail the load balancer's health check. Check the service's events and ERROR logs first.`,
      comparison: "GreaterThanThreshold",
      threshold: 0,
      periodSeconds: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
      metric: {
        namespace: "AWS/ApplicationELB",
        name: "UnHealthyHostCount",
        dimensions: { TargetGroup: tg.arnSuffix, LoadBalancer: tg.loadBalancerArnSuffix },
        stat: "Maximum",
      },
    });
  }

  for (const svc of inventory.of("service")) {
    const ecs = (namespace: string, name: string, stat: string): MetricRef => ({
      namespace,
      name,
      dimensions: { ClusterName: svc.clusterName, ServiceName: svc.serviceName },
      stat,
    });
    const component = `Service ${svc.name}`;
    const running = ecs("ECS/ContainerInsights", "RunningTaskCount", "Average");
    specs.push(
      ...(
        [
          ["cpu", "CPUUtilization", t.serviceCpuPercent],
          ["memory", "MemoryUtilization", t.serviceMemoryPercent],
        ] as const
      ).map(([id, metric, percent]): AlarmSpec => ({
        id: `${svc.name}-${id}`,
        component,
        description: `${svc.name}: average ${id} above ${percent}%. Check whether autoscaling is at its maximum, then the task size.`,
        comparison: "GreaterThanThreshold",
        threshold: percent,
        ...every5min,
        treatMissingData: "notBreaching",
        metric: ecs("AWS/ECS", metric, "Average"),
      })),
      {
        // Sustained for 5 minutes: deployments and scale-outs briefly run fewer tasks than desired.
        component,
        comparison: "GreaterThanThreshold",
        threshold: 0,
        periodSeconds: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: "breaching",
        ...(svc.role === "scheduler"
          ? {
              id: `${svc.name}-not-exactly-one`,
              description: `${svc.name}: not exactly one task running; scheduled jobs are missed or run twice. Check the service's events and stopped tasks first.`,
              expression: { expression: "ABS(running - 1)", label: "tasks off by", metrics: { running } },
            }
          : {
              id: `${svc.name}-tasks-below-desired`,
              description: `${svc.name}: fewer tasks running than desired. Check the service's events and stopped tasks (image pull, health checks, capacity) first.`,
              expression: {
                expression: "desired - running",
                label: "tasks missing",
                metrics: { desired: ecs("ECS/ContainerInsights", "DesiredTaskCount", "Average"), running },
              },
            }),
      },
      errorLinesAlarm(svc.name, component, t, namePrefix),
    );
  }

  for (const host of inventory.of("host")) specs.push(...hostAlarms(host, t, namePrefix));
  for (const nat of inventory.of("natInstance"))
    specs.push(...statusCheckAlarms(nat.instanceId, nat.region, alarmOf(`NAT ${nat.name}`, nat.name, namePrefix)));
  for (const container of inventory.of("container"))
    specs.push(errorLinesAlarm(container.name, `Container ${container.name}`, t, namePrefix));

  for (const db of inventory.of("database")) {
    const rds = (name: string, stat: string): MetricRef => ({
      namespace: "AWS/RDS",
      name,
      dimensions: { DBInstanceIdentifier: db.identifier },
      stat,
    });
    const alarm = alarmOf(`Database ${db.identifier}`, db.identifier, namePrefix);
    specs.push(
      alarm("cpu", `CPU above ${t.databaseCpuPercent}%. Check Performance Insights' top SQL first.`, {
        comparison: "GreaterThanThreshold",
        threshold: t.databaseCpuPercent,
        ...every5min,
        treatMissingData: "breaching",
        metric: rds("CPUUtilization", "Average"),
      }),
      alarm("free-storage", `under ${t.databaseFreeStorageGb} GiB free. Check storage autoscaling's ceiling and table bloat first.`, {
        comparison: "LessThanThreshold",
        threshold: t.databaseFreeStorageGb * GIB,
        periodSeconds: 300,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: "breaching",
        metric: rds("FreeStorageSpace", "Minimum"),
      }),
      alarm("freeable-memory", `under ${t.databaseFreeMemoryMb} MiB freeable memory. Check connections and work_mem-heavy queries first.`, {
        comparison: "LessThanThreshold",
        threshold: t.databaseFreeMemoryMb * MIB,
        ...every5min,
        treatMissingData: "breaching",
        metric: rds("FreeableMemory", "Minimum"),
      }),
      alarm("connections", `more than ${t.databaseConnections} connections. Check the services' pool sizes and task counts first.`, {
        comparison: "GreaterThanThreshold",
        threshold: t.databaseConnections,
        ...every5min,
        treatMissingData: "notBreaching",
        metric: rds("DatabaseConnections", "Maximum"),
      }),
      ...(["read", "write"] as const).map((io) =>
        alarm(`${io}-latency`, `${io} latency above ${t.databaseLatencyMs} ms. Check IOPS and throughput against gp3's baseline first.`, {
          comparison: "GreaterThanThreshold",
          threshold: t.databaseLatencyMs / 1000,
          ...every5min,
          treatMissingData: "notBreaching",
          metric: rds(io === "read" ? "ReadLatency" : "WriteLatency", "Average"),
        }),
      ),
      ...(db.replica
        ? [
            alarm(
              "replica-lag",
              `more than ${t.replicaLagSeconds} s behind the primary. Check the primary's write load and the replica's CPU first.`,
              {
                comparison: "GreaterThanThreshold",
                threshold: t.replicaLagSeconds,
                ...every5min,
                treatMissingData: "breaching",
                metric: rds("ReplicaLag", "Maximum"),
              },
            ),
          ]
        : []),
      ...(db.burstable
        ? [
            alarm(
              "cpu-credits",
              `fewer than ${t.cpuCreditBalance} CPU credits left; it will be throttled. Check sustained CPU, or move off a burstable class.`,
              {
                comparison: "LessThanThreshold",
                threshold: t.cpuCreditBalance,
                ...every5min,
                treatMissingData: "notBreaching",
                metric: rds("CPUCreditBalance", "Minimum"),
              },
            ),
          ]
        : []),
    );
  }

  for (const cache of inventory.of("cache")) {
    cache.memberClusterIds.forEach((node, i) => {
      const metric = (name: string, stat: string): MetricRef => ({
        namespace: "AWS/ElastiCache",
        name,
        dimensions: { CacheClusterId: node },
        stat,
      });
      const alarm = alarmOf(`Cache ${cache.replicationGroupId}`, node, namePrefix);
      specs.push(
        alarm("engine-cpu", `engine CPU above ${t.cacheEngineCpuPercent}%. Check for slow commands in the slow log first.`, {
          comparison: "GreaterThanThreshold",
          threshold: t.cacheEngineCpuPercent,
          ...every5min,
          treatMissingData: "breaching",
          metric: metric("EngineCPUUtilization", "Average"),
        }),
        alarm("memory", `memory use above ${t.cacheMemoryPercent}%. Check key growth and TTLs first; the eviction policy is next.`, {
          comparison: "GreaterThanThreshold",
          threshold: t.cacheMemoryPercent,
          ...every5min,
          treatMissingData: "breaching",
          metric: metric("DatabaseMemoryUsagePercentage", "Average"),
        }),
        alarm("evictions", `more than ${t.cacheEvictions} keys evicted in 5 minutes. Check memory use and TTLs first.`, {
          comparison: "GreaterThanThreshold",
          threshold: t.cacheEvictions,
          ...every5min,
          treatMissingData: "notBreaching",
          metric: metric("Evictions", "Sum"),
        }),
        alarm("connections", `more than ${t.cacheConnections} connections. Check the services' connection pools first.`, {
          comparison: "GreaterThanThreshold",
          threshold: t.cacheConnections,
          ...every5min,
          treatMissingData: "notBreaching",
          metric: metric("CurrConnections", "Maximum"),
        }),
        // Members after the first start as replicas; only replicas report replication lag.
        ...(i > 0
          ? [
              alarm(
                "replication-lag",
                `more than ${t.cacheReplicationLagSeconds} s behind the primary. Check the primary's write rate and network first.`,
                {
                  comparison: "GreaterThanThreshold",
                  threshold: t.cacheReplicationLagSeconds,
                  ...every5min,
                  treatMissingData: "notBreaching",
                  metric: metric("ReplicationLag", "Maximum"),
                },
              ),
            ]
          : []),
      );
    });
  }
  for (const job of inventory.of("job"))
    specs.push({
      id: `job-${job.name}-dead-letters`,
      component: "Jobs",
      description: `A run of job ${job.name} could not be started (RunTask refused after its retries: capacity, a deleted task definition, a missing permission). Check the messages in queue ${job.deadLetterQueueName} first: their attributes hold the error. A run that started and failed is reported by the failed-jobs event instead.`,
      ...anyInFiveMinutes,
      metric: {
        namespace: "AWS/SQS",
        name: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: job.deadLetterQueueName },
        stat: "Maximum",
      },
    });
  return specs;
}

function errorLinesAlarm(name: string, component: string, t: Thresholds, namePrefix: string): AlarmSpec {
  return {
    id: `${name}-error-lines`,
    component,
    description: `${name}: more than ${t.errorLines} ERROR lines in 5 minutes. Check the dashboard's ERROR lines of ${name} first.`,
    comparison: "GreaterThanThreshold",
    threshold: t.errorLines,
    periodSeconds: 300,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
    metric: { namespace: logMetricNamespace(namePrefix), name: errorMetricName(name), dimensions: {}, stat: "Sum" },
  };
}

/** A single host: status checks (with EC2's own recovery), CPU, credits, memory, disks, and the containers' health report. */
function hostAlarms(host: WatchedHost, t: Thresholds, namePrefix: string): AlarmSpec[] {
  const ec2 = (name: string, stat: string): MetricRef => ({
    namespace: "AWS/EC2",
    name,
    dimensions: { InstanceId: host.instanceId },
    stat,
  });
  const agent = (name: string, dimensions: Record<string, string>): MetricRef => ({
    namespace: "CWAgent",
    name,
    dimensions: { InstanceId: host.instanceId, ...dimensions },
    stat: "Average",
  });
  const alarm = alarmOf(`Host ${host.name}`, host.name, namePrefix);
  const specs: AlarmSpec[] = [
    ...statusCheckAlarms(host.instanceId, host.region, alarm),
    alarm("cpu", `CPU above ${t.hostCpuPercent}%. Check which container uses it (docker stats over Session Manager) first.`, {
      comparison: "GreaterThanThreshold",
      threshold: t.hostCpuPercent,
      ...every5min,
      treatMissingData: "missing",
      metric: ec2("CPUUtilization", "Average"),
    }),
    ...(host.burstable
      ? [
          alarm(
            "cpu-credits",
            `fewer than ${t.cpuCreditBalance} CPU credits left: the instance is about to be throttled or charged for surplus credits. Check the CPU graph first.`,
            {
              comparison: "LessThanThreshold",
              threshold: t.cpuCreditBalance,
              ...every5min,
              treatMissingData: "missing",
              metric: ec2("CPUCreditBalance", "Minimum"),
            },
          ),
        ]
      : []),
    alarm("memory", `memory use above ${t.hostMemoryPercent}%. Check the containers' memory limits and docker stats first.`, {
      comparison: "GreaterThanThreshold",
      threshold: t.hostMemoryPercent,
      ...every5min,
      treatMissingData: "missing",
      metric: agent("mem_used_percent", {}),
    }),
    ...host.diskPaths.map((path) =>
      alarm(
        `disk${path === "/" ? "-root" : path.replace(/\//g, "-")}`,
        `${path} is more than ${t.hostDiskPercent}% full. Check docker images (docker system df) and logs first.`,
        {
          comparison: "GreaterThanThreshold",
          threshold: t.hostDiskPercent,
          ...every5min,
          treatMissingData: "missing",
          metric: agent("disk_used_percent", { path, fstype: "xfs" }),
        },
      ),
    ),
    // The health timer reports every minute; silence for 15 minutes means the host or the report is down.
    alarm(
      "unhealthy-containers",
      "containers are down or unhealthy, or the host stopped reporting. Read the health parameter (see the stack's outputs) first.",
      {
        comparison: "GreaterThanThreshold",
        threshold: 0,
        periodSeconds: 300,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: "breaching",
        metric: {
          namespace: host.metricNamespace,
          name: "UnhealthyContainers",
          dimensions: { InstanceId: host.instanceId },
          stat: "Maximum",
        },
      },
    ),
  ];
  for (const job of host.jobs)
    specs.push({
      id: `job-${job}-failed`,
      component: "Jobs",
      description: `Job ${job} failed its last run, retries included, or was stopped at its time limit. Check its service's container log first; /var/log/app-host/jobs.log (the host's system log group, stream <instance>/jobs) says how each run ended.`,
      ...anyInFiveMinutes,
      metric: { namespace: host.metricNamespace, name: "JobFailures", dimensions: { Job: job }, stat: "Maximum" },
    });
  return specs;
}

/** Metric name of a service's ERROR-line count. */
function errorMetricName(service: string): string {
  return `${service}-error-lines`;
}

/** Alarms of one watched resource: ids and descriptions start with its name. */
const everyMinute = (minutes: number) => ({ periodSeconds: 60, evaluationPeriods: minutes, datapointsToAlarm: minutes });

/** An EC2 instance that heals itself: recovered onto other hardware when its host fails, rebooted when it stops answering. */
function statusCheckAlarms(instanceId: string, region: string, alarm: ReturnType<typeof alarmOf>): AlarmSpec[] {
  const check = (name: string): MetricRef => ({ namespace: "AWS/EC2", name, dimensions: { InstanceId: instanceId }, stat: "Maximum" });
  return [
    alarm(
      "system-status-check",
      "the system status check failed (AWS hardware or network); EC2 recovers the instance onto other hardware. Check that it came back.",
      {
        comparison: "GreaterThanThreshold",
        threshold: 0,
        ...everyMinute(2),
        treatMissingData: "missing",
        metric: check("StatusCheckFailed_System"),
        ec2Actions: [`arn:aws:automate:${region}:ec2:recover`],
      },
    ),
    alarm(
      "instance-status-check",
      "the instance status check failed (kernel, memory, file system); EC2 reboots it. Check the system log first.",
      {
        comparison: "GreaterThanThreshold",
        threshold: 0,
        ...everyMinute(3),
        treatMissingData: "missing",
        metric: check("StatusCheckFailed_Instance"),
        ec2Actions: [`arn:aws:automate:${region}:ec2:reboot`],
      },
    ),
  ];
}

function alarmOf(component: string, resource: string, namePrefix: string) {
  return (id: string, description: string, spec: Omit<AlarmSpec, "id" | "component" | "description">): AlarmSpec => ({
    id: `${withoutPrefix(resource, namePrefix)}-${id}`,
    component,
    description: `${resource}: ${description}`,
    ...spec,
  });
}

/** Alarm names start with the prefix already; resource names that do too are not repeated. */
function withoutPrefix(name: string, namePrefix: string): string {
  return name.startsWith(`${namePrefix}-`) ? name.slice(namePrefix.length + 1) : name;
}

function slug(label: string): string {
  return label
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/-$/, "")
    .toLowerCase();
}

/** CloudWatch's limits on a composite alarm's rule (PutCompositeAlarm AlarmRule): characters, and alarms named. */
const MAX_ALARM_RULE = 10240;
const MAX_ALARM_CHILDREN = 100;

export interface AlarmPackProps {
  readonly namePrefix: string;
  readonly inventory: MonitoringInventory;
  readonly thresholds: Thresholds;
  /** The stack's region. */
  readonly region: string;
  /** Receives every alarm's ALARM and OK notifications. */
  readonly topicArn: string;
  /**
   * For alarms on metrics reported in another region (CloudFront's, in us-east-1): a provider and
   * a topic there, as an alarm notifies only a topic in its own region. Those alarms stay out of
   * the composite health alarm, which watches only its own region's. @default none: such an alarm is an error
   */
  readonly otherRegions?: Readonly<Record<string, { readonly provider: AwsProvider; readonly topicArn: string }>>;
  /**
   * Office hours turn the alarms' actions off and on (DisableAlarmActions): Terraform then leaves
   * `actions_enabled` alone. @default false
   */
  readonly actionsScheduled?: boolean;
}

/**
 * Every alarm the inventory calls for, each notifying the topic on ALARM and on OK; a metric
 * filter counting ERROR lines in each service's log; and one composite "service health" alarm
 * that is in ALARM when any of them is, for paging on one signal.
 */
export class AlarmPack extends Construct {
  readonly specs: readonly AlarmSpec[];
  readonly alarmArns: readonly string[];
  readonly healthAlarmArn: string;
  /** Every alarm's name in the stack's region, the composite ones included. */
  readonly alarmNames: readonly string[];
  private readonly lifecycle: { ignoreChanges: string[] } | undefined;

  constructor(scope: Construct, id: string, props: AlarmPackProps) {
    super(scope, id);
    const { namePrefix, topicArn } = props;
    this.lifecycle = props.actionsScheduled ? { ignoreChanges: ["actions_enabled"] } : undefined;
    for (const svc of [...props.inventory.of("service"), ...props.inventory.of("container")]) {
      new CloudwatchLogMetricFilter(this, `errors-${svc.name}`, {
        name: `${namePrefix}-${svc.name}-errors`,
        logGroupName: svc.logGroupName,
        pattern: "ERROR",
        metricTransformation: {
          namespace: logMetricNamespace(namePrefix),
          name: errorMetricName(svc.name),
          value: "1",
          defaultValue: "0",
        },
      });
    }
    this.specs = alarmSpecs(props.inventory, props.thresholds, namePrefix);
    const elsewhere = (spec: AlarmSpec) => {
      if (!spec.region || spec.region === props.region) return undefined;
      const there = props.otherRegions?.[spec.region];
      if (!there) throw new Error(`alarm ${spec.id} watches a metric in ${spec.region}, and the pack has no provider there`);
      return there;
    };
    const alarms = this.specs.map((spec) => {
      const there = elsewhere(spec);
      const notify = there?.topicArn ?? topicArn;
      const common = {
        ...(there ? { provider: there.provider } : {}),
        alarmName: `${namePrefix}-${spec.id}`,
        alarmDescription: spec.description,
        comparisonOperator: spec.comparison,
        threshold: spec.threshold,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        treatMissingData: spec.treatMissingData,
        alarmActions: [notify, ...(spec.ec2Actions ?? [])],
        okActions: [notify],
        ...(this.lifecycle ? { lifecycle: this.lifecycle } : {}),
      };
      if (spec.metric) {
        const m = spec.metric;
        return new CloudwatchMetricAlarm(this, spec.id, {
          ...common,
          namespace: m.namespace,
          metricName: m.name,
          period: spec.periodSeconds,
          ...(/^p\d/.test(m.stat) ? { extendedStatistic: m.stat } : { statistic: m.stat }),
          ...(Object.keys(m.dimensions).length ? { dimensions: { ...m.dimensions } } : {}),
        });
      }
      const e = spec.expression!;
      return new CloudwatchMetricAlarm(this, spec.id, {
        ...common,
        metricQuery: [
          { id: "result", expression: e.expression, label: e.label, returnData: true },
          ...Object.entries(e.metrics).map(([queryId, m]) => ({
            id: queryId,
            returnData: false,
            metric: {
              namespace: m.namespace,
              metricName: m.name,
              period: spec.periodSeconds,
              stat: m.stat,
              dimensions: { ...m.dimensions },
            },
          })),
        ],
      });
    });
    this.alarmArns = alarms.map((a) => a.arn);

    const local = this.specs.map((spec, i) => ({ spec, alarm: alarms[i] })).filter(({ spec }) => !elsewhere(spec));
    const metricAlarmNames = local.map(({ spec }) => `${namePrefix}-${spec.id}`);
    this.healthAlarmArn = this.addHealthAlarm(
      namePrefix,
      metricAlarmNames,
      local.map(({ alarm }) => alarm),
      topicArn,
    );
    // The parts of a split health alarm notify no one.
    this.alarmNames = [...metricAlarmNames, `${namePrefix}-service-health`];
  }

  /**
   * The one alarm to page on: ALARM when any alarm is. A composite's rule takes at most 100
   * alarms and 10,240 characters, so past either the alarms are split over parts (which notify no
   * one) and the health alarm watches the parts: however large the environment, one signal.
   */
  private addHealthAlarm(
    namePrefix: string,
    alarmNames: readonly string[],
    alarms: readonly CloudwatchMetricAlarm[],
    topicArn: string,
  ): string {
    const lifecycle = this.lifecycle ? { lifecycle: this.lifecycle } : {};
    const rule = (names: readonly string[]) => names.map((name) => `ALARM("${name}")`).join(" OR ");
    const groups = groupWithin(alarmNames, (names) => names.length <= MAX_ALARM_CHILDREN && rule(names).length <= MAX_ALARM_RULE);
    const description = `${namePrefix}: at least one alarm is firing. Page on this one; the dashboard's alarm widget shows which.`;
    if (groups.length === 1) {
      const health = new CloudwatchCompositeAlarm(this, "service-health", {
        alarmName: `${namePrefix}-service-health`,
        alarmDescription: description,
        alarmRule: rule(alarmNames),
        alarmActions: [topicArn],
        okActions: [topicArn],
        dependsOn: [...alarms],
        ...lifecycle,
      });
      return health.arn;
    }
    const parts = groups.map(
      (names, i) =>
        new CloudwatchCompositeAlarm(this, `service-health-part-${i + 1}`, {
          alarmName: `${namePrefix}-service-health-part-${i + 1}`,
          alarmDescription: `${namePrefix}: part ${i + 1} of the service-health alarm's children (${names.length} alarms)`,
          alarmRule: rule(names),
          dependsOn: [...alarms],
        }),
    );
    const health = new CloudwatchCompositeAlarm(this, "service-health", {
      alarmName: `${namePrefix}-service-health`,
      alarmDescription: description,
      alarmRule: rule(parts.map((_, i) => `${namePrefix}-service-health-part-${i + 1}`)),
      alarmActions: [topicArn],
      okActions: [topicArn],
      dependsOn: parts,
      ...lifecycle,
    });
    return health.arn;
  }
}

/** Splits `items`, in order, into the fewest runs that each satisfy `fits` (a single item always does). */
function groupWithin<T>(items: readonly T[], fits: (group: readonly T[]) => boolean): T[][] {
  const groups: T[][] = [];
  for (const item of items) {
    const last = groups.at(-1);
    if (last && fits([...last, item])) last.push(item);
    else groups.push([item]);
  }
  return groups;
}
