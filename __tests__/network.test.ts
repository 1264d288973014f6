import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { ALL_STACKS, byPath, committedStack, resourcesOf, synthInput, type TerraformJson, validInput } from "./helpers";

/** Route tables that a subnet of the given tier is associated with. */
function routeTablesOfTier(tf: TerraformJson, tier: string): string[] {
  const subnetRefs = Object.entries(tf.resource.aws_subnet)
    .filter(([, s]) => (s.tags as Record<string, string>).Tier === tier)
    .map(([name]) => `\${aws_subnet.${name}.id}`);
  return [
    ...new Set(
      resourcesOf(tf, "aws_route_table_association")
        .filter((a) => subnetRefs.includes(a.subnet_id as string))
        .map((a) => a.route_table_id as string),
    ),
  ];
}

function routesFrom(tf: TerraformJson, tableRef: string) {
  return resourcesOf(tf, "aws_route").filter((r) => r.route_table_id === tableRef);
}

describe("network of dev (single NAT, 2 AZs)", () => {
  const { json, parsed } = committedStack("dev");

  it("has a VPC with DNS from the environment's CIDR", () => {
    expect(json).toHaveResourceWithProperties(Vpc, { cidr_block: "10.10.0.0/16", enable_dns_hostnames: true, enable_dns_support: true });
  });

  it("has public, private and isolated subnets in each AZ, none mapping public IPs", () => {
    for (const tier of ["public", "private", "isolated"]) {
      for (const az of ["us-east-1a", "us-east-1b"]) {
        expect(json).toHaveResourceWithProperties(Subnet, { availability_zone: az, tags: expect.objectContaining({ Tier: tier }) });
      }
    }
    expect(resourcesOf(parsed, "aws_subnet")).toHaveLength(6);
    expect(resourcesOf(parsed, "aws_subnet").every((s) => s.map_public_ip_on_launch === false)).toBe(true);
  });

  it("has one NAT gateway that both private subnets route through", () => {
    expect(resourcesOf(parsed, "aws_nat_gateway")).toHaveLength(1);
    const privateTables = routeTablesOfTier(parsed, "private");
    expect(privateTables).toHaveLength(1);
    expect(routesFrom(parsed, privateTables[0])).toEqual([
      expect.objectContaining({ destination_cidr_block: "0.0.0.0/0", nat_gateway_id: expect.stringContaining("aws_nat_gateway.") }),
    ]);
  });

  it("routes the public tier to the internet gateway", () => {
    const [publicTable] = routeTablesOfTier(parsed, "public");
    expect(routesFrom(parsed, publicTable)).toEqual([
      expect.objectContaining({ destination_cidr_block: "0.0.0.0/0", gateway_id: expect.stringContaining("aws_internet_gateway.") }),
    ]);
  });

  it("gives the isolated tier no route out", () => {
    const isolatedTables = routeTablesOfTier(parsed, "isolated");
    expect(isolatedTables).toHaveLength(1);
    expect(routesFrom(parsed, isolatedTables[0])).toEqual([]);
  });

  it("owns the default security group with no rules", () => {
    expect(json).toHaveResourceWithProperties(DefaultSecurityGroup, { ingress: [], egress: [] });
  });

  it("reaches S3 through a gateway endpoint from the private and isolated tiers", () => {
    expect(json).toHaveResourceWithProperties(VpcEndpoint, { service_name: "com.amazonaws.us-east-1.s3", vpc_endpoint_type: "Gateway" });
    const [endpoint] = resourcesOf(parsed, "aws_vpc_endpoint");
    expect([...(endpoint.route_table_ids as string[])].sort()).toEqual(
      [...routeTablesOfTier(parsed, "private"), ...routeTablesOfTier(parsed, "isolated")].sort(),
    );
  });

  it("sends all traffic's flow logs to a log group with the configured retention", () => {
    expect(json).toHaveResourceWithProperties(FlowLog, { traffic_type: "ALL", log_destination_type: "cloud-watch-logs" });
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/vpc/webapp-dev/flow-logs", retention_in_days: 7 });
  });

  it("lets the flow-log role write only to its own log group", () => {
    const policy = byPath(parsed, "aws_iam_role_policy", "network/flow-log-policy");
    const document = JSON.parse(policy.policy as string);
    expect(document.Statement).toEqual([
      expect.objectContaining({ Effect: "Allow", Resource: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.[\w-]+\.arn\}:\*$/) }),
    ]);
    const role = byPath(parsed, "aws_iam_role", "network/flow-log-role");
    expect(JSON.parse(role.assume_role_policy as string).Statement[0].Condition.StringEquals["aws:SourceAccount"]).toMatch(
      /data\.aws_caller_identity/,
    );
  });
});

describe("network of prod (NAT per AZ, 3 AZs)", () => {
  const { json, parsed } = committedStack("prod");

  it("has one NAT gateway and one private route table per AZ", () => {
    expect(resourcesOf(parsed, "aws_nat_gateway")).toHaveLength(3);
    const privateTables = routeTablesOfTier(parsed, "private");
    expect(privateTables).toHaveLength(3);
    const nats = new Set(privateTables.map((t) => routesFrom(parsed, t)[0].nat_gateway_id));
    expect(nats.size).toBe(3);
  });

  it("places each NAT gateway in a public subnet", () => {
    const publicRefs = Object.entries(parsed.resource.aws_subnet)
      .filter(([, s]) => (s.tags as Record<string, string>).Tier === "public")
      .map(([name]) => `\${aws_subnet.${name}.id}`);
    for (const nat of resourcesOf(parsed, "aws_nat_gateway")) expect(publicRefs).toContain(nat.subnet_id);
    expect(json).toHaveResourceWithProperties(NatGateway, { tags: { Name: "webapp-prod-nat-us-east-1c" } });
  });

  it("keeps flow logs for a year", () => {
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, { retention_in_days: 365 });
  });
});

describe("network options", () => {
  it("turns flow logs off when asked", () => {
    const input = validInput();
    const { json } = synthInput("dev", { ...input, network: { ...input.network, flowLogs: { enabled: false } } });
    expect(json).not.toHaveResource(FlowLog);
    expect(json).not.toHaveResource(CloudwatchLogGroup);
  });
});

describe("security group text AWS accepts (EC2 API model: CreateSecurityGroup, IpRange, UserIdGroupPair)", () => {
  // botocore ec2 2016-11-15: groups allow a-z A-Z 0-9 space ._-:/()#,@[]+=&;{}!$*, rules that reference a group the same without &.
  const GROUP_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;
  const RULE_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=;{}!$*]{0,255}$/;

  it.each(ALL_STACKS)("%s names and describes its security groups and rules with allowed characters only", (stack) => {
    const { parsed } = committedStack(stack);
    const groups = resourcesOf(parsed, "aws_security_group");
    const rules = [
      ...resourcesOf(parsed, "aws_vpc_security_group_ingress_rule"),
      ...resourcesOf(parsed, "aws_vpc_security_group_egress_rule"),
    ];
    expect(groups.map((g) => g.description).filter((d) => !GROUP_TEXT.test(String(d)))).toEqual([]);
    expect(groups.map((g) => g.name).filter((n) => !GROUP_TEXT.test(String(n)) || String(n).startsWith("sg-"))).toEqual([]);
    expect(rules.map((r) => r.description).filter((d) => d !== undefined && !RULE_TEXT.test(String(d)))).toEqual([]);
  });

  it("finds what AWS refuses", () => {
    expect(GROUP_TEXT.test("the reverse proxy's ports")).toBe(false);
    expect(RULE_TEXT.test("A & B")).toBe(false);
  });
});
