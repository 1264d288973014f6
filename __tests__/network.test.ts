import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { scratchDir } from "./scratch";
import { ALL_STACKS, bareRef, byPath, committedStack, resourcesOf, synthInput, type TerraformJson, validInput } from "./helpers";

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

describe("network of dev (a NAT instance, 2 AZs)", () => {
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

  it("has one NAT instance that both private subnets route through, and no NAT gateway", () => {
    expect(resourcesOf(parsed, "aws_nat_gateway")).toHaveLength(0);
    const privateTables = routeTablesOfTier(parsed, "private");
    expect(privateTables).toHaveLength(1);
    const nat = bareRef(parsed, "aws_instance", "network/nat-instance", "primary_network_interface_id");
    expect(routesFrom(parsed, privateTables[0])).toEqual([
      expect.objectContaining({ destination_cidr_block: "0.0.0.0/0", network_interface_id: `\${${nat}}` }),
    ]);
  });

  it("runs the NAT instance as a t4g.nano forwarding what the VPC sends: source/destination check off, IMDSv2, no SSH key, Session Manager", () => {
    const instance = byPath(parsed, "aws_instance", "network/nat-instance");
    expect(instance).toMatchObject({
      instance_type: "t4g.nano",
      source_dest_check: false,
      associate_public_ip_address: true,
      metadata_options: expect.objectContaining({ http_tokens: "required" }),
      root_block_device: expect.objectContaining({ encrypted: true }),
    });
    expect(instance.key_name).toBeUndefined();
    const ami = Object.values(parsed.data!.aws_ssm_parameter).map((p) => p.name);
    expect(ami).toContain("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
    const ingress = resourcesOf(parsed, "aws_vpc_security_group_ingress_rule").filter((r) =>
      String(r.security_group_id).includes("nat-instance"),
    );
    expect(ingress).toEqual([expect.objectContaining({ cidr_ipv4: "10.10.0.0/16", ip_protocol: "-1" })]);
    const eip = resourcesOf(parsed, "aws_eip").filter((e) => String(e.instance).includes("nat-instance"));
    expect(eip).toHaveLength(1);
    expect(resourcesOf(parsed, "aws_iam_role_policy_attachment").map((a) => a.policy_arn)).toContain(
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    );
    const userData = String(instance.user_data);
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    const config = JSON.parse(userData.slice("#cloud-config\n".length)) as { packages: string[]; runcmd: string[][] };
    expect(config.packages).toEqual(["iptables-services"]);
    expect(config.runcmd).toEqual([["/usr/local/sbin/nat-setup", "10.10.0.0/16"]]);
    // Terraform would read a dollar-brace in the script as its own template syntax.
    expect(userData).not.toContain("${");
  });

  it("heals the NAT instance: recovered on a failed system check, rebooted on a failed instance check, both to the alarm topic", () => {
    const alarms = resourcesOf(parsed, "aws_cloudwatch_metric_alarm").filter((a) => String(a.alarm_name).startsWith("webapp-dev-nat-"));
    expect(alarms.map((a) => [a.metric_name, (a.alarm_actions as string[])[1]]).sort()).toEqual([
      ["StatusCheckFailed_Instance", "arn:aws:automate:us-east-1:ec2:reboot"],
      ["StatusCheckFailed_System", "arn:aws:automate:us-east-1:ec2:recover"],
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

describe("network of bluegreen (no NAT, interface endpoints)", () => {
  const { parsed } = committedStack("bluegreen");
  const privateSubnets = Object.entries(parsed.resource.aws_subnet)
    .filter(([, s]) => (s.tags as Record<string, string>).Tier === "private")
    .map(([name]) => `\${aws_subnet.${name}.id}`);

  it("gives the private subnets no route out of the VPC: no NAT gateway, instance or address, no default route", () => {
    expect(resourcesOf(parsed, "aws_nat_gateway")).toEqual([]);
    expect(resourcesOf(parsed, "aws_instance")).toEqual([]);
    expect(resourcesOf(parsed, "aws_eip")).toEqual([]);
    const [table] = routeTablesOfTier(parsed, "private");
    expect(routesFrom(parsed, table)).toEqual([]);
  });

  it("puts an endpoint with private DNS for ECR (api and dkr), logs, Secrets Manager and SSM in every private subnet, HTTPS from the VPC only", () => {
    const endpoints = resourcesOf(parsed, "aws_vpc_endpoint").filter((e) => e.vpc_endpoint_type === "Interface");
    expect(endpoints.map((e) => e.service_name).sort()).toEqual(
      ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm"].map((s) => `com.amazonaws.us-east-1.${s}`),
    );
    for (const endpoint of endpoints) {
      expect(endpoint).toMatchObject({ private_dns_enabled: true, security_group_ids: [expect.stringContaining("endpoints-sg")] });
      expect([...(endpoint.subnet_ids as string[])].sort()).toEqual([...privateSubnets].sort());
    }
    const ingress = resourcesOf(parsed, "aws_vpc_security_group_ingress_rule").filter((r) =>
      String(r.security_group_id).includes("endpoints-sg"),
    );
    expect(ingress).toEqual([expect.objectContaining({ cidr_ipv4: "10.53.0.0/16", ip_protocol: "tcp", from_port: 443, to_port: 443 })]);
    expect(byPath(parsed, "aws_vpc", "network/vpc")).toMatchObject({ enable_dns_support: true, enable_dns_hostnames: true });
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

describe("the NAT instance's setup script, run with stand-ins for the system's commands", () => {
  it("enables the iptables service, masquerades the VPC's traffic out of the default route's interface once, opens forwarding and saves the rules", () => {
    const dir = scratchDir("nat-setup-");
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const calls = join(dir, "calls.txt");
    const standIn = (name: string, body = "") =>
      writeFileSync(join(bin, name), `#!/bin/bash\necho "${name} $*" >> ${calls}\n${body}\n`, { mode: 0o755 });
    standIn("sysctl");
    standIn("systemctl");
    standIn("ip", 'echo "default via 10.10.0.1 dev ens5 proto dhcp src 10.10.0.12 metric 512"');
    // -C answers "no such rule" the first time, so the rule is added once.
    standIn("iptables", `[[ "$*" == *" -C "* ]] && exit 1; exit 0`);
    standIn("iptables-save", 'echo "*nat"');
    const script = join(__dirname, "..", "src", "host", "files", "nat-setup.sh");
    const result = spawnSync("bash", [script, "10.10.0.0/16"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: `${bin}:${process.env.PATH}`, NAT_RULES_FILE: join(dir, "iptables") },
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe("nat-setup: forwarding 10.10.0.0/16 out of ens5");
    expect(readFileSync(calls, "utf8").trim().split("\n")).toEqual([
      "sysctl --quiet --system",
      "systemctl enable --now iptables",
      "ip -o route show default",
      "iptables -t nat -C POSTROUTING -s 10.10.0.0/16 -o ens5 -j MASQUERADE",
      "iptables -t nat -A POSTROUTING -s 10.10.0.0/16 -o ens5 -j MASQUERADE",
      "iptables -F FORWARD",
      "iptables-save",
    ]);
    expect(readFileSync(join(dir, "iptables"), "utf8")).toBe("*nat\n");
  });
});
