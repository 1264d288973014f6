import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudwatchCompositeAlarm } from "@cdktf/provider-aws/lib/cloudwatch-composite-alarm";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { EnvironmentInput } from "../src/config/schema";
import { MAX_WIDGETS } from "../src/constructs/dashboard";
import {
  byPath,
  committedStack,
  ENVIRONMENTS_DIR,
  ref,
  type Resource,
  resourcesOf,
  statementsOf,
  synthInput,
  type TerraformJson,
  validInput,
} from "./helpers";

type Widget = { type: string; x: number; y: number; width: number; height: number; properties: Record<string, unknown> };

function dashboards(tf: TerraformJson): { name: string; widgets: Widget[] }[] {
  return resourcesOf(tf, "aws_cloudwatch_dashboard").map((d) => ({
    name: d.dashboard_name as string,
    widgets: (JSON.parse(d.dashboard_body as string) as { widgets: Widget[] }).widgets,
  }));
}

function metricAlarms(tf: TerraformJson): Resource[] {
  return resourcesOf(tf, "aws_cloudwatch_metric_alarm");
}

const alarmNames = (tf: TerraformJson) => metricAlarms(tf).map((a) => a.alarm_name as string);

/** `${type.name.attribute}` references must name a resource of the stack. */
function referencesExist(tf: TerraformJson, value: string): boolean {
  const refs = [...value.matchAll(/\$\{([a-z0-9_]+)\.([\w-]+)\.[\w.[\]]+\}/g)];
  return refs.length > 0 && refs.every(([, type, name]) => tf.resource[type]?.[name] !== undefined);
}

describe.each(["dev", "staging", "prod"])("%s's alarm pack", (name) => {
  const { parsed } = committedStack(name);
  const topic = ref(parsed, "aws_sns_topic", "alarm-topic", "arn");

  it("notifies the topic on ALARM and OK, treats missing data explicitly and says what to check first", () => {
    expect(metricAlarms(parsed).length).toBeGreaterThan(20);
    for (const alarm of [...metricAlarms(parsed), ...resourcesOf(parsed, "aws_cloudwatch_composite_alarm")]) {
      // A NAT instance's status checks also recover or reboot it.
      const heals = /status-check$/.test(String(alarm.alarm_name));
      expect(alarm.alarm_actions).toEqual(
        heals ? [topic, expect.stringMatching(/^arn:aws:automate:us-east-1:ec2:(recover|reboot)$/)] : [topic],
      );
      expect(alarm.ok_actions).toEqual([topic]);
      expect(alarm.alarm_description).toMatch(/\. Check|Page on this one/);
    }
    for (const alarm of metricAlarms(parsed)) {
      expect(["breaching", "notBreaching", "missing", "ignore"]).toContain(alarm.treat_missing_data);
      expect(alarm.evaluation_periods).toBeGreaterThanOrEqual(1);
      expect(alarm.datapoints_to_alarm).toBeGreaterThanOrEqual(1);
      expect(alarm.datapoints_to_alarm).toBeLessThanOrEqual(alarm.evaluation_periods as number);
    }
  });

  it("has one composite service-health alarm over every metric alarm, each named once", () => {
    const [health] = resourcesOf(parsed, "aws_cloudwatch_composite_alarm");
    const named = [...(health.alarm_rule as string).matchAll(/ALARM\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(named.sort()).toEqual(alarmNames(parsed).sort());
    expect(new Set(named).size).toBe(named.length);
  });

  it("has a valid dashboard whose every metric names a namespace, a metric and dimensions that exist in the stack", () => {
    const [dashboard] = dashboards(parsed);
    expect(dashboard.name).toBe(`webapp-${name}`);
    expect(dashboard.widgets.length).toBeLessThanOrEqual(MAX_WIDGETS);
    const literals = new Set(
      JSON.stringify(parsed.resource)
        .match(/"[\w./-]+"/g)!
        .map((s) => s.slice(1, -1)),
    );
    const cacheGroups = resourcesOf(parsed, "aws_elasticache_replication_group").map((g) => g.replication_group_id as string);
    const filters = resourcesOf(parsed, "aws_cloudwatch_log_metric_filter").map((f) => f.metric_transformation as Record<string, string>);
    let count = 0;
    for (const widget of dashboard.widgets.filter((w) => w.type === "metric")) {
      for (const row of widget.properties.metrics as unknown[][]) {
        if (!Array.isArray(row) || typeof row[0] !== "string") continue; // an expression row
        const [namespace, metric, ...rest] = row as string[];
        const dimensions = rest.filter((r) => typeof r === "string");
        expect(namespace).toMatch(/^(AWS\/[A-Za-z0-9]+|ECS\/ContainerInsights|webapp-[a-z]+\/logs)$/);
        expect(metric).toMatch(/^[\w-]+$/);
        if (namespace.endsWith("/logs")) {
          expect(filters).toContainEqual(expect.objectContaining({ namespace, name: metric }));
          expect(dimensions).toEqual([]);
        } else expect(dimensions.length).toBeGreaterThanOrEqual(2);
        for (let i = 1; i < dimensions.length; i += 2) {
          const value = dimensions[i];
          const exists =
            referencesExist(parsed, value) || literals.has(value) || cacheGroups.some((g) => new RegExp(`^${g}-\\d{3}$`).test(value));
          if (!exists) throw new Error(`${widget.properties.title}: dimension ${dimensions[i - 1]}=${value} names nothing in the stack`);
        }
        count += 1;
      }
    }
    expect(count).toBeGreaterThan(20);
  });

  it("shows the header, every alarm's state and each service's ERROR lines", () => {
    const widgets = dashboards(parsed).flatMap((d) => d.widgets);
    expect(widgets[0].properties.markdown).toContain(`# webapp-${name}`);
    const alarmWidget = widgets.find((w) => w.type === "alarm")!;
    expect((alarmWidget.properties.alarms as string[]).length).toBe(metricAlarms(parsed).length + 1);
    const logs = widgets.filter((w) => w.type === "log").map((w) => w.properties.query as string);
    expect(logs).toHaveLength(4);
    for (const service of ["api", "frontend", "worker", "scheduler"]) {
      expect(logs).toContainEqual(
        expect.stringMatching(new RegExp(`^SOURCE '\\$\\{aws_cloudwatch_log_group\\.service-${service}_logs_.*ERROR`)),
      );
    }
    for (const w of widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
    }
  });

  it("keeps every log group for a bounded time, encrypted with the telemetry key", () => {
    const key = ref(parsed, "aws_kms_key", "telemetry-key", "arn");
    for (const group of resourcesOf(parsed, "aws_cloudwatch_log_group")) {
      expect(group.retention_in_days).toBeGreaterThan(0);
      expect(group.kms_key_id).toBe(key);
    }
  });
});

describe("the alarm topic", () => {
  const { json, parsed } = committedStack("prod");

  it("is encrypted with a key CloudWatch may use, and only this account's alarms may publish, over TLS", () => {
    const key = ref(parsed, "aws_kms_key", "telemetry-key", "arn");
    expect(byPath(parsed, "aws_sns_topic", "alarm-topic")).toMatchObject({ name: "webapp-prod-alarms", kms_master_key_id: key });
    expect(byPath(parsed, "aws_kms_key", "telemetry-key")).toMatchObject({
      enable_key_rotation: true,
      lifecycle: { prevent_destroy: true },
    });
    const keyPolicy = JSON.parse(byPath(parsed, "aws_kms_key", "telemetry-key").policy as string).Statement;
    expect(keyPolicy).toContainEqual(
      expect.objectContaining({ Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"] }),
    );
    const statements = statementsOf(byPath(parsed, "aws_sns_topic_policy", "alarm-topic/policy"));
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Allow",
        Action: "sns:Publish",
        Condition: {
          StringEquals: { "aws:SourceAccount": expect.stringContaining("data.aws_caller_identity") },
          ArnLike: { "aws:SourceArn": expect.stringMatching(/^arn:aws:cloudwatch:us-east-1:.*:alarm:\*$/) },
        },
      }),
    );
    expect(statements).toContainEqual(expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": false } } }));
  });

  it("subscribes the configured e-mail and HTTPS endpoints", () => {
    expect(json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "oncall@example.com" });
    expect(json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "https" });
    expect(parsed.output).toHaveProperty("alarm_topic_arn");
    expect(parsed.output).toHaveProperty("dashboard_urls");
  });

  it("uses the environment's thresholds", () => {
    const fiveXx = metricAlarms(parsed).find((a) => a.alarm_name === "webapp-prod-alb-5xx-rate")!;
    expect(fiveXx.threshold).toBe(2);
    expect(fiveXx.metric_query).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "result", expression: expect.stringContaining("/ requests"), return_data: true }),
        expect.objectContaining({ id: "requests", metric: expect.objectContaining({ metric_name: "RequestCount", stat: "Sum" }) }),
      ]),
    );
  });
});

describe("what the inventory holds decides what is watched", () => {
  const { parsed: prod } = committedStack("prod");

  it("watches replicas for lag, burstable instances for credits, and cache replicas for replication lag", () => {
    const names = alarmNames(prod);
    expect(names).toContain("webapp-prod-db-replica-1-replica-lag");
    expect(names).not.toContain("webapp-prod-db-replica-lag");
    expect(names).toContain("webapp-prod-db-cpu-credits");
    expect(names).toContain("webapp-prod-cache-002-replication-lag");
    expect(names).not.toContain("webapp-prod-cache-001-replication-lag");
    expect(names).toEqual(expect.arrayContaining(["webapp-prod-api-unhealthy-hosts", "webapp-prod-frontend-unhealthy-hosts"]));
  });

  it("checks that the scheduler runs exactly one task and the others no fewer than desired", () => {
    const scheduler = metricAlarms(prod).find((a) => a.alarm_name === "webapp-prod-scheduler-not-exactly-one")!;
    expect(scheduler.metric_query).toContainEqual(expect.objectContaining({ expression: "ABS(running - 1)" }));
    expect(scheduler.treat_missing_data).toBe("breaching");
    expect(alarmNames(prod)).toContain("webapp-prod-worker-tasks-below-desired");
  });

  it("a service added to a definition brings its alarms, log filter and widgets, with no other change", () => {
    const input = JSON.parse(readFileSync(join(ENVIRONMENTS_DIR, "dev.json"), "utf8")) as EnvironmentInput & { services: unknown[] };
    const before = synthInput("dev", input).parsed;
    const extra = { name: "mailer", role: "worker", image: { repository: "api", tag: "1.0.0" }, cpu: 256, memory: 512 };
    const after = synthInput("dev", { ...input, services: [...input.services, extra] } as EnvironmentInput).parsed;
    const added = alarmNames(after).filter((n) => !alarmNames(before).includes(n));
    expect(added.sort()).toEqual(
      [
        "webapp-dev-mailer-cpu",
        "webapp-dev-mailer-error-lines",
        "webapp-dev-mailer-memory",
        "webapp-dev-mailer-tasks-below-desired",
      ].sort(),
    );
    expect(alarmNames(before).every((n) => alarmNames(after).includes(n))).toBe(true);
    expect(resourcesOf(after, "aws_cloudwatch_log_metric_filter").map((f) => f.name)).toContain("webapp-dev-mailer-errors");
    expect(resourcesOf(after, "aws_cloudwatch_composite_alarm")[0].alarm_rule).toContain('ALARM("webapp-dev-mailer-cpu")');
    const titles = dashboards(after).flatMap((d) => d.widgets.map((w) => (w.properties.title ?? w.properties.markdown) as string));
    expect(titles).toEqual(expect.arrayContaining(["## Service mailer", "mailer-cpu", "mailer: latest ERROR lines"]));
  });

  it("continues on a second dashboard past the widget limit", () => {
    const workers = Array.from({ length: 20 }, (_, i) => ({ name: `w${i}`, role: "worker", image: { tag: "1" }, cpu: 256, memory: 512 }));
    const { parsed } = synthInput("dev", { ...validInput(), services: workers } as EnvironmentInput);
    const pages = dashboards(parsed);
    expect(pages.map((p) => p.name)).toEqual(["webapp-dev", "webapp-dev-2"]);
    for (const page of pages) expect(page.widgets.length).toBeLessThanOrEqual(MAX_WIDGETS);
    expect(pages.flatMap((p) => p.widgets).filter((w) => w.type === "log")).toHaveLength(20);
  });

  it("past 100 alarms (or 10,240 characters) in one rule, watches them through parts, still one alarm to page on", () => {
    const workers = Array.from({ length: 40 }, (_, i) => ({ name: `w${i}`, role: "worker", image: { tag: "1" }, cpu: 256, memory: 512 }));
    const { parsed } = synthInput("dev", { ...validInput(), services: workers } as EnvironmentInput);
    const metricAlarms = resourcesOf(parsed, "aws_cloudwatch_metric_alarm").map((a) => a.alarm_name as string);
    expect(metricAlarms.length).toBeGreaterThan(100);
    const composites = resourcesOf(parsed, "aws_cloudwatch_composite_alarm");
    const health = composites.find((c) => c.alarm_name === "webapp-dev-service-health")!;
    const parts = composites.filter((c) => c !== health);
    const named = (rule: unknown) => [...String(rule).matchAll(/ALARM\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(named(health.alarm_rule)).toEqual(parts.map((p) => p.alarm_name));
    for (const part of parts) {
      expect(named(part.alarm_rule).length).toBeLessThanOrEqual(100);
      expect(String(part.alarm_rule).length).toBeLessThanOrEqual(10240);
      expect(part.alarm_actions).toBeUndefined();
    }
    expect(parts.flatMap((p) => named(p.alarm_rule)).sort()).toEqual([...metricAlarms].sort());
    expect(health.alarm_actions).toEqual([ref(parsed, "aws_sns_topic", "alarm-topic", "arn")]);
  });

  it("an environment with nothing to watch has no topic, alarms or dashboard", () => {
    const { json } = synthInput("dev", validInput());
    expect(json).not.toHaveResource(CloudwatchCompositeAlarm);
    expect(json).not.toContain("aws_sns_topic");
  });
});
