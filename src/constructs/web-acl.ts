import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { Wafv2IpSet } from "@cdktf/provider-aws/lib/wafv2-ip-set";
import { Wafv2WebAcl, type Wafv2WebAclRule } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import { MANAGED_RULE_GROUPS, type ManagedRuleGroup, type WafDefinition } from "../config/edge-schema";
import { LOG_RETENTION_REASON, suppressPolicyCheck } from "../policy-suppressions";
import type { MonitoringInventory } from "./monitoring-inventory";

export interface WebAclProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly waf: WafDefinition;
  /**
   * What it protects: the load balancer (a REGIONAL ACL associated with it), or a CloudFront
   * distribution (a CLOUDFRONT ACL in us-east-1, which the distribution names).
   */
  readonly protects: { readonly loadBalancerArn: string } | { readonly distribution: true };
  /** The us-east-1 provider for a CLOUDFRONT ACL, when the stack's region is another. @default the stack's provider */
  readonly usEast1?: AwsProvider;
  /** Encrypts its request log; a key in the ACL's region. @default CloudWatch Logs' own encryption */
  readonly logsKmsKeyArn?: string;
  /** Where it registers for its alarm and dashboard row. @default not watched */
  readonly inventory?: MonitoringInventory;
}

/** The order rules run in: the lists first, then the rate limit, then the managed groups, cheapest first. */
const ORDER: readonly ManagedRuleGroup[] = ["ipReputation", "anonymousIp", "knownBadInputs", "common", "sqlInjection"];

/**
 * AWS WAF: a web ACL on the load balancer (REGIONAL) or for the distribution in front of it
 * (CLOUDFRONT, in us-east-1, which the distribution names) that allows by default and runs, in order, a
 * deny list, an allow list, a rate limit per IP address, and the AWS managed rule groups the
 * definition keeps (each blocking or counting); its request log goes to an `aws-waf-logs-` log
 * group (the name WAF requires) with the authorization and cookie headers redacted.
 */
export class WebAcl extends Construct {
  readonly webAclName: string;
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const { namePrefix, waf } = props;
    const scopeName = "distribution" in props.protects ? "CLOUDFRONT" : "REGIONAL";
    const provider = scopeName === "CLOUDFRONT" && props.usEast1 ? { provider: props.usEast1 } : {};
    const name = `${namePrefix}-web`;
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });
    const ipSet = (list: "allow" | "deny", addresses: readonly string[]) =>
      new Wafv2IpSet(this, `${list}-list`, {
        ...provider,
        name: `${namePrefix}-${list}`,
        description: `${namePrefix}: addresses the web ACL ${list === "allow" ? "lets past its rules" : "always blocks"}`,
        scope: scopeName,
        ipAddressVersion: "IPV4",
        addresses: [...addresses],
      });

    const rules: Wafv2WebAclRule[] = [];
    const rule = (ruleName: string, body: Omit<Wafv2WebAclRule, "name" | "priority" | "visibilityConfig">) =>
      rules.push({ name: ruleName, priority: rules.length, visibilityConfig: visibility(`${namePrefix}-${ruleName}`), ...body });
    if (waf.denyCidrs.length) {
      const deny = ipSet("deny", waf.denyCidrs);
      rule("deny-list", { action: { block: {} }, statement: { ip_set_reference_statement: { arn: deny.arn } } });
    }
    if (waf.allowCidrs.length) {
      const allow = ipSet("allow", waf.allowCidrs);
      rule("allow-list", { action: { allow: {} }, statement: { ip_set_reference_statement: { arn: allow.arn } } });
    }
    rule("rate-per-ip", {
      action: waf.rateLimitMode === "block" ? { block: {} } : { count: {} },
      statement: { rate_based_statement: { limit: waf.rateLimitPer5Minutes, aggregate_key_type: "IP", evaluation_window_sec: 300 } },
    });
    for (const group of ORDER) {
      const mode = waf.ruleGroups[group];
      if (mode === "off") continue;
      rule(MANAGED_RULE_GROUPS[group], {
        overrideAction: mode === "block" ? { none: {} } : { count: {} },
        statement: {
          managed_rule_group_statement: {
            name: MANAGED_RULE_GROUPS[group],
            vendor_name: "AWS",
            // Cloud hosts send webhooks and API calls: counted, never blocked.
            ...(group === "anonymousIp" ? { rule_action_override: [{ name: "HostingProviderIPList", action_to_use: { count: {} } }] } : {}),
          },
        },
      });
    }

    const acl = new Wafv2WebAcl(this, "acl", {
      ...provider,
      name,
      description: `${namePrefix}: managed rule groups, a rate limit per IP address and address lists in front of the ${scopeName === "CLOUDFRONT" ? "distribution" : "load balancer"}`,
      scope: scopeName,
      defaultAction: { allow: {} },
      rule: rules,
      visibilityConfig: visibility(name),
    });
    this.webAclName = acl.name;
    this.webAclArn = acl.arn;
    if (waf.ruleGroups.knownBadInputs === "count")
      suppressPolicyCheck(
        acl,
        "CKV_AWS_192",
        "known bad inputs (Log4Shell among them) count for a rollout: edge.waf.ruleGroups.knownBadInputs",
      );
    if ("loadBalancerArn" in props.protects)
      new Wafv2WebAclAssociation(this, "association", { resourceArn: props.protects.loadBalancerArn, webAclArn: acl.arn });

    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      ...provider,
      // WAF logs only to log groups whose names start with aws-waf-logs-.
      name: `aws-waf-logs-${namePrefix}`,
      retentionInDays: waf.logRetentionDays,
      ...(props.logsKmsKeyArn ? { kmsKeyId: props.logsKmsKeyArn } : {}),
    });
    if (waf.logRetentionDays < 365) suppressPolicyCheck(logGroup, "CKV_AWS_338", LOG_RETENTION_REASON);
    new Wafv2WebAclLoggingConfiguration(this, "logging", {
      ...provider,
      resourceArn: acl.arn,
      logDestinationConfigs: [logGroup.arn],
      redactedFields: [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "cookie" } }],
    });

    props.inventory?.register({ kind: "webAcl", name, scope: scopeName, region: props.region });
  }
}
