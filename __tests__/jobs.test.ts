import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hostFiles } from "../scripts/lib/user-data";
import { type CronExpression, parseScheduleExpression } from "../src/config/schedule-expression";
import { onCalendar } from "../src/host/jobs";
import { byPath, committedStack, ref, type Resource, resourcesOf, statementsOf, type TerraformJson } from "./helpers";

describe("schedule expressions, as EventBridge Scheduler reads them", () => {
  it.each([
    "cron(0 3 * * ? *)",
    "cron(30 3 ? * MON-FRI *)",
    "cron(0/15 8-18 ? * 2-6 *)",
    "cron(0 0 L * ? *)",
    "cron(0 9 15W * ? *)",
    "cron(0 12 ? * 6#3 *)",
    "cron(0 12 ? * 5L *)",
    "cron(5,35 * ? JAN,JUL MON 2026-2030)",
    "cron(*/5 * * * ? *)",
    "rate(1 minute)",
    "rate(15 minutes)",
    "rate(1 day)",
  ])("accepts %s", (text) => {
    expect(parseScheduleExpression(text)).toMatchObject({ ok: true });
  });

  it.each([
    ["cron(0 3 * * ?)", "takes 6 fields"],
    ["cron(0 24 * * ? *)", 'hours "24"'],
    ["cron(0 3 32 * ? *)", 'day-of-month "32"'],
    ["cron(0 3 ? 13 MON *)", 'month "13"'],
    ["cron(0 3 ? * 8 *)", 'day-of-week "8"'],
    ["cron(0 3 ? * MON#6 *)", 'day-of-week "MON#6"'],
    ["cron(0 3 * * ? 1969)", 'year "1969"'],
    ["cron(0 3 ? * MON,6#3 *)", "cannot be part of a list"],
    ["cron(0/0 3 * * ? *)", 'minutes "0/0"'],
    ["rate(2 hour)", 'takes "2 hours"'],
    ["rate(-1 minutes)", "takes a whole number"],
    ["every day", "must be cron(...) or rate(...)"],
  ])("refuses %s", (text, reason) => {
    const parsed = parseScheduleExpression(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.reason).toContain(reason);
  });
});

describe("a scheduled job on ECS (dev's purge-sessions)", () => {
  const tf: TerraformJson = committedStack("dev").parsed;
  const schedule = byPath(tf, "aws_scheduler_schedule", "jobs_purge-sessions-schedule");
  const target = schedule.target as Record<string, unknown>;
  const ecs = target.ecs_parameters as Record<string, unknown>;

  it("runs at the definition's time in its time zone, exactly then, in the environment's own schedule group", () => {
    expect(schedule).toMatchObject({
      name: "webapp-dev-purge-sessions",
      schedule_expression: "cron(30 8 ? * MON-FRI *)",
      schedule_expression_timezone: "Europe/Berlin",
      flexible_time_window: { mode: "OFF" },
      group_name: ref(tf, "aws_scheduler_schedule_group", "jobs_group", "name"),
    });
    expect(byPath(tf, "aws_scheduler_schedule_group", "jobs_group")).toMatchObject({ name: "webapp-dev-jobs" });
  });

  it("starts one Fargate task of the service's family (its latest revision) in the private subnets with the service's security group", () => {
    expect(target.arn).toBe(ref(tf, "aws_ecs_cluster", "cluster", "arn"));
    expect(ecs).toMatchObject({
      launch_type: "FARGATE",
      task_count: 1,
      group: "job:purge-sessions",
      network_configuration: {
        assign_public_ip: false,
        subnets: [ref(tf, "aws_subnet", "network_private-0"), ref(tf, "aws_subnet", "network_private-1")],
        security_groups: [ref(tf, "aws_security_group", "service-api_sg")],
      },
    });
    expect(ecs.task_definition_arn).toMatch(/^arn:aws:ecs:us-east-1:\$\{.+\}:task-definition\/webapp-dev-api$/);
  });

  it("replaces the container's command through RunTask's overrides", () => {
    expect(JSON.parse(target.input as string)).toEqual({
      containerOverrides: [{ name: "api", command: ["python", "-m", "app.jobs.purge_sessions"] }],
    });
  });

  it("retries a run that cannot start for at most an hour, then sends it to an encrypted, TLS-only dead-letter queue", () => {
    expect(target.retry_policy).toEqual({ maximum_retry_attempts: 2, maximum_event_age_in_seconds: 3600 });
    expect(target.dead_letter_config).toEqual({ arn: ref(tf, "aws_sqs_queue", "jobs_purge-sessions-dead-letters", "arn") });
    expect(byPath(tf, "aws_sqs_queue", "jobs_purge-sessions-dead-letters")).toMatchObject({
      name: "webapp-dev-purge-sessions-job-dead-letters",
      sqs_managed_sse_enabled: true,
    });
    const [tls] = statementsOf(byPath(tf, "aws_sqs_queue_policy", "jobs_purge-sessions-dead-letters-policy"));
    expect(tls).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  });

  it("has a role that may run only that family on only this cluster, pass only the service's roles, and dead-letter only to its queue", () => {
    const statements = statementsOf(byPath(tf, "aws_iam_role_policy", "jobs_purge-sessions-policy"));
    expect(statements.map((s) => s.Action)).toEqual(["ecs:RunTask", "iam:PassRole", "sqs:SendMessage"]);
    const [run, pass, dlq] = statements;
    expect(run.Resource).toEqual([ecs.task_definition_arn, `${String(ecs.task_definition_arn)}:*`]);
    expect(run.Condition).toEqual({ ArnEquals: { "ecs:cluster": ref(tf, "aws_ecs_cluster", "cluster", "arn") } });
    expect(pass.Resource).toEqual([
      ref(tf, "aws_iam_role", "service-api_execution-role", "arn"),
      ref(tf, "aws_iam_role", "service-api_task-role", "arn"),
    ]);
    expect(pass.Condition).toEqual({ StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
    expect(dlq.Resource).toBe(ref(tf, "aws_sqs_queue", "jobs_purge-sessions-dead-letters", "arn"));
    const trust = JSON.parse(byPath(tf, "aws_iam_role", "jobs_purge-sessions-role").assume_role_policy as string) as {
      Statement: { Principal: unknown }[];
    };
    expect(trust.Statement[0].Principal).toEqual({ Service: "scheduler.amazonaws.com" });
  });

  it("pages on dead letters and on runs that exit non-zero, through the encrypted alarm topic", () => {
    const alarm = byPath(tf, "aws_cloudwatch_metric_alarm", "alarms_job-purge-sessions-dead-letters");
    expect(alarm).toMatchObject({
      metric_name: "ApproximateNumberOfMessagesVisible",
      namespace: "AWS/SQS",
      dimensions: { QueueName: ref(tf, "aws_sqs_queue", "jobs_purge-sessions-dead-letters", "name") },
      threshold: 0,
    });
    const rule = byPath(tf, "aws_cloudwatch_event_rule", "jobs-failed_rule");
    expect(JSON.parse(rule.event_pattern as string)).toEqual({
      source: ["aws.ecs"],
      "detail-type": ["ECS Task State Change"],
      detail: {
        clusterArn: [ref(tf, "aws_ecs_cluster", "cluster", "arn")],
        group: ["job:purge-sessions"],
        lastStatus: ["STOPPED"],
        containers: { exitCode: [{ "anything-but": 0 }] },
      },
    });
    const topicPolicy = statementsOf(byPath(tf, "aws_sns_topic_policy", "alarm-topic_policy"));
    const fromRules = topicPolicy.find((s) => s.Sid === "EventRulesOfThisAccount")!;
    expect(JSON.stringify(fromRules.Condition)).toContain("rule/webapp-dev-jobs-failed");
  });
});

describe("the alarm topic's key", () => {
  const publishers = (tf: TerraformJson): Resource[] =>
    resourcesOf(tf, "aws_cloudwatch_event_target").filter((t) => String(t.arn).includes("aws_sns_topic.alarm-topic"));

  it.each(["dev", "single-host", "autoblog-host", "prod"])(
    "%s: admits EventBridge exactly when a rule publishes to the topic, or those notifications are lost",
    (name) => {
      const tf = committedStack(name).parsed;
      const key = byPath(tf, "aws_kms_key", "telemetry-key");
      const admitsEvents = statementsOf(key).some((s) => s.Sid === "EventBridgePublishesToTheEncryptedAlarmTopic");
      expect(admitsEvents).toBe(publishers(tf).length > 0);
    },
  );
});

describe("a scheduled job on a single host (single-host's purge-sessions)", () => {
  const tf = committedStack("single-host").parsed;
  const files = hostFiles(resourcesOf(tf, "aws_instance")[0].user_data as string);

  it("is a systemd timer at the definition's time in its time zone, starting a oneshot service with its time limit", () => {
    expect(files["/etc/systemd/system/app-job-purge-sessions.timer"]).toContain(
      "OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 04:00:00 Europe/Berlin\n",
    );
    const service = files["/etc/systemd/system/app-job-purge-sessions.service"];
    expect(service).toContain("Type=oneshot\n");
    expect(service).toContain("ExecStart=/usr/local/libexec/app-host/run-job purge-sessions\n");
    expect(service).toContain("TimeoutStartSec=30min\n");
  });

  it("runs the service's container with the job's command and retries, through the installed run-job", () => {
    expect(JSON.parse(files["/etc/app-host/jobs.json"])).toEqual({
      "purge-sessions": { service: "api", command: ["python", "-m", "app.jobs.purge_sessions"], retries: 1 },
    });
    expect(files["/usr/local/libexec/app-host/run-job"]).toBe(
      readFileSync(join(__dirname, "..", "src", "host", "files", "run-job.py"), "utf8"),
    );
    expect(files["/usr/local/libexec/app-host/install"]).toContain('systemctl enable --now "$(basename "$timer")"');
  });

  it("pages when a run fails, retries included", () => {
    expect(byPath(tf, "aws_cloudwatch_metric_alarm", "alarms_job-purge-sessions-failed")).toMatchObject({
      metric_name: "JobFailures",
      dimensions: { Job: "purge-sessions" },
      threshold: 0,
    });
  });
});

describe("cron(...) as systemd's OnCalendar=, read by systemd-analyze 252 (Amazon Linux 2023's)", () => {
  const cron = (text: string) => {
    const parsed = parseScheduleExpression(text);
    if (!parsed.ok || parsed.expression.kind !== "cron") throw new Error(text);
    return parsed.expression as CronExpression;
  };
  const normalized = (spec: string) =>
    /Normalized form: (.+)/.exec(execFileSync("systemd-analyze", ["calendar", spec], { encoding: "utf8" }))![1];

  it.each([
    ["cron(30 3 * * ? *)", "UTC", "*-*-* 03:30:00 UTC"],
    ["cron(0 4 ? * MON-FRI *)", "Europe/Berlin", "Mon..Fri *-*-* 04:00:00 Europe/Berlin"],
    ["cron(0/15 8-10 ? * 1,7 *)", "UTC", "Sat,Sun *-*-* 08,09,10:00,15,30,45:00 UTC"],
    ["cron(5,35 12 1 JAN,JUL ? 2027)", "America/New_York", "2027-01,07-01 12:05,35:00 America/New_York"],
    ["cron(0 0 1-7 * ? *)", "UTC", "*-*-01,02,03,04,05,06,07 00:00:00 UTC"],
  ])("%s in %s is %s", (text, zone, expected) => {
    expect(normalized(onCalendar(cron(text), zone))).toBe(expected);
  });
});
