import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { CloudfrontDistribution, type CloudfrontDistributionOrderedCacheBehavior } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudwatchLogDelivery } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery";
import { CloudwatchLogDeliveryDestination } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination";
import { CloudwatchLogDeliverySource } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-source";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { CdnDefinition } from "../config/edge-schema";
import { LOG_RETENTION_REASON, suppressPolicyCheck } from "../policy-suppressions";
import type { MonitoringInventory } from "./monitoring-inventory";

/**
 * CloudFront's managed policies, by their documented ids (the same in every account; the
 * provider's lookups by name call APIs the local AWS lacks, and the ids never change).
 */
export const MANAGED_POLICIES = {
  /** Caches by path and the compressed variants only, for a day by default. */
  cachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
  /** Forwards every viewer header (Host included), cookie and query string. */
  allViewer: "216adef6-5c7f-47e4-b989-5492eafa07d3",
  /** HSTS (one year), X-Content-Type-Options, X-Frame-Options, Referrer-Policy, X-XSS-Protection. */
  securityHeaders: "67f7725c-6f97-4210-82d7-5512b31e9d03",
} as const;

/** CloudFront's alias records name this zone, the same for every distribution. */
const CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2";
const ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];

export interface CdnDistributionProps {
  readonly namePrefix: string;
  readonly cdn: CdnDefinition;
  /** The environment's name: the distribution's alias, whose record moves here from the load balancer. */
  readonly domain: { readonly name: string; readonly zoneId: string };
  /** The load balancer's name under the domain, which its certificate covers. */
  readonly originHostName: string;
  /** Every path a service's routing names: its own behaviour, never cached. */
  readonly routedPaths: readonly string[];
  /** The secret header the load balancer's rules require. */
  readonly originHeader: { readonly name: string; readonly value: string };
  /**
   * A certificate for `domain.name` in us-east-1 (CloudFront takes no other region's), already
   * validated: the load balancer's when the stack is in us-east-1. @default one is requested
   * here, in us-east-1, and validated by the record the load balancer's certificate writes
   */
  readonly certificateArn?: string;
  /** The us-east-1 provider, when the stack's region is another. @default the stack's provider */
  readonly usEast1?: AwsProvider;
  /** A web ACL of CLOUDFRONT scope. @default none */
  readonly webAclArn?: string;
  /**
   * Serve IPv6 too (AAAA records). Off while the web ACL's address lists, which are IPv4, would
   * let IPv6 viewers past them. @default true
   */
  readonly ipv6?: boolean;
  /** What the name's records wait for: the load balancer's record leaving the name. @default nothing */
  readonly recordsAfter?: readonly ITerraformDependable[];
  /** Encrypts the access log; a key in us-east-1. @default CloudWatch Logs' own encryption */
  readonly logsKmsKeyArn?: string;
  readonly inventory?: MonitoringInventory;
}

/**
 * CloudFront in front of the load balancer: the environment's name with TLS 1.2 or later, HTTP/2
 * and HTTP/3, IPv6 (unless IPv4-only address lists guard it), compression and AWS's security headers; static paths cached, every other request
 * (the routed API paths and the default) passed through uncached with all it carries. The
 * origin is the load balancer's own name under the domain, over HTTPS only, with the secret
 * header. Access logs go, by CloudWatch Logs' vended delivery (standard logging v2), to a log
 * group with a retention: no bucket with ACLs, which legacy logging needs.
 */
export class CdnDistribution extends Construct {
  readonly distributionId: string;
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: CdnDistributionProps) {
    super(scope, id);
    const { namePrefix, cdn, domain } = props;
    const provider = props.usEast1 ? { provider: props.usEast1 } : {};
    const ipv6 = props.ipv6 ?? true;
    const certificateArn = props.certificateArn ?? this.certificate(domain.name, provider);

    const behavior = (cached: boolean): Omit<CloudfrontDistributionOrderedCacheBehavior, "pathPattern"> => ({
      targetOriginId: "load-balancer",
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: cached ? ["GET", "HEAD"] : ALL_METHODS,
      cachedMethods: ["GET", "HEAD"],
      compress: true,
      cachePolicyId: cached ? MANAGED_POLICIES.cachingOptimized : MANAGED_POLICIES.cachingDisabled,
      ...(cached ? {} : { originRequestPolicyId: MANAGED_POLICIES.allViewer }),
      responseHeadersPolicyId: MANAGED_POLICIES.securityHeaders,
    });
    // CloudFront takes the first behaviour that matches, so cached paths (outside every route) go first.
    const ordered = [
      ...cdn.cachePaths.map((pathPattern) => ({ pathPattern, ...behavior(true) })),
      ...[...new Set(props.routedPaths)].filter((path) => path !== "/*").map((pathPattern) => ({ pathPattern, ...behavior(false) })),
    ];

    const distribution = new CloudfrontDistribution(this, "distribution", {
      ...provider,
      comment: `${namePrefix}: ${domain.name} in front of the load balancer`,
      enabled: true,
      aliases: [domain.name],
      httpVersion: "http2and3",
      isIpv6Enabled: ipv6,
      priceClass: cdn.priceClass,
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
      origin: [
        {
          originId: "load-balancer",
          domainName: props.originHostName,
          customOriginConfig: {
            httpPort: 80,
            httpsPort: 443,
            originProtocolPolicy: "https-only",
            originSslProtocols: ["TLSv1.2"],
          },
          customHeader: [{ name: props.originHeader.name, value: props.originHeader.value }],
        },
      ],
      defaultCacheBehavior: behavior(false),
      orderedCacheBehavior: ordered,
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: { acmCertificateArn: certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" },
    });
    suppressPolicyCheck(
      distribution,
      "CKV_AWS_86",
      "access logs go by standard logging v2 (aws_cloudwatch_log_delivery) to a log group, which the check does not read",
    );
    suppressPolicyCheck(distribution, "CKV_AWS_305", "the origin is an application, which answers / itself");
    suppressPolicyCheck(distribution, "CKV_AWS_310", "one origin: the load balancer spans the environment's availability zones");
    suppressPolicyCheck(
      distribution,
      "CKV2_AWS_32",
      "every behaviour names AWS's managed SecurityHeadersPolicy by its documented id, which the check cannot resolve",
    );
    suppressPolicyCheck(distribution, "CKV_AWS_374", "a public product serves every country; no definition field restricts them yet");
    if (!props.webAclArn)
      suppressPolicyCheck(distribution, "CKV_AWS_68", "no WAF web ACL: edge.waf adds one; tracked as a gap in docs/security.md");
    this.distributionId = distribution.id;
    this.domainName = distribution.domainName;

    for (const type of ipv6 ? ["A", "AAAA"] : ["A"])
      new Route53Record(this, `alias-${type}`, {
        ...(props.recordsAfter?.length ? { dependsOn: [...props.recordsAfter] } : {}),
        zoneId: domain.zoneId,
        name: domain.name,
        type,
        alias: { name: distribution.domainName, zoneId: CLOUDFRONT_ZONE_ID, evaluateTargetHealth: false },
      });

    this.accessLog(namePrefix, cdn, distribution.arn, provider, props.logsKmsKeyArn);
    props.inventory?.register({ kind: "distribution", name: domain.name, distributionId: distribution.id });
  }

  private certificate(domainName: string, provider: { provider?: AwsProvider }): string {
    const certificate = new AcmCertificate(this, "certificate", {
      ...provider,
      domainName,
      validationMethod: "DNS",
      lifecycle: { createBeforeDestroy: true },
    });
    // ACM asks the same DNS record of every certificate for a name in the account, in every
    // region: the load balancer's certificate for the name writes it, so this one only waits.
    return new AcmCertificateValidation(this, "certificate-validation", { ...provider, certificateArn: certificate.arn }).certificateArn;
  }

  private accessLog(
    namePrefix: string,
    cdn: CdnDefinition,
    distributionArn: string,
    provider: { provider?: AwsProvider },
    kmsKeyArn: string | undefined,
  ): void {
    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      ...provider,
      name: `/cloudfront/${namePrefix}`,
      retentionInDays: cdn.logRetentionDays,
      ...(kmsKeyArn ? { kmsKeyId: kmsKeyArn } : {}),
    });
    if (cdn.logRetentionDays < 365) suppressPolicyCheck(logGroup, "CKV_AWS_338", LOG_RETENTION_REASON);
    // Vended logs: names are unique in the account and region.
    const source = new CloudwatchLogDeliverySource(this, "log-source", {
      ...provider,
      name: `${namePrefix}-cloudfront`,
      logType: "ACCESS_LOGS",
      resourceArn: distributionArn,
    });
    const destination = new CloudwatchLogDeliveryDestination(this, "log-destination", {
      ...provider,
      name: `${namePrefix}-cloudfront-logs`,
      outputFormat: "json",
      deliveryDestinationConfiguration: [{ destinationResourceArn: logGroup.arn }],
    });
    new CloudwatchLogDelivery(this, "log-delivery", {
      ...provider,
      deliverySourceName: source.name,
      deliveryDestinationArn: destination.arn,
    });
  }
}
