import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { MonitoringInventory } from "./monitoring-inventory";
import { NatInstance } from "./nat-instance";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_REASON, suppressPolicyCheck } from "../policy-suppressions";
import type { SubnetLayout, SubnetSpec } from "../config/environment";
import type { InterfaceEndpoint, NatStrategy } from "../config/schema";
import { policyDocument, serviceTrustPolicy } from "./iam-policy";

export interface FlowLogOptions {
  /** Days CloudWatch keeps the flow log records. */
  readonly retentionDays: number;
  /** @default CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: string;
}

export interface NetworkProps {
  /** Prefix of every Name tag and resource name. */
  readonly namePrefix: string;
  /** Region, for the S3 gateway endpoint's service name. */
  readonly region: string;
  /** Account id, for the flow-log role's source-account condition. */
  readonly accountId: string;
  readonly vpcCidr: string;
  /** One entry per AZ in each tier; see `resolveEnvironment` for how CIDRs are computed. */
  readonly subnets: SubnetLayout;
  /**
   * `single`: one NAT gateway in the first AZ, shared by every private subnet (cheaper; egress
   * fails with that AZ). `perAz`: one per AZ, each AZ's private subnets routed to their own.
   * `instance`: one NAT instance (t4g.nano) in the first AZ, the cheapest: a few Mbps of baseline
   * bandwidth, and egress stops while it recovers or with its AZ.
   * A layout without private subnets gets no NAT at all.
   * @default "perAz"
   */
  readonly natStrategy?: NatStrategy;
  /**
   * VPC flow logs (all traffic) to a CloudWatch log group; `false` turns them off.
   * @default { retentionDays: 90 }
   */
  readonly flowLogs?: FlowLogOptions | false;
  /** Where a NAT instance registers for its alarms. @default not watched */
  readonly inventory?: MonitoringInventory;
  /** When office hours run a NAT instance. @default always */
  readonly natInstanceRunningHours?: string;
  /** Interface endpoints in the private subnets, with private DNS. @default none */
  readonly interfaceEndpoints?: readonly InterfaceEndpoint[];
}

/** The endpoint services behind each interface endpoint a definition names. */
const ENDPOINT_SERVICES: Readonly<Record<InterfaceEndpoint, readonly string[]>> = {
  ecr: ["ecr.api", "ecr.dkr"],
  logs: ["logs"],
  secretsmanager: ["secretsmanager"],
  ssm: ["ssm"],
  ssmmessages: ["ssmmessages"],
  kms: ["kms"],
};

/**
 * A VPC with public, private (app) and isolated (data) subnets over several AZs (or public ones
 * only, for a single host), an internet gateway, NAT for the private tier (or none), an S3 gateway
 * endpoint, interface endpoints when asked, a default security group that allows nothing, and flow logs.
 */
export class Network extends Construct {
  readonly vpcId: string;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly isolatedSubnetIds: string[];
  /**
   * What a public address needs before it works: the internet gateway, the public default route
   * and the public subnets' associations (an EIP association fails without the gateway).
   */
  readonly internetReady: ITerraformDependable[];
  /** With `natStrategy: "instance"` and private subnets. */
  natInstance?: { readonly instanceId: string; readonly instanceArn: string };

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { namePrefix, subnets } = props;
    const natStrategy = props.natStrategy ?? "perAz";
    const flowLogs = props.flowLogs ?? { retentionDays: 90 };
    const name = (suffix: string) => ({ Name: `${namePrefix}-${suffix}` });

    const vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: name("vpc"),
    });
    this.vpcId = vpc.id;

    // Owning the default group with no rules means nothing can fall back onto an open one.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: vpc.id, ingress: [], egress: [], tags: name("default-deny") });

    const makeSubnets = (tier: string, specs: readonly SubnetSpec[]) =>
      specs.map(
        (spec, i) =>
          new Subnet(this, `${tier}-${i}`, {
            vpcId: vpc.id,
            cidrBlock: spec.cidrBlock,
            availabilityZone: spec.availabilityZone,
            mapPublicIpOnLaunch: false,
            tags: { ...name(`${tier}-${spec.availabilityZone}`), Tier: tier },
          }),
      );
    const publicSubnets = makeSubnets("public", subnets.public);
    const privateSubnets = makeSubnets("private", subnets.private);
    const isolatedSubnets = makeSubnets("isolated", subnets.isolated);
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.isolatedSubnetIds = isolatedSubnets.map((s) => s.id);

    const igw = new InternetGateway(this, "igw", { vpcId: vpc.id, tags: name("igw") });
    const publicRoutes = new RouteTable(this, "public-rt", { vpcId: vpc.id, tags: name("public") });
    const publicDefault = new Route(this, "public-default", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });
    const publicAssociations = publicSubnets.map(
      (subnet, i) => new RouteTableAssociation(this, `public-rta-${i}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }),
    );
    this.internetReady = [igw, publicDefault, ...publicAssociations];

    const privateRouteTables =
      natStrategy === "none"
        ? this.routesWithoutNat(namePrefix, vpc.id, privateSubnets)
        : natStrategy === "instance"
          ? this.natInstanceRoutes(props, vpc.id, publicSubnets, privateSubnets)
          : this.natGatewayRoutes(props, natStrategy, vpc.id, igw, publicSubnets, privateSubnets);
    if (props.interfaceEndpoints?.length && privateSubnets.length)
      this.addInterfaceEndpoints(props, vpc.id, privateSubnets, props.interfaceEndpoints);

    // The data tier only reaches addresses inside the VPC (and S3 through the endpoint below).
    const isolatedRoutes = isolatedSubnets.length
      ? new RouteTable(this, "isolated-rt", { vpcId: vpc.id, tags: name("isolated") })
      : undefined;
    isolatedSubnets.forEach(
      (subnet, i) => new RouteTableAssociation(this, `isolated-rta-${i}`, { subnetId: subnet.id, routeTableId: isolatedRoutes!.id }),
    );

    const internalRouteTableIds = [...privateRouteTables.map((t) => t.id), ...(isolatedRoutes ? [isolatedRoutes.id] : [])];
    new VpcEndpoint(this, "s3-endpoint", {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      // Public-only layouts (a single host) still reach S3 without the internet gateway's path.
      routeTableIds: internalRouteTableIds.length ? internalRouteTableIds : [publicRoutes.id],
      tags: name("s3"),
    });

    if (flowLogs) this.addFlowLogs(vpc, namePrefix, props.accountId, flowLogs);
  }

  private addFlowLogs(vpc: Vpc, namePrefix: string, accountId: string, options: FlowLogOptions): void {
    const logGroup = new CloudwatchLogGroup(this, "flow-log-group", {
      name: `/vpc/${namePrefix}/flow-logs`,
      retentionInDays: options.retentionDays,
      ...(options.kmsKeyArn ? { kmsKeyId: options.kmsKeyArn } : {}),
    });
    if (options.retentionDays < 365) suppressPolicyCheck(logGroup, "CKV_AWS_338", LOG_RETENTION_REASON);
    const role = new IamRole(this, "flow-log-role", {
      name: `${namePrefix}-vpc-flow-logs`,
      assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com", accountId),
    });
    new IamRolePolicy(this, "flow-log-policy", {
      role: role.id,
      name: "write-flow-logs",
      policy: policyDocument([
        {
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: `${logGroup.arn}:*`,
        },
      ]),
    });
    new FlowLog(this, "flow-log", {
      vpcId: vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: { Name: `${namePrefix}-flow-logs` },
    });
  }

  /** One NAT instance in the first AZ; every private subnet routes its default route to its network interface. */
  /** natStrategy none: the private subnets route within the VPC only (and to S3 through its gateway endpoint). */
  private routesWithoutNat(namePrefix: string, vpcId: string, privateSubnets: Subnet[]): RouteTable[] {
    if (privateSubnets.length === 0) return [];
    const table = new RouteTable(this, "private-rt-0", { vpcId, tags: { Name: `${namePrefix}-private` } });
    privateSubnets.forEach(
      (subnet, i) => new RouteTableAssociation(this, `private-rta-${i}`, { subnetId: subnet.id, routeTableId: table.id }),
    );
    return [table];
  }

  /**
   * One interface endpoint per AWS service in every private subnet, with private DNS (the VPC has
   * DNS support and hostnames), so the SDKs' usual names resolve to it; its security group admits
   * HTTPS from the VPC only.
   */
  private addInterfaceEndpoints(props: NetworkProps, vpcId: string, privateSubnets: Subnet[], endpoints: readonly InterfaceEndpoint[]) {
    const name = `${props.namePrefix}-endpoints`;
    const securityGroup = new SecurityGroup(this, "endpoints-sg", {
      name,
      description: "Interface endpoints: HTTPS from the VPC",
      vpcId,
      tags: { Name: name },
    });
    new VpcSecurityGroupIngressRule(this, "endpoints-https", {
      securityGroupId: securityGroup.id,
      description: "HTTPS to the endpoints from the VPC subnets",
      cidrIpv4: props.vpcCidr,
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
    });
    for (const service of endpoints.flatMap((endpoint) => ENDPOINT_SERVICES[endpoint]))
      new VpcEndpoint(this, `endpoint-${service}`, {
        vpcId,
        serviceName: `com.amazonaws.${props.region}.${service}`,
        vpcEndpointType: "Interface",
        subnetIds: privateSubnets.map((s) => s.id),
        securityGroupIds: [securityGroup.id],
        privateDnsEnabled: true,
        tags: { Name: `${props.namePrefix}-${service}` },
      });
  }

  private natInstanceRoutes(props: NetworkProps, vpcId: string, publicSubnets: Subnet[], privateSubnets: Subnet[]): RouteTable[] {
    if (privateSubnets.length === 0) return [];
    const nat = new NatInstance(this, "nat-instance", {
      namePrefix: props.namePrefix,
      region: props.region,
      vpcId,
      vpcCidr: props.vpcCidr,
      subnetId: publicSubnets[0].id,
      internetReady: this.internetReady,
      ...(props.inventory ? { inventory: props.inventory } : {}),
      ...(props.natInstanceRunningHours ? { runningHours: props.natInstanceRunningHours } : {}),
    });
    this.natInstance = { instanceId: nat.instanceId, instanceArn: nat.instanceArn };
    const table = new RouteTable(this, "private-rt-0", { vpcId, tags: { Name: `${props.namePrefix}-private` } });
    new Route(this, "private-default-0", {
      routeTableId: table.id,
      destinationCidrBlock: "0.0.0.0/0",
      networkInterfaceId: nat.networkInterfaceId,
    });
    privateSubnets.forEach(
      (subnet, i) => new RouteTableAssociation(this, `private-rta-${i}`, { subnetId: subnet.id, routeTableId: table.id }),
    );
    return [table];
  }

  /** NAT gateways, one or one per AZ; each AZ's private subnets route to theirs (or all to the one). */
  private natGatewayRoutes(
    props: NetworkProps,
    natStrategy: NatStrategy,
    vpcId: string,
    igw: InternetGateway,
    publicSubnets: Subnet[],
    privateSubnets: Subnet[],
  ): RouteTable[] {
    const natCount = privateSubnets.length === 0 ? 0 : natStrategy === "single" ? 1 : publicSubnets.length;
    const name = (suffix: string) => ({ Name: `${props.namePrefix}-${suffix}` });
    const tables = Array.from({ length: natCount }, (_, i) => {
      const az = props.subnets.public[i].availabilityZone;
      const eip = new Eip(this, `nat-eip-${i}`, { domain: "vpc", tags: name(`nat-${az}`) });
      const nat = new NatGateway(this, `nat-${i}`, {
        allocationId: eip.allocationId,
        subnetId: publicSubnets[i].id,
        tags: name(`nat-${az}`),
        dependsOn: [igw],
      });
      const table = new RouteTable(this, `private-rt-${i}`, {
        vpcId,
        tags: name(natStrategy === "single" ? "private" : `private-${az}`),
      });
      new Route(this, `private-default-${i}`, { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id });
      return table;
    });
    privateSubnets.forEach(
      (subnet, i) => new RouteTableAssociation(this, `private-rta-${i}`, { subnetId: subnet.id, routeTableId: tables[i % natCount].id }),
    );
    return tables;
  }
}
