import { join } from "node:path";
import { Testing } from "cdktf";
import { estimate, PRICED_TYPES, pricedResources, total, UNPRICED_TYPES, usd, type StackJson } from "../src/cost/estimate";
import { EnvironmentStack } from "../src/stacks/environment-stack";
import { costChanges, costChangesMarkdown } from "../scripts/lib/cost-diff";
import { readStack } from "../scripts/lib/terraform";
import {
  bareRef,
  committedStack,
  committedEnvironment,
  committedStacksDir,
  SETTINGS,
  ENVIRONMENT_STACKS,
  resourcesOf,
  synthInput,
  withServices,
  api,
  type Statement,
} from "./helpers";
import type { EnvironmentInput } from "../src/config/schema";

describe("the cost estimate is honest", () => {
  const stacksDir = committedStacksDir();
  // What npm run cost estimates: the environments' stacks (not the bootstrap's or the images').
  const types = new Set(ENVIRONMENT_STACKS.flatMap((stack) => Object.keys(readStack(join(stacksDir, stack)).resource)));

  it("prices every resource type the stacks create, or says why it has no standing price", () => {
    const unaccounted = [...types].filter((type) => !(type in PRICED_TYPES) && !(type in UNPRICED_TYPES));
    expect(unaccounted).toEqual([]);
    expect(Object.keys(PRICED_TYPES).filter((type) => type in UNPRICED_TYPES)).toEqual([]);
  });

  it("lists no type the stacks do not create, so the lists stay the stacks' own", () => {
    const unused = [...Object.keys(PRICED_TYPES), ...Object.keys(UNPRICED_TYPES)].filter((type) => !types.has(type));
    expect(unused).toEqual([]);
  });

  /** A stack of one service of 1 vCPU and 2 GiB, `count` tasks, with this platform and strategy. */
  const service = (count: number, platform: object | undefined, strategy: object[] | undefined): StackJson => ({
    resource: {
      aws_ecs_task_definition: { task: { cpu: "1024", memory: "2048", ...(platform ? { runtime_platform: platform } : {}) } },
      aws_ecs_service: {
        svc: {
          task_definition: "${aws_ecs_task_definition.task.arn}",
          desired_count: count,
          ...(strategy ? { capacity_provider_strategy: strategy } : {}),
        },
      },
    },
  });
  const monthly = (tf: StackJson) => Object.fromEntries(estimate(tf).map((i) => [i.item, [i.quantity, Number(i.monthly.toFixed(2))]]));

  it("prices on-demand x86, Graviton and Spot tasks apart, the base on-demand and the rest by weight", () => {
    expect(monthly(service(2, undefined, undefined))).toEqual({
      "Fargate tasks at desired count (on-demand)": ["2 task(s)", Number((2 * 730 * (0.04048 + 2 * 0.004445)).toFixed(2))],
    });
    expect(monthly(service(1, { cpu_architecture: "ARM64", operating_system_family: "LINUX" }, undefined))).toEqual({
      "Fargate tasks at desired count (on-demand, Graviton)": ["1 task(s)", Number((730 * (0.03238 + 2 * 0.00356)).toFixed(2))],
    });
    const arm = { cpu_architecture: "ARM64", operating_system_family: "LINUX" };
    expect(monthly(service(2, arm, [{ capacity_provider: "FARGATE_SPOT", weight: 1 }]))).toEqual({
      "Fargate Spot tasks at desired count (about 30 % of on-demand, Graviton)": [
        "2 task(s)",
        Number((2 * 730 * (0.03238 + 2 * 0.00356) * 0.3).toFixed(2)),
      ],
    });
    const strategy = [
      { capacity_provider: "FARGATE", weight: 50, base: 1 },
      { capacity_provider: "FARGATE_SPOT", weight: 50 },
    ];
    const hourly = 0.04048 + 2 * 0.004445;
    // 5 tasks: 1 base on-demand, then 4 split 50/50.
    expect(monthly(service(5, undefined, strategy))).toEqual({
      "Fargate tasks at desired count (on-demand)": ["3 task(s)", Number((3 * 730 * hourly).toFixed(2))],
      "Fargate Spot tasks at desired count (about 30 % of on-demand)": ["2 task(s)", Number((2 * 730 * hourly * 0.3).toFixed(2))],
    });
    // One task: the base takes it.
    expect(Object.keys(monthly(service(1, undefined, strategy)))).toEqual(["Fargate tasks at desired count (on-demand)"]);
  });
});

describe("VPC endpoints in the estimate", () => {
  it("prices an interface endpoint per AZ it has a network interface in, and a gateway endpoint not at all", () => {
    const tf: StackJson = {
      resource: {
        aws_vpc_endpoint: {
          logs: { vpc_endpoint_type: "Interface", subnet_ids: ["a", "b"] },
          ecr: { vpc_endpoint_type: "Interface", subnet_ids: ["a", "b", "c"] },
          s3: { vpc_endpoint_type: "Gateway", route_table_ids: ["r"] },
        },
      },
    };
    expect(estimate(tf)).toEqual([{ item: "VPC interface endpoint hours, per AZ", quantity: "5 endpoint-AZ(s)", monthly: 5 * 0.01 * 730 }]);
  });
});

describe("the cost of a change (npm run cost -- --base)", () => {
  const item = (name: string, monthly: number, quantity = "1 x") => ({ item: name, quantity, monthly });
  const before = new Map([
    ["dev", [item("NAT gateway hours", 32.85), item("KMS keys", 2, "2 key(s)")]],
    ["qa", [item("KMS keys", 1)]],
    ["prod", [item("KMS keys", 3)]],
  ]);
  const after = new Map([
    ["dev", [item("KMS keys", 3, "3 key(s)"), item("EC2 t4g.nano", 3.07)]],
    ["prod", [item("KMS keys", 3)]],
    ["edge", [item("KMS keys", 1)]],
  ]);
  const changes = costChanges(before, after);

  it("gives each environment's totals on both sides, added and removed ones included, and only the items that moved", () => {
    expect(changes.map((c) => [c.stack, usd(c.before), usd(c.after)])).toEqual([
      ["dev", "$34.85", "$6.07"],
      ["edge", "$0.00", "$1.00"],
      ["prod", "$3.00", "$3.00"],
      ["qa", "$1.00", "$0.00"],
    ]);
    expect(changes[0].items).toEqual([
      { item: "NAT gateway hours", before: 32.85, after: 0, quantity: "1 x" },
      { item: "KMS keys", before: 2, after: 3, quantity: "3 key(s)" },
      { item: "EC2 t4g.nano", before: 0, after: 3.07, quantity: "1 x" },
    ]);
    expect(changes[2].items).toEqual([]);
  });

  it("renders the environments that moved as a Markdown table for the pull request, the others as a count", () => {
    expect(costChangesMarkdown(changes, "origin/main").split("\n")).toEqual([
      "Monthly estimate against `origin/main` (npm run cost -- --base origin/main):",
      "",
      "| environment | before | after | change | items that moved |",
      "| --- | --: | --: | --: | --- |",
      "| dev | $34.85 | $6.07 | -$28.78 | NAT gateway hours $32.85 → $0.00; KMS keys $2.00 → $3.00; EC2 t4g.nano $0.00 → $3.07 |",
      "| edge | $0.00 | $1.00 | +$1.00 | KMS keys $0.00 → $1.00 |",
      "| qa | $1.00 | $0.00 | -$1.00 | KMS keys $1.00 → $0.00 |",
      "",
      "1 other environment(s) unchanged.",
    ]);
    expect(costChangesMarkdown(costChanges(before, before), "HEAD~1")).toContain("No environment's estimate changes.");
  });
});

describe("the monthly cost budget", () => {
  const { parsed } = committedStack("dev");
  const [budget] = resourcesOf(parsed, "aws_budgets_budget");

  it("defaults to the stack's own estimate (without the budget) plus 25 %, in whole dollars, in every environment", () => {
    for (const stack of ENVIRONMENT_STACKS) {
      const tf = committedStack(stack).parsed;
      const withoutBudget = total(estimate(tf).filter((i) => i.item !== "AWS Budgets cost budgets"));
      expect([stack, resourcesOf(tf, "aws_budgets_budget")[0].limit_amount]).toEqual([stack, Math.ceil(withoutBudget * 1.25).toFixed(2)]);
    }
    expect(budget).toMatchObject({ name: "webapp-dev-monthly", budget_type: "COST", time_unit: "MONTHLY", limit_unit: "USD" });
  });

  it("counts the costs tagged for the environment and tells the alarm topic at 80 % actual and 100 % forecast", () => {
    const topic = `\${${bareRef(parsed, "aws_sns_topic", "alarm-topic", "arn")}}`;
    expect(budget.cost_filter).toEqual([{ name: "TagKeyValue", values: ["user:Environment$dev"] }]);
    expect(budget.notification).toEqual([
      expect.objectContaining({
        notification_type: "ACTUAL",
        comparison_operator: "GREATER_THAN",
        threshold: 80,
        subscriber_sns_topic_arns: [topic],
      }),
      expect.objectContaining({
        notification_type: "FORECASTED",
        comparison_operator: "GREATER_THAN",
        threshold: 100,
        subscriber_sns_topic_arns: [topic],
      }),
    ]);
  });

  it("may publish to the encrypted topic: the topic's policy and its key admit this account's budgets", () => {
    const policy = JSON.parse(String(resourcesOf(parsed, "aws_sns_topic_policy")[0].policy)) as { Statement: Statement[] };
    expect(policy.Statement.find((s) => s.Sid === "BudgetsOfThisAccount")).toMatchObject({
      Principal: { Service: "budgets.amazonaws.com" },
      Action: "sns:Publish",
    });
    const keys = resourcesOf(parsed, "aws_kms_key").map((k) => JSON.parse(String(k.policy)) as { Statement: Statement[] });
    expect(keys.flatMap((k) => k.Statement).find((s) => s.Sid === "BudgetsPublishToTheEncryptedAlarmTopic")).toMatchObject({
      Principal: { Service: "budgets.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
    });
  });

  it("exists in every environment", () => {
    for (const stack of ENVIRONMENT_STACKS)
      expect([stack, resourcesOf(committedStack(stack).parsed, "aws_budgets_budget").length]).toEqual([stack, 1]);
  });

  it("prices the stack being built exactly as its synthesized JSON, to the cent (dev)", () => {
    const stack = new EnvironmentStack(Testing.app(), committedEnvironment("dev"), SETTINGS);
    const building = estimate(pricedResources(stack)).filter((i) => i.item !== "AWS Budgets cost budgets");
    const synthesized = estimate(JSON.parse(Testing.synth(stack)) as StackJson).filter((i) => i.item !== "AWS Budgets cost budgets");
    expect(building).toEqual(synthesized);
  });

  it("takes the definition's limit instead", () => {
    const { parsed: set } = synthInput(
      "dev",
      withServices([api], { observability: { monthlyBudgetUsd: 120 } } as Partial<EnvironmentInput>),
    );
    expect(resourcesOf(set, "aws_budgets_budget")[0].limit_amount).toBe("120.00");
  });
});
