import { estimate, type StackJson } from "../src/cost/estimate";
import { runningShare } from "../src/config/office-hours";
import { api, byPath, committedStack, database, resourcesOf, statementsOf, synthInput, withServices, worker } from "./helpers";

/** dev keeps office hours 08:00-18:00 Europe/Berlin. */
describe("office hours (dev)", () => {
  const { parsed } = committedStack("dev");
  const services = ["api", "frontend", "worker", "scheduler"];
  const schedules = resourcesOf(parsed, "aws_scheduler_schedule").filter(
    (s) => String(s.name).startsWith("webapp-dev-") && !String(s.name).endsWith("purge-sessions"),
  );
  const scheduleNamed = (suffix: string) => schedules.find((s) => s.name === `webapp-dev-${suffix}`)!;
  const input = (suffix: string) => JSON.parse((scheduleNamed(suffix).target as { input: string }).input) as Record<string, unknown>;
  const targetArn = (suffix: string) => (scheduleNamed(suffix).target as { arn: string }).arn;

  it("scales every service to zero at 18:05 and back to its count at 07:50, on weekdays in the window's time zone", () => {
    const actions = resourcesOf(parsed, "aws_appautoscaling_scheduled_action");
    expect(actions).toHaveLength(2 * services.length);
    for (const name of services) {
      const open = actions.find((a) => a.name === `webapp-dev-${name}-open`)!;
      const close = actions.find((a) => a.name === `webapp-dev-${name}-close`)!;
      expect(open).toMatchObject({
        schedule: "cron(50 7 ? * MON-FRI *)",
        timezone: "Europe/Berlin",
        scalable_target_action: { min_capacity: "1", max_capacity: "1" },
        service_namespace: expect.stringContaining(`aws_appautoscaling_target.service-${name}_capacity_`),
        scalable_dimension: expect.stringContaining(`aws_appautoscaling_target.service-${name}_capacity_`),
      });
      expect(close).toMatchObject({
        schedule: "cron(5 18 ? * MON-FRI *)",
        scalable_target_action: { min_capacity: "0", max_capacity: "0" },
      });
      expect(open.depends_on).toEqual([expect.stringContaining(`aws_appautoscaling_target.service-${name}_capacity_`)]);
    }
  });

  it("leaves the counts and the targets' bounds to the schedule, so a plan outside the window shows no change", () => {
    for (const name of services)
      expect(byPath(parsed, "aws_ecs_service", `service-${name}/service`).lifecycle).toMatchObject({
        ignore_changes: expect.arrayContaining(["desired_count"]),
      });
    const targets = resourcesOf(parsed, "aws_appautoscaling_target");
    expect(targets).toHaveLength(services.length);
    for (const target of targets) expect(target.lifecycle).toEqual({ ignore_changes: ["min_capacity", "max_capacity"] });
    const alarms = [...resourcesOf(parsed, "aws_cloudwatch_metric_alarm"), ...resourcesOf(parsed, "aws_cloudwatch_composite_alarm")];
    for (const alarm of alarms) expect(alarm.lifecycle).toMatchObject({ ignore_changes: ["actions_enabled"] });
  });

  it("starts the database and the NAT instance at 07:40 and stops them at 18:15 through Scheduler's RDS and EC2 calls", () => {
    expect(scheduleNamed("database-start")).toMatchObject({
      schedule_expression: "cron(40 7 ? * MON-FRI *)",
      schedule_expression_timezone: "Europe/Berlin",
    });
    expect(scheduleNamed("database-stop")).toMatchObject({ schedule_expression: "cron(15 18 ? * MON-FRI *)" });
    expect(targetArn("database-start")).toBe("arn:aws:scheduler:::aws-sdk:rds:startDBInstance");
    expect(targetArn("database-stop")).toBe("arn:aws:scheduler:::aws-sdk:rds:stopDBInstance");
    expect(input("database-stop")).toEqual({
      DbInstanceIdentifier: expect.stringMatching(/^\$\{aws_db_instance\.database_primary_[A-F0-9]+\.identifier\}$/),
    });
    expect(targetArn("nat-stop")).toBe("arn:aws:scheduler:::aws-sdk:ec2:stopInstances");
    expect(input("nat-start")).toEqual({
      InstanceIds: [expect.stringMatching(/^\$\{aws_instance\.network_nat-instance_[A-F0-9]+\.id\}$/)],
    });
  });

  it("turns off the actions of every alarm that notifies at 18:00 and on again at 08:00, through a role that may do only this", () => {
    const notifying = [...resourcesOf(parsed, "aws_cloudwatch_metric_alarm"), ...resourcesOf(parsed, "aws_cloudwatch_composite_alarm")]
      .filter((a) => (a.alarm_actions as string[] | undefined)?.length)
      .map((a) => a.alarm_name);
    expect(input("alarms-off-1").AlarmNames).toEqual(expect.arrayContaining(notifying));
    expect((input("alarms-off-1").AlarmNames as string[]).length).toBe(notifying.length);
    expect(input("alarms-on-1")).toEqual(input("alarms-off-1"));
    expect(scheduleNamed("alarms-off-1").schedule_expression).toBe("cron(0 18 ? * MON-FRI *)");
    expect(scheduleNamed("alarms-on-1").schedule_expression).toBe("cron(0 8 ? * MON-FRI *)");

    const statements = statementsOf(byPath(parsed, "aws_iam_role_policy", "office-hours/policy"));
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      ["TurnTheAlarmsActionsOffAndOn", ["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"]],
      ["StopAndStartTheDatabase", ["rds:StopDBInstance", "rds:StartDBInstance"]],
      ["StopAndStartTheNatInstance", ["ec2:StopInstances", "ec2:StartInstances"]],
    ]);
    expect(statements[0].Resource).toHaveLength(notifying.length);
    const trust = JSON.parse(String(byPath(parsed, "aws_iam_role", "office-hours/role").assume_role_policy));
    expect(trust.Statement[0].Principal).toEqual({ Service: "scheduler.amazonaws.com" });
    expect(trust.Statement[0].Condition).toBeDefined();
  });

  it("tags what it stops with when it runs, and the estimate prices those hours only", () => {
    expect(byPath(parsed, "aws_db_instance", "database/primary").tags).toEqual({ RunningHours: "MON-FRI 07:40-18:15 Europe/Berlin" });
    expect(byPath(parsed, "aws_ecs_service", "service-api/service").tags).toEqual({ RunningHours: "MON-FRI 07:50-18:05 Europe/Berlin" });
    expect(runningShare("MON-FRI 07:40-18:15 Europe/Berlin")).toBeCloseTo((5 * 635) / (7 * 24 * 60), 10);
    expect(runningShare("anything else")).toBe(1);
    const items = estimate(parsed as unknown as StackJson);
    const rds = items.find((i) => i.item.startsWith("RDS PostgreSQL"))!;
    expect(rds.item).toContain("office hours");
    expect(rds.monthly).toBeCloseTo(0.016 * 730 * runningShare("MON-FRI 07:40-18:15 Europe/Berlin") + 20 * 0.115, 6);
  });
});

describe("office hours, by definition", () => {
  it("are absent unless asked for: staging runs around the clock", () => {
    const { parsed } = committedStack("staging");
    expect(resourcesOf(parsed, "aws_appautoscaling_scheduled_action")).toEqual([]);
    expect(resourcesOf(parsed, "aws_cloudwatch_metric_alarm").some((a) => a.lifecycle)).toBe(false);
  });

  it("split past 100 alarms into calls of at most 100 names, as DisableAlarmActions takes", () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ ...worker, name: `w${i}`, connectsTo: [] }));
    const { parsed } = synthInput(
      "dev",
      withServices([{ ...api, secrets: {}, connectsTo: ["database"] }, ...many], {
        database,
        officeHours: { weekdays: "09:00-17:00", timeZone: "UTC" },
      }),
    );
    const calls = resourcesOf(parsed, "aws_scheduler_schedule").filter((s) => /alarms-off-\d$/.test(String(s.name)));
    const names = calls.map((s) => (JSON.parse((s.target as { input: string }).input).AlarmNames as string[]).length);
    expect(calls.length).toBeGreaterThan(1);
    expect(Math.max(...names)).toBeLessThanOrEqual(100);
    expect(names.reduce((a, b) => a + b, 0)).toBe(resourcesOf(parsed, "aws_cloudwatch_metric_alarm").length + 1);
  });
});
