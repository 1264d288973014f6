import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { DataAwsEc2ManagedPrefixList } from "@cdktf/provider-aws/lib/data-aws-ec2-managed-prefix-list";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener, type LbListenerDefaultAction } from "@cdktf/provider-aws/lib/lb-listener";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { suppressPolicyCheck, UNPROTECTED_REASON } from "../policy-suppressions";
import type { MonitoringInventory } from "./monitoring-inventory";
import { SecureBucket } from "./secure-bucket";

/** A current TLS policy: TLS 1.3 and 1.2 with forward-secret ciphers only. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const NO_DOMAIN_REASON = "without alb.domain there is no certificate to serve; set a domain for HTTPS";

export interface LoadBalancerProps {
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly publicSubnetIds: string[];
  /**
   * Seconds an idle connection is kept open.
   * @default 60
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * Refuse deletion through the API (turn it off before a planned destroy).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Write access logs to a bucket created here, named `<namePrefix>-alb-logs-<account id>`;
   * `accountId` is the current account's id.
   * @default off
   */
  readonly accessLogs?: { readonly accountId: string; readonly retentionDays?: number };
  /**
   * Serve HTTPS for this name: an ACM certificate validated by DNS in the public Route53 zone,
   * an HTTPS listener with a current TLS policy, HTTP redirected (301) to HTTPS, and an alias
   * record. Without it the load balancer serves plain HTTP.
   * @default none
   */
  readonly domain?: { readonly name: string; readonly hostedZone: string };
  /**
   * A second listener for blue/green deployments' test traffic, which serves the version not yet
   * released: reachable only from `sources` (CIDRs; the VPC's own, and whoever tests releases).
   * @default none
   */
  readonly testListener?: { readonly port: number; readonly sources: readonly string[] };
  /**
   * Where to register the load balancer for alarms and the dashboard.
   * @default not watched
   */
  /**
   * A web ACL filters its requests (edge.waf): associated with it, or on the distribution in
   * front (`frontedBy`). Either way the scan's "no WAF" is not a gap here. @default false
   */
  readonly webAclProtected?: boolean;
  /**
   * CloudFront fronts it: its security group admits only CloudFront's origin-facing addresses (on
   * 443, no port 80), the certificate also covers `originHostName`, the domain's alias record
   * names that host instead, and requests no rule forwards (those without the origin header,
   * which the services' rules require) get 403. Needs `domain`. @default reachable from the internet
   */
  readonly frontedBy?: { readonly originHostName: string };
  readonly inventory?: MonitoringInventory;
}

const NOT_FOUND: LbListenerDefaultAction = {
  type: "fixed-response",
  fixedResponse: { contentType: "text/plain", messageBody: "Not Found", statusCode: "404" },
};
/** Behind CloudFront, the services' rules forward only requests with the origin header. */
const NOT_THROUGH_CLOUDFRONT: LbListenerDefaultAction = {
  type: "fixed-response",
  fixedResponse: { contentType: "text/plain", messageBody: "Forbidden", statusCode: "403" },
};

/**
 * An internet-facing ALB in the public subnets that drops invalid header fields, with its own
 * security group open to the world on the production listener ports only. Unmatched requests get 404;
 * services add their own listener rules.
 */
export class LoadBalancer extends Construct {
  readonly arn: string;
  readonly arnSuffix: string;
  readonly dnsName: string;
  readonly securityGroupId: string;
  /** The listener that serves users: HTTPS with a domain, else HTTP. */
  readonly listenerArn: string;
  readonly testListenerArn?: string;
  /** How users reach it: https://<domain> or http://<ALB DNS name>. */
  readonly url: string;
  /** With a domain: its validated certificate (the name, and the origin host name behind CloudFront). */
  readonly certificateArn?: string;
  /** With a domain: the public hosted zone's id. */
  readonly zoneId?: string;
  /**
   * With a domain: its alias record (on `originHostName` behind CloudFront). A record that takes
   * the name it leaves must wait for it: Route 53 refuses to create a record that still exists.
   */
  readonly aliasRecord?: ITerraformDependable;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const { namePrefix, domain } = props;
    const securityGroup = new SecurityGroup(this, "sg", {
      name: `${namePrefix}-alb`,
      // A new description replaces the group, which the load balancer's interfaces still use: it stays as it was.
      description: `Load balancer of ${namePrefix}: listener ports from the internet`,
      vpcId: props.vpcId,
      tags: { Name: `${namePrefix}-alb` },
    });
    this.securityGroupId = securityGroup.id;
    if (props.frontedBy && !domain) throw new Error("a load balancer behind CloudFront needs a domain");
    if (props.frontedBy) {
      const cloudFront = new DataAwsEc2ManagedPrefixList(this, "cloudfront-origin-facing", {
        name: "com.amazonaws.global.cloudfront.origin-facing",
      });
      new VpcSecurityGroupIngressRule(this, "ingress-cloudfront", {
        securityGroupId: securityGroup.id,
        description: "port 443 from the CloudFront origin-facing servers only",
        prefixListId: cloudFront.id,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
      });
    }
    const ports = props.frontedBy ? [] : [domain ? 443 : 80, ...(domain ? [80] : [])];
    for (const port of ports) {
      const rule = new VpcSecurityGroupIngressRule(this, `ingress-${port}`, {
        securityGroupId: securityGroup.id,
        description: `port ${port} from the internet`,
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
      });
      if (port === 80)
        suppressPolicyCheck(rule, "CKV_AWS_260", "port 80 is the public entry of a web product; with a domain it only redirects to HTTPS");
    }
    props.testListener?.sources.forEach(
      (cidr, i) =>
        new VpcSecurityGroupIngressRule(this, `ingress-test-${i}`, {
          securityGroupId: securityGroup.id,
          description: `test listener ${props.testListener!.port} from ${cidr}`,
          cidrIpv4: cidr,
          ipProtocol: "tcp",
          fromPort: props.testListener!.port,
          toPort: props.testListener!.port,
        }),
    );

    const logs = props.accessLogs ? this.accessLogBucket(namePrefix, props.accessLogs, props.deletionProtection ?? true) : undefined;
    const lb = new Lb(this, "alb", {
      name: `${namePrefix}-alb`,
      loadBalancerType: "application",
      internal: false,
      subnets: props.publicSubnetIds,
      securityGroups: [securityGroup.id],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.deletionProtection ?? true,
      idleTimeout: props.idleTimeoutSeconds ?? 60,
      ...(logs ? { accessLogs: { bucket: logs.bucketName, enabled: true }, dependsOn: [logs.policy] } : {}),
    });
    if (!props.webAclProtected)
      suppressPolicyCheck(lb, "CKV2_AWS_28", "no WAF web ACL: edge.waf adds one; tracked as a gap in docs/security.md");
    else if (props.frontedBy)
      suppressPolicyCheck(lb, "CKV2_AWS_28", "reached only through CloudFront, whose web ACL (CLOUDFRONT scope) filters every request");
    if (!(props.deletionProtection ?? true)) suppressPolicyCheck(lb, "CKV_AWS_150", UNPROTECTED_REASON);
    if (!logs) suppressPolicyCheck(lb, "CKV_AWS_91", "access logs are written in production only");
    if (!domain) suppressPolicyCheck(lb, "CKV2_AWS_20", NO_DOMAIN_REASON);
    this.arn = lb.arn;
    this.arnSuffix = lb.arnSuffix;
    props.inventory?.register({ kind: "loadBalancer", arnSuffix: lb.arnSuffix });
    this.dnsName = lb.dnsName;

    if (!domain) {
      const http = (listenerId: string, port: number) => {
        const listener = new LbListener(this, listenerId, { loadBalancerArn: lb.arn, port, protocol: "HTTP", defaultAction: [NOT_FOUND] });
        suppressPolicyCheck(listener, "CKV_AWS_2", NO_DOMAIN_REASON);
        suppressPolicyCheck(listener, "CKV_AWS_103", NO_DOMAIN_REASON);
        return listener.arn;
      };
      this.listenerArn = http("http", 80);
      this.url = `http://${lb.dnsName}`;
      if (props.testListener) this.testListenerArn = http("test", props.testListener.port);
      return;
    }

    const zone = new DataAwsRoute53Zone(this, "zone", { name: domain.hostedZone, privateZone: false });
    this.zoneId = zone.zoneId;
    const names = [domain.name, ...(props.frontedBy ? [props.frontedBy.originHostName] : [])];
    const certificate = new AcmCertificate(this, "certificate", {
      domainName: domain.name,
      ...(names.length > 1 ? { subjectAlternativeNames: names.slice(1) } : {}),
      validationMethod: "DNS",
      lifecycle: { createBeforeDestroy: true },
    });
    const validationRecords = names.map((_, i) => {
      const option = certificate.domainValidationOptions.get(i);
      return new Route53Record(this, i === 0 ? "validation" : `validation-${i + 1}`, {
        zoneId: zone.zoneId,
        name: option.resourceRecordName,
        type: option.resourceRecordType,
        records: [option.resourceRecordValue],
        ttl: 300,
        allowOverwrite: true,
      });
    });
    const validation = new AcmCertificateValidation(this, "certificate-validation", {
      certificateArn: certificate.arn,
      validationRecordFqdns: validationRecords.map((r) => r.fqdn),
    });
    this.certificateArn = validation.certificateArn;
    const https = (listenerId: string, port: number) =>
      new LbListener(this, listenerId, {
        loadBalancerArn: lb.arn,
        port,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn: validation.certificateArn,
        defaultAction: [props.frontedBy && port === 443 ? NOT_THROUGH_CLOUDFRONT : NOT_FOUND],
      });
    this.listenerArn = https("https", 443).arn;
    if (props.testListener) this.testListenerArn = https("test", props.testListener.port).arn;
    if (!props.frontedBy)
      new LbListener(this, "http-redirect", {
        loadBalancerArn: lb.arn,
        port: 80,
        protocol: "HTTP",
        defaultAction: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      });
    this.aliasRecord = new Route53Record(this, "alias", {
      zoneId: zone.zoneId,
      name: props.frontedBy?.originHostName ?? domain.name,
      type: "A",
      alias: { name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: true },
    });
    this.url = `https://${domain.name}`;
  }

  /** Lets the load balancer open connections to a service's security group on its port. */
  allowTrafficTo(id: string, serviceSecurityGroupId: string, port: number): void {
    new VpcSecurityGroupEgressRule(this, `egress-${id}`, {
      securityGroupId: this.securityGroupId,
      description: `to ${id} on ${port}`,
      referencedSecurityGroupId: serviceSecurityGroupId,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
    });
  }

  private accessLogBucket(
    namePrefix: string,
    options: NonNullable<LoadBalancerProps["accessLogs"]>,
    deletionProtection: boolean,
  ): SecureBucket {
    const elbAccount = new DataAwsElbServiceAccount(this, "elb-account");
    return new SecureBucket(this, "access-logs", {
      bucketName: `${namePrefix}-alb-logs-${options.accountId}`,
      versioned: false,
      // The access log is an audit trail: as protected as the load balancer.
      preventDestroy: deletionProtection,
      // ALB log delivery writes as the region's Elastic Load Balancing account.
      policyStatements: (arn) => [
        {
          Sid: "ElbLogDelivery",
          Effect: "Allow",
          Principal: { AWS: elbAccount.arn },
          Action: "s3:PutObject",
          Resource: `${arn}/AWSLogs/*`,
        },
      ],
      lifecycleRules: [
        {
          id: "expire-access-logs",
          status: "Enabled",
          filter: [{}],
          expiration: [{ days: options.retentionDays ?? 90 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
  }
}
