import { estimate, type StackJson } from "../src/cost/estimate";
import { api, byPath, committedStackFile, ref, resourcesOf, synthInput, withServices } from "./helpers";

type Rule = {
  name: string;
  priority: number;
  action?: Record<string, unknown>;
  override_action?: Record<string, unknown>;
  statement: Record<string, Record<string, unknown>>;
  visibility_config: Record<string, unknown>;
};
type Skips = { "//"?: { checkov?: { skip?: { id: string }[] } } };

const waf = (fields: Record<string, unknown> = {}) => withServices([{ ...api, secrets: {} }], { edge: { waf: fields } } as never);

describe("AWS WAF on the load balancer (edge.waf)", () => {
  const { parsed } = synthInput(
    "dev",
    waf({ allowCidrs: ["198.51.100.0/24"], denyCidrs: ["203.0.113.7/32"], ruleGroups: { common: "count", sqlInjection: "block" } }),
  );
  const acl = byPath(parsed, "aws_wafv2_web_acl", "waf/acl");
  const rules = acl.rule as Rule[];

  it("allows by default and runs the deny list, the allow list, the rate limit, then the managed groups, each with its own metric", () => {
    expect(acl).toMatchObject({ name: "webapp-dev-web", scope: "REGIONAL", default_action: { allow: {} } });
    expect(rules.map((r) => [r.priority, r.name])).toEqual([
      [0, "deny-list"],
      [1, "allow-list"],
      [2, "rate-per-ip"],
      [3, "AWSManagedRulesAmazonIpReputationList"],
      [4, "AWSManagedRulesAnonymousIpList"],
      [5, "AWSManagedRulesKnownBadInputsRuleSet"],
      [6, "AWSManagedRulesCommonRuleSet"],
      [7, "AWSManagedRulesSQLiRuleSet"],
    ]);
    for (const rule of rules)
      expect(rule.visibility_config).toEqual({
        cloudwatch_metrics_enabled: true,
        metric_name: `webapp-dev-${rule.name}`,
        sampled_requests_enabled: true,
      });
  });

  it("blocks the deny list, lets the allow list past, and limits each address to the definition's rate", () => {
    expect(rules[0]).toMatchObject({
      action: { block: {} },
      statement: { ip_set_reference_statement: { arn: ref(parsed, "aws_wafv2_ip_set", "waf/deny-list", "arn") } },
    });
    expect(rules[1]).toMatchObject({ action: { allow: {} } });
    expect(rules[2]).toMatchObject({
      action: { block: {} },
      statement: { rate_based_statement: { limit: 2000, aggregate_key_type: "IP", evaluation_window_sec: 300 } },
    });
    expect(byPath(parsed, "aws_wafv2_ip_set", "waf/deny-list")).toMatchObject({
      scope: "REGIONAL",
      ip_address_version: "IPV4",
      addresses: ["203.0.113.7/32"],
    });
  });

  it("runs each managed group blocking or counting, as the definition says", () => {
    expect(rules[3]).toMatchObject({
      override_action: { none: {} },
      statement: { managed_rule_group_statement: { name: "AWSManagedRulesAmazonIpReputationList", vendor_name: "AWS" } },
    });
    expect(rules[6].override_action).toEqual({ count: {} });
    // Anonymizers are blocked; cloud hosts (webhooks, API clients) only counted.
    expect(rules[4].statement.managed_rule_group_statement.rule_action_override).toEqual([
      { name: "HostingProviderIPList", action_to_use: { count: {} } },
    ]);
    const defaults = byPath(synthInput("dev", waf()).parsed, "aws_wafv2_web_acl", "waf/acl").rule as Rule[];
    expect(defaults.map((r) => r.name)).not.toContain("AWSManagedRulesSQLiRuleSet");
  });

  it("protects the load balancer and logs to an aws-waf-logs- group under the telemetry key, without the authorization and cookie headers", () => {
    expect(byPath(parsed, "aws_wafv2_web_acl_association", "waf/association")).toEqual({
      resource_arn: ref(parsed, "aws_lb", "alb", "arn"),
      web_acl_arn: ref(parsed, "aws_wafv2_web_acl", "waf/acl", "arn"),
    });
    const group = byPath(parsed, "aws_cloudwatch_log_group", "waf/log-group");
    expect(group).toMatchObject({
      name: "aws-waf-logs-webapp-dev",
      retention_in_days: 90,
      kms_key_id: expect.stringContaining("telemetry"),
    });
    expect(byPath(parsed, "aws_wafv2_web_acl_logging_configuration", "waf/logging")).toMatchObject({
      log_destination_configs: [ref(parsed, "aws_cloudwatch_log_group", "waf/log-group", "arn")],
      redacted_fields: [{ single_header: { name: "authorization" } }, { single_header: { name: "cookie" } }],
    });
  });

  it("alarms on a spike of blocked requests, and the policy scan's no-WAF gap is gone", () => {
    const alarm = resourcesOf(parsed, "aws_cloudwatch_metric_alarm").find((a) => a.alarm_name === "webapp-dev-waf-blocked")!;
    expect(alarm).toMatchObject({
      namespace: "AWS/WAFV2",
      metric_name: "BlockedRequests",
      threshold: 500,
      dimensions: { WebACL: "webapp-dev-web", Region: "us-east-1", Rule: "ALL" },
    });
    // The policy scan reads the app's own synth, which keeps the suppressions Testing.synth drops.
    const skips = (stack: string) => {
      const [lb] = Object.values(committedStackFile(stack).resource.aws_lb) as Skips[];
      return (lb["//"]?.checkov?.skip ?? []).map((s) => s.id);
    };
    expect(skips("portfolio")).not.toContain("CKV2_AWS_28");
    expect(skips("dev")).toContain("CKV2_AWS_28");
  });

  it("is priced: $5 for the web ACL and $1 a rule", () => {
    const item = estimate(parsed as unknown as StackJson).find((i) => i.item.startsWith("AWS WAF"))!;
    expect(item).toEqual({ item: "AWS WAF web ACL and its 8 rules", quantity: "1 web ACL", monthly: 13 });
  });
});
