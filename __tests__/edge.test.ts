import { estimate, type StackJson } from "../src/cost/estimate";
import { api, bareRef, byDataPath, byPath, committedStackFile, dataRef, ref, resourcesOf, synthInput, withServices } from "./helpers";

type Rule = {
  name: string;
  priority: number;
  action?: Record<string, unknown>;
  override_action?: Record<string, unknown>;
  statement: Record<string, Record<string, unknown>>;
  visibility_config: Record<string, unknown>;
};
type Skips = { "//"?: { checkov?: { skip?: { id: string; reason: string }[] } } };

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
    const reasons = (stack: string) => {
      const [lb] = Object.values(committedStackFile(stack).resource.aws_lb) as Skips[];
      return (lb["//"]?.checkov?.skip ?? []).filter((s) => s.id === "CKV2_AWS_28").map((s) => s.reason);
    };
    expect(reasons("dev")).toEqual([expect.stringMatching(/^no WAF web ACL/)]);
    // Behind CloudFront the web ACL is on the distribution, and the load balancer takes only its traffic.
    expect(reasons("prod")).toEqual([expect.stringMatching(/^reached only through CloudFront/)]);
  });

  it("is priced: $5 for the web ACL and $1 a rule", () => {
    const item = estimate(parsed as unknown as StackJson).find((i) => i.item.startsWith("AWS WAF"))!;
    expect(item).toEqual({ item: "AWS WAF web ACL and its 8 rules", quantity: "1 web ACL", monthly: 13 });
  });
});

const frontend = {
  name: "frontend",
  role: "web",
  image: { tag: "1" },
  cpu: 256,
  memory: 512,
  port: 3000,
  routing: { paths: ["/*"], priority: 100 },
};
const domain = { name: "app.example.com", hostedZone: "example.com" };
const fronted = (region: string, edge: Record<string, unknown> = { cdn: { cachePaths: ["/assets/*"] }, waf: {} }) =>
  withServices([{ ...api, secrets: {} }, frontend], { region, alb: { domain }, edge } as never);

describe("CloudFront in front of the load balancer (edge.cdn)", () => {
  const { parsed } = synthInput("dev", fronted("us-east-1"));
  const distribution = byPath(parsed, "aws_cloudfront_distribution", "cdn/distribution");
  type Behavior = Record<string, unknown> & { path_pattern?: string };

  it("serves the environment's name over TLS 1.2+, HTTP/2 and HTTP/3, with the load balancer's us-east-1 certificate", () => {
    expect(distribution).toMatchObject({
      aliases: ["app.example.com"],
      enabled: true,
      http_version: "http2and3",
      is_ipv6_enabled: true,
      price_class: "PriceClass_100",
      viewer_certificate: {
        acm_certificate_arn: ref(parsed, "aws_acm_certificate_validation", "alb/certificate-validation", "certificate_arn"),
        ssl_support_method: "sni-only",
        minimum_protocol_version: "TLSv1.2_2021",
      },
    });
    // The load balancer's certificate covers the name users ask for (CloudFront forwards their Host) and the origin's.
    expect(byPath(parsed, "aws_acm_certificate", "alb/certificate")).toMatchObject({
      domain_name: "app.example.com",
      subject_alternative_names: ["origin.app.example.com"],
    });
    expect(resourcesOf(parsed, "aws_route53_record").filter((r) => String(r.name).includes("resource_record_name"))).toHaveLength(2);
    expect(parsed.provider.aws).toHaveLength(1);
  });

  it("reaches the load balancer over HTTPS only, on its own name, with the secret origin header", () => {
    const [origin] = distribution.origin as Record<string, unknown>[];
    expect(origin).toMatchObject({
      domain_name: "origin.app.example.com",
      custom_origin_config: { origin_protocol_policy: "https-only", origin_ssl_protocols: ["TLSv1.2"], https_port: 443 },
      custom_header: [
        { name: "X-Origin-Verify", value: dataRef(parsed, "aws_secretsmanager_secret_version", "origin-header/current", "secret_string") },
      ],
    });
    // The value is drawn by Secrets Manager and written write-only: no literal in the JSON.
    expect(byPath(parsed, "aws_secretsmanager_secret_version", "origin-header/version")).toMatchObject({
      secret_string_wo: expect.stringMatching(/^\$\{ephemeral\.aws_secretsmanager_random_password\./),
    });
    expect(byPath(parsed, "aws_route53_record", "alb/alias")).toMatchObject({ name: "origin.app.example.com" });
    for (const type of ["A", "AAAA"])
      expect(byPath(parsed, "aws_route53_record", `cdn/alias-${type}`)).toMatchObject({
        name: "app.example.com",
        type,
        alias: { name: ref(parsed, "aws_cloudfront_distribution", "cdn/distribution", "domain_name"), zone_id: "Z2FDTNDATAQYW2" },
      });
  });

  it("derives its behaviours from the routing: static paths cached first, the routed API paths and the default uncached with everything the viewer sent", () => {
    const ordered = distribution.ordered_cache_behavior as Behavior[];
    expect(ordered.map((b) => b.path_pattern)).toEqual(["/assets/*", "/api/*"]);
    expect(ordered[0]).toMatchObject({
      allowed_methods: ["GET", "HEAD"],
      cache_policy_id: "658327ea-f89d-4fab-a63d-7e88639e58f6",
      compress: true,
      viewer_protocol_policy: "redirect-to-https",
    });
    expect(ordered[0].origin_request_policy_id).toBeUndefined();
    for (const behavior of [ordered[1], distribution.default_cache_behavior as Behavior])
      expect(behavior).toMatchObject({
        allowed_methods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
        cache_policy_id: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        origin_request_policy_id: "216adef6-5c7f-47e4-b989-5492eafa07d3",
      });
    for (const behavior of [...ordered, distribution.default_cache_behavior as Behavior])
      expect(behavior.response_headers_policy_id).toBe("67f7725c-6f97-4210-82d7-5512b31e9d03");
  });

  it("lets only CloudFront's origin-facing addresses reach the load balancer, on 443, and nothing from 0.0.0.0/0", () => {
    const ingress = resourcesOf(parsed, "aws_vpc_security_group_ingress_rule").filter(
      (r) => r.security_group_id === ref(parsed, "aws_security_group", "alb/sg"),
    );
    expect(ingress).toEqual([
      expect.objectContaining({
        prefix_list_id: dataRef(parsed, "aws_ec2_managed_prefix_list", "alb/cloudfront-origin-facing", "id"),
        from_port: 443,
        to_port: 443,
      }),
    ]);
    expect(byDataPath(parsed, "aws_ec2_managed_prefix_list", "alb/cloudfront-origin-facing")).toEqual({
      name: "com.amazonaws.global.cloudfront.origin-facing",
    });
    expect(resourcesOf(parsed, "aws_lb_listener").map((l) => l.port)).toEqual([443]);
  });

  it("forwards only requests carrying the origin header, and answers the rest 403", () => {
    const header = dataRef(parsed, "aws_secretsmanager_secret_version", "origin-header/current", "secret_string");
    for (const service of ["api", "frontend"])
      expect(byPath(parsed, "aws_lb_listener_rule", `service-${service}/rule`).condition).toContainEqual({
        http_header: { http_header_name: "X-Origin-Verify", values: [header] },
      });
    expect(byPath(parsed, "aws_lb_listener", "alb/https").default_action).toEqual([
      { type: "fixed-response", fixed_response: { content_type: "text/plain", message_body: "Forbidden", status_code: "403" } },
    ]);
  });

  it("puts the web ACL on the distribution (CLOUDFRONT scope), logs it and alarms on it in us-east-1's terms", () => {
    expect(byPath(parsed, "aws_wafv2_web_acl", "waf/acl")).toMatchObject({ scope: "CLOUDFRONT" });
    expect(distribution.web_acl_id).toBe(ref(parsed, "aws_wafv2_web_acl", "waf/acl", "arn"));
    expect(resourcesOf(parsed, "aws_wafv2_web_acl_association")).toEqual([]);
    expect(resourcesOf(parsed, "aws_wafv2_web_acl_logging_configuration")).toHaveLength(1);
    const alarm = resourcesOf(parsed, "aws_cloudwatch_metric_alarm").find((a) => a.alarm_name === "webapp-dev-waf-blocked")!;
    expect(alarm.dimensions).toEqual({ WebACL: "webapp-dev-web", Rule: "ALL" });
  });

  it("logs requests by standard logging v2 to a log group, and alarms on its 5xx rate", () => {
    expect(byPath(parsed, "aws_cloudwatch_log_delivery_source", "cdn/log-source")).toMatchObject({
      log_type: "ACCESS_LOGS",
      resource_arn: ref(parsed, "aws_cloudfront_distribution", "cdn/distribution", "arn"),
    });
    expect(byPath(parsed, "aws_cloudwatch_log_delivery_destination", "cdn/log-destination")).toMatchObject({
      delivery_destination_configuration: [{ destination_resource_arn: ref(parsed, "aws_cloudwatch_log_group", "cdn/log-group", "arn") }],
    });
    expect(byPath(parsed, "aws_cloudwatch_log_group", "cdn/log-group")).toMatchObject({
      name: "/cloudfront/webapp-dev",
      retention_in_days: 90,
      kms_key_id: ref(parsed, "aws_kms_key", "telemetry-key", "arn"),
    });
    const alarm = resourcesOf(parsed, "aws_cloudwatch_metric_alarm").find((a) => a.alarm_name === "webapp-dev-cdn-5xx-rate")!;
    expect(alarm).toMatchObject({
      namespace: "AWS/CloudFront",
      metric_name: "5xxErrorRate",
      dimensions: { DistributionId: ref(parsed, "aws_cloudfront_distribution", "cdn/distribution") },
    });
    expect(alarm.dimensions).toMatchObject({ Region: "Global" });
  });

  it("moves the name to the distribution only after the load balancer's record has left it, and rotates the header by its version", () => {
    const albRecord = bareRef(parsed, "aws_route53_record", "alb/alias").replace(/\.id$/, "");
    for (const type of ["A", "AAAA"]) expect(byPath(parsed, "aws_route53_record", `cdn/alias-${type}`).depends_on).toEqual([albRecord]);
    expect(byPath(parsed, "aws_secretsmanager_secret_version", "origin-header/version").secret_string_wo_version).toBe(1);
    const { parsed: rotated } = synthInput("dev", fronted("us-east-1", { cdn: { originHeaderVersion: 2 } }));
    expect(byPath(rotated, "aws_secretsmanager_secret_version", "origin-header/version").secret_string_wo_version).toBe(2);
  });

  it("serves IPv4 only while the web ACL's address lists, which are IPv4, guard it", () => {
    const { parsed: listed } = synthInput("dev", fronted("us-east-1", { cdn: {}, waf: { denyCidrs: ["203.0.113.0/24"] } }));
    expect(byPath(listed, "aws_cloudfront_distribution", "cdn/distribution").is_ipv6_enabled).toBe(false);
    expect(resourcesOf(listed, "aws_route53_record").filter((r) => r.type === "AAAA")).toEqual([]);
  });

  it.each(["prod", "autoblog-ecs", "portfolio"])("%s: its load balancer is reachable from CloudFront only, not from 0.0.0.0/0", (stack) => {
    const tf = committedStackFile(stack);
    const albGroup = ref(tf, "aws_security_group", "alb/sg");
    const ingress = resourcesOf(tf, "aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === albGroup);
    expect(ingress.map((r) => [r.prefix_list_id, r.cidr_ipv4, r.from_port])).toEqual([
      [dataRef(tf, "aws_ec2_managed_prefix_list", "alb/cloudfront-origin-facing", "id"), undefined, 443],
    ]);
    expect(resourcesOf(tf, "aws_cloudfront_distribution")).toHaveLength(1);
  });

  it("outside us-east-1, puts the certificate, distribution, web ACL, logs and their alarms in us-east-1 through a second provider", () => {
    const { parsed: eu } = synthInput("dev", fronted("eu-west-1"));
    const providers = eu.provider.aws as { alias?: string; region: string }[];
    expect(providers.map((p) => [p.alias, p.region])).toEqual([
      [undefined, "eu-west-1"],
      ["us-east-1", "us-east-1"],
    ]);
    const east = "aws.us-east-1";
    expect(byPath(eu, "aws_acm_certificate", "cdn/certificate")).toMatchObject({ provider: east, domain_name: "app.example.com" });
    expect(byPath(eu, "aws_acm_certificate_validation", "cdn/certificate-validation")).toMatchObject({ provider: east });
    const cdn = byPath(eu, "aws_cloudfront_distribution", "cdn/distribution");
    expect(cdn).toMatchObject({
      provider: east,
      viewer_certificate: {
        acm_certificate_arn: ref(eu, "aws_acm_certificate_validation", "cdn/certificate-validation", "certificate_arn"),
      },
    });
    for (const [type, path] of [
      ["aws_wafv2_web_acl", "waf/acl"],
      ["aws_wafv2_web_acl_logging_configuration", "waf/logging"],
      ["aws_cloudwatch_log_group", "waf/log-group"],
      ["aws_cloudwatch_log_group", "cdn/log-group"],
      ["aws_cloudwatch_log_delivery_source", "cdn/log-source"],
      ["aws_kms_key", "telemetry-key-us-east-1"],
      ["aws_sns_topic", "alarm-topic-us-east-1/topic"],
    ])
      expect(byPath(eu, type, path)).toMatchObject({ provider: east });
    expect(byPath(eu, "aws_cloudwatch_log_group", "cdn/log-group").kms_key_id).toBe(
      ref(eu, "aws_kms_key", "telemetry-key-us-east-1", "arn"),
    );
    const alarms = resourcesOf(eu, "aws_cloudwatch_metric_alarm");
    const eastTopic = ref(eu, "aws_sns_topic", "alarm-topic-us-east-1/topic", "arn");
    for (const name of ["webapp-dev-cdn-5xx-rate", "webapp-dev-waf-blocked"])
      expect(alarms.find((a) => a.alarm_name === name)).toMatchObject({ provider: east, alarm_actions: [eastTopic] });
    // A composite alarm watches its own region's alarms only.
    expect(String(byPath(eu, "aws_cloudwatch_composite_alarm", "alarms/service-health").alarm_rule)).not.toMatch(/cdn-5xx|waf-blocked/);
    // The load balancer, its certificate and the origin header stay in the environment's region.
    expect(byPath(eu, "aws_lb", "alb").provider).toBeUndefined();
    expect(byPath(eu, "aws_acm_certificate", "alb/certificate").provider).toBeUndefined();
  });
});
