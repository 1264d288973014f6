import { z } from "zod";
import { cidrBlock } from "./fields";
import { retentionDays, retentionDescription } from "./log-retention";

/** The AWS managed rule groups a web ACL may run, by the name a definition uses. */
export const MANAGED_RULE_GROUPS = {
  ipReputation: "AWSManagedRulesAmazonIpReputationList",
  anonymousIp: "AWSManagedRulesAnonymousIpList",
  knownBadInputs: "AWSManagedRulesKnownBadInputsRuleSet",
  common: "AWSManagedRulesCommonRuleSet",
  sqlInjection: "AWSManagedRulesSQLiRuleSet",
} as const;
export type ManagedRuleGroup = keyof typeof MANAGED_RULE_GROUPS;

/** WAF's RateBasedStatement.Limit: 10 to 2,000,000,000 requests per evaluation window. */
export const MIN_RATE_LIMIT = 10;
const MAX_RATE_LIMIT = 2_000_000_000;
/** IPSet.Addresses holds at most 10,000 addresses. */
const MAX_IP_SET_ADDRESSES = 10_000;

const mode = z.enum(["block", "count"], { error: "must be one of: block, count" });
const modeOrOff = z.enum(["block", "count", "off"], { error: "must be one of: block, count, off" });
const wafCidr = cidrBlock.refine((cidr) => !cidr.endsWith("/0"), "must not be /0: WAF's IP sets take /1 to /32");
const addresses = z.array(wafCidr).max(MAX_IP_SET_ADDRESSES, `holds at most ${MAX_IP_SET_ADDRESSES} addresses (an IP set's limit)`);

export const wafSchema = z
  .strictObject({
    ruleGroups: z
      .strictObject({
        ipReputation: mode.default("block").describe("Amazon's IP reputation list: addresses known for bots and attacks."),
        anonymousIp: mode
          .default("block")
          .describe(
            "Anonymizers (Tor exits, VPNs, proxies) blocked; requests from cloud hosting providers only counted, so webhooks and API clients running in a cloud still reach the product.",
          ),
        knownBadInputs: mode.default("block").describe("Request patterns known to exploit software (Log4j/Log4Shell and others)."),
        common: mode
          .default("block")
          .describe("The core rule set: the OWASP Top 10's common attack patterns, oversized bodies and headers."),
        sqlInjection: modeOrOff.default("off").describe("SQL injection patterns in the query, body and cookies."),
      })
      .default({ ipReputation: "block", anonymousIp: "block", knownBadInputs: "block", common: "block", sqlInjection: "off" })
      .describe(
        "The AWS managed rule groups and what each does with a match: block, or count (it only counts, to see what it would block before it does). Default: all block, sqlInjection off.",
      ),
    rateLimitPer5Minutes: z
      .number()
      .int()
      .min(MIN_RATE_LIMIT, `must be at least ${MIN_RATE_LIMIT}, WAF's minimum`)
      .max(MAX_RATE_LIMIT)
      .default(2000)
      .describe(
        `Requests one IP address may send in 5 minutes before its further requests are blocked (at least ${MIN_RATE_LIMIT}). Default: 2000.`,
      ),
    rateLimitMode: mode.default("block").describe("What the rate rule does past the limit: block, or count. Default: block."),
    allowCidrs: addresses
      .default([])
      .describe("Addresses whose requests skip every rule but the deny list (an office, a monitoring service). Default: none."),
    denyCidrs: addresses.default([]).describe("Addresses whose requests are always blocked. Default: none."),
    allowCountInProduction: z
      .boolean()
      .default(false)
      .describe(
        "Lets a production definition count with a rule group or the rate rule instead of blocking, for a rollout. Default: false.",
      ),
    logRetentionDays: retentionDays
      .default(90)
      .describe(retentionDescription("the web ACL's request log (aws-waf-logs-<project>-<environment>)")),
  })
  .describe(
    "AWS WAF in front of the product: a web ACL on the load balancer (REGIONAL), or on the distribution with edge.cdn (CLOUDFRONT, in us-east-1), with AWS managed rule groups, a rate limit per IP address, allow and deny lists (IPv4), and a log of the requests it matched with the authorization and cookie headers redacted.",
  );

/** CloudFront's cache behaviours per distribution (a quota AWS raises on request). */
export const MAX_CACHE_BEHAVIORS = 25;
/** CloudFront's origin-facing prefix list counts as this many rules in a security group (VPC docs, managed prefix list weight). */
const CLOUDFRONT_PREFIX_LIST_WEIGHT = 55;
/** Inbound rules a security group takes by default (VPC quota L-0EA8095F). */
const SECURITY_GROUP_INBOUND_RULES = 60;
/** The host name CloudFront reaches the load balancer on, under the environment's domain. */
export const originHostName = (domainName: string): string => `origin.${domainName}`;

export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;

export const cdnSchema = z
  .strictObject({
    cachePaths: z
      .array(
        z
          .string()
          .regex(/^\/[\w\-./*?]*$/, "must be a URL path pattern starting with /")
          .max(255),
      )
      .max(MAX_CACHE_BEHAVIORS)
      .default([])
      .describe(
        "Path patterns of static files CloudFront caches (by the managed CachingOptimized policy), like /assets/*. They must lie outside every path a service's routing names, which are the product's API and are never cached; the catch-all /* is no API. Default: none, nothing cached.",
      ),
    priceClass: z
      .enum(PRICE_CLASSES, { error: `must be one of: ${PRICE_CLASSES.join(", ")}` })
      .default("PriceClass_100")
      .describe(
        "The edge locations that serve users: PriceClass_100 (North America, Europe, Israel), PriceClass_200 (and most of Asia, Africa, the Middle East), PriceClass_All. Default: PriceClass_100.",
      ),
    logRetentionDays: retentionDays
      .default(90)
      .describe(retentionDescription("the distribution's access log (/cloudfront/<project>-<environment>, in us-east-1)")),
    originHeaderVersion: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe(
        "Bump to rotate the secret header CloudFront sends the load balancer: a new value is drawn, and the distribution and the listener rules take it in the same apply. Default: 1.",
      ),
  })
  .describe(
    "CloudFront in front of the load balancer, on alb.domain's name: HTTP/2 and HTTP/3, TLS 1.2 or later, compression, AWS's security headers, cache behaviours from the services' routing; the load balancer then admits only CloudFront's addresses and requests carrying the distribution's secret origin header.",
  );

export const edgeSchema = z
  .strictObject({
    cdn: cdnSchema.optional().describe("A CloudFront distribution in front of the load balancer. Default: none."),
    waf: wafSchema
      .optional()
      .describe("A web ACL: on the distribution (CLOUDFRONT scope, in us-east-1) with a cdn, else on the load balancer. Default: none."),
  })
  .describe("What stands in front of the load balancer: CloudFront and AWS WAF. ECS environments only.");

export type WafDefinition = z.output<typeof wafSchema>;
export type CdnDefinition = z.output<typeof cdnSchema>;
export type EdgeDefinition = z.output<typeof edgeSchema>;

/** Issues of the edge against the rest of the definition. */
export function edgeIssues(
  env: {
    readonly production: boolean;
    readonly singleHost?: unknown;
    readonly services: readonly {
      readonly name: string;
      readonly role: string;
      readonly routing?: { readonly paths: readonly string[]; readonly hosts: readonly string[] };
      readonly deployment?: string;
    }[];
    readonly region: string;
    readonly officeHours?: unknown;
    readonly alb?: { readonly domain?: { readonly name: string }; readonly testListenerCidrs?: readonly string[] };
    readonly edge?: EdgeDefinition;
  },
  issue: (path: (string | number)[], message: string) => void,
): void {
  const waf = env.edge?.waf;
  if (!env.edge) return;
  if (env.singleHost)
    issue(
      ["edge"],
      "AWS WAF attaches to a load balancer, API Gateway or CloudFront, and a single host has none of them; CloudFront in front of it would have to reach Caddy over HTTPS on a name whose certificate Caddy can no longer renew once only CloudFront may reach port 80: run it as an ECS environment for an edge",
    );
  else if (!env.services.some((svc) => svc.role === "web"))
    issue(["edge"], "protects the load balancer, and this environment has no web service");
  if (env.edge.cdn) cdnIssues(env, env.edge.cdn, issue);
  if (!waf) return;
  if (env.production && !waf.allowCountInProduction) {
    const counting = [
      ...Object.entries(waf.ruleGroups)
        .filter(([, m]) => m === "count")
        .map(([group]) => `ruleGroups.${group}`),
      ...(waf.rateLimitMode === "count" ? ["rateLimitMode"] : []),
    ];
    if (counting.length)
      issue(
        ["edge", "waf"],
        `${counting.join(", ")} only count in production, where they should block; set allowCountInProduction for a rollout`,
      );
  }
  const both = waf.allowCidrs.filter((cidr) => waf.denyCidrs.includes(cidr));
  if (both.length) issue(["edge", "waf", "allowCidrs"], `${both.join(", ")} also in denyCidrs: the deny list wins, remove one`);
}

/** A path pattern's fixed beginning: what every path it matches starts with. */
const fixedPrefix = (pattern: string): string => pattern.split(/[*?]/)[0];

function cdnIssues(
  env: Parameters<typeof edgeIssues>[0],
  cdn: CdnDefinition,
  issue: (path: (string | number)[], message: string) => void,
): void {
  const domain = env.alb?.domain?.name;
  if (!domain)
    issue(
      ["edge", "cdn"],
      `needs alb.domain: CloudFront serves the environment's name with a certificate for it, and reaches the load balancer over HTTPS on ${originHostName("<name>")}`,
    );
  const routes = env.services.flatMap((svc) => (svc.routing?.paths ?? []).map((path) => ({ service: svc.name, path })));
  cdn.cachePaths.forEach((cachePath, i) => {
    // Either may hold the other: CloudFront takes the first match, and cached paths come first.
    const overlaps = (path: string) =>
      path === cachePath ||
      (path !== "/*" && (cachePath.startsWith(fixedPrefix(path)) || fixedPrefix(path).startsWith(fixedPrefix(cachePath))));
    const api = routes.find(({ path }) => overlaps(path));
    if (api)
      issue(
        ["edge", "cdn", "cachePaths", i],
        `${cachePath} overlaps ${api.path}, which the ${api.service} service routes: a service's routes are API paths, never cached; name static files outside them`,
      );
  });
  const behaviors = new Set([...cdn.cachePaths, ...routes.map((r) => r.path).filter((path) => path !== "/*")]);
  if (behaviors.size > MAX_CACHE_BEHAVIORS)
    issue(
      ["edge", "cdn"],
      `${behaviors.size} cache behaviours (cachePaths and routed paths); a distribution takes ${MAX_CACHE_BEHAVIORS} unless AWS raises the quota`,
    );
  // The prefix list weighs 55 of a security group's 60 inbound rules; the test listener takes the VPC's and each CIDR's.
  const testRules = env.services.some((svc) => svc.deployment === "blueGreen") ? 1 + (env.alb?.testListenerCidrs?.length ?? 0) : 0;
  if (CLOUDFRONT_PREFIX_LIST_WEIGHT + testRules > SECURITY_GROUP_INBOUND_RULES)
    issue(
      ["alb", "testListenerCidrs"],
      `${testRules} test listener rules beside CloudFront's prefix list (${CLOUDFRONT_PREFIX_LIST_WEIGHT} rules) exceed the ${SECURITY_GROUP_INBOUND_RULES} inbound rules a security group takes: at most ${SECURITY_GROUP_INBOUND_RULES - CLOUDFRONT_PREFIX_LIST_WEIGHT - 1} CIDRs`,
    );
  if (env.officeHours && env.region !== "us-east-1")
    issue(
      ["officeHours"],
      "with edge.cdn outside us-east-1 the CloudFront and WAF alarms live in us-east-1, where office hours do not turn their actions off: they would page every night",
    );
  env.services.forEach((svc, i) => {
    if (!svc.routing) return;
    // Cached requests reach the load balancer with the origin's name as their Host, the others with the viewer's.
    if (svc.routing.hosts.length)
      issue(
        ["services", i, "routing", "hosts"],
        `behind edge.cdn the load balancer is reached only through CloudFront, which serves one name and sends cached requests under the origin's: route by path`,
      );
  });
}
