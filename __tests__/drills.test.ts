import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  cancelledCreates,
  createdAndInFlight,
  type DrillContext,
  DrillFailure,
  importBlocks,
  importIdOf,
  lostBetween,
  namedImportId,
  rollForwardImports,
  unrecordedEc2,
  unrecordedLookup,
} from "../scripts/lib/drills";
import { run } from "../scripts/lib/process";
import { scratchDir } from "./scratch";

// Lines as terraform 1.11 prints them during an apply that is interrupted.
const interrupted = `aws_kms_key.data-key_5D719C34: Creating...
aws_vpc.network_vpc_4E8F0223: Creating...
aws_iam_role.host_role_A256E27E: Creating...
aws_iam_role.host_role_A256E27E: Creation complete after 1s [id=webapp-single-host-host]
Interrupt received.

Error: creating KMS Key: context canceled

  with aws_kms_key.data-key_5D719C34,
  on cdk.tf.json line 1074, in resource.aws_kms_key.data-key_5D719C34:

Error: waiting for KMS Key (a5a73288-23af-4d6f-9052-56db33e09a37) rotation update: context canceled

  with aws_kms_key.telemetry-key_5379D0C9,

Error: creating EC2 VPC: modifying EnableDnsHostnames: waiting for completion: context canceled

  with aws_vpc.network_vpc_4E8F0223,
`;

describe("the drills' reading of an interrupted apply", () => {
  it("finds the creates an interrupt cancelled, which may exist unrecorded, but not the waits on recorded ones", () => {
    expect(cancelledCreates(interrupted)).toEqual(["aws_kms_key.data-key_5D719C34", "aws_vpc.network_vpc_4E8F0223"]);
  });

  it("tells created resources, with the id each printed, from those still in flight", () => {
    const { created, inFlight } = createdAndInFlight(interrupted);
    expect([...created]).toEqual([["aws_iam_role.host_role_A256E27E", "webapp-single-host-host"]]);
    expect(inFlight).toEqual(["aws_kms_key.data-key_5D719C34", "aws_vpc.network_vpc_4E8F0223"]);
  });

  it("imports what the state lacks, and first removes the entry a cut-short replacement left", () => {
    const created = new Map([
      ["aws_vpc.network", "vpc-new"],
      ["aws_subnet.public", "subnet-1"],
      ["aws_security_group.host", "sg-1"],
    ]);
    // The periodic state write recorded the security group; the VPC entry is the tainted one the kill's apply destroyed.
    const recorded = new Map([
      ["aws_vpc.network", "vpc-old"],
      ["aws_security_group.host", "sg-1"],
    ]);
    expect(rollForwardImports(created, recorded)).toEqual([
      { address: "aws_vpc.network", printed: "vpc-new", staleEntry: true },
      { address: "aws_subnet.public", printed: "subnet-1", staleEntry: false },
    ]);
  });

  it("counts a resource as lost when it is gone or has another id", () => {
    const before = new Map([
      ["aws_ebs_volume.data", "vol-1"],
      ["aws_kms_key.data", "k-1"],
      ["aws_cloudwatch_metric_alarm.cpu", "cpu"],
    ]);
    const after = new Map([
      ["aws_ebs_volume.data", "vol-2"],
      ["aws_cloudwatch_metric_alarm.cpu", "cpu"],
    ]);
    expect(lostBetween(before, after)).toEqual(["aws_ebs_volume.data", "aws_kms_key.data"]);
  });
});

describe("the import ids of what a killed apply created unrecorded", () => {
  const dir = scratchDir("drills-");
  writeFileSync(
    join(dir, "cdk.tf.json"),
    JSON.stringify({
      resource: {
        aws_route: { default: { route_table_id: "${aws_route_table.public.id}", destination_cidr_block: "0.0.0.0/0" } },
        aws_iam_role_policy_attachment: {
          ssm: { role: "${aws_iam_role.host.name}", policy_arn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
        },
        aws_cloudwatch_event_target: { alarm: { rule: "${aws_cloudwatch_event_rule.failed.name}", target_id: "alarm-topic" } },
        aws_budgets_budget: { monthly: { name: "webapp-dev-monthly", budget_type: "COST" } },
        aws_iam_role: { host: { name: "webapp-host", assume_role_policy: "{}" } },
        aws_volume_attachment: {
          data: { device_name: "/dev/sdf", volume_id: "${aws_ebs_volume.data.id}", instance_id: "${aws_instance.host.id}" },
        },
      },
    }),
  );
  const ctx = { dir } as DrillContext;
  const state = [
    { address: "aws_route_table.public", type: "aws_route_table", values: { id: "rtb-1" } },
    { address: "aws_iam_role.host", type: "aws_iam_role", values: { name: "webapp-host" } },
    { address: "aws_cloudwatch_event_rule.failed", type: "aws_cloudwatch_event_rule", values: { name: "webapp-failed" } },
    { address: "aws_ebs_volume.data", type: "aws_ebs_volume", values: { id: "vol-1" } },
    { address: "aws_instance.host", type: "aws_instance", values: { id: "i-1" } },
  ];

  it("builds each type's import form from its arguments, references resolved from the state", () => {
    expect(importIdOf(ctx, "aws_route.default", "r-rtb-1080289494", state)).toBe("rtb-1_0.0.0.0/0");
    expect(importIdOf(ctx, "aws_iam_role_policy_attachment.ssm", "webapp-host-2026", state)).toBe(
      "webapp-host/arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    );
    expect(importIdOf(ctx, "aws_cloudwatch_event_target.alarm", "webapp-failed-alarm-topic", state)).toBe(
      "default/webapp-failed/alarm-topic",
    );
    expect(importIdOf(ctx, "aws_volume_attachment.data", "vai-1", state)).toBe("/dev/sdf:vol-1:i-1");
  });

  it("resolves references to what is imported beside it from the killed apply's output, before a stale state entry", () => {
    const created = new Map([
      ["aws_route_table.public", "rtb-2"],
      ["aws_iam_role.host", "webapp-host"],
    ]);
    expect(importIdOf(ctx, "aws_route.default", "r-rtb-2", state, created)).toBe("rtb-2_0.0.0.0/0");
    expect(importIdOf(ctx, "aws_iam_role_policy_attachment.ssm", "x", [], created)).toBe(
      "webapp-host/arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    );
  });

  it("looks a cancelled create up by its tags, by its name, or not at all when the next create puts it again", () => {
    expect(unrecordedLookup("aws_kms_key")).toBe("inventory");
    expect(unrecordedLookup("aws_secretsmanager_secret")).toBe("inventory");
    // EC2's own tag listing has every type, VPC endpoints and addresses too.
    expect(unrecordedLookup("aws_instance")).toBe("ec2");
    expect(unrecordedLookup("aws_vpc_endpoint")).toBe("ec2");
    expect(unrecordedLookup("aws_budgets_budget")).toBe("name");
    expect(unrecordedLookup("aws_iam_role")).toBe("name");
    // A route's create is refused once its destination is taken; its import id comes from its arguments.
    expect(unrecordedLookup("aws_route")).toBe("name");
    expect(unrecordedLookup("aws_cloudwatch_metric_alarm")).toBe("put");
    // A type the drill's stack does not hold has no lookup: a finding, not a guess.
    expect(unrecordedLookup("aws_lb")).toBeUndefined();
  });

  it("picks the EC2 resource a cancelled create made by its id's prefix, leaving out what is known, told apart by its Name tag", () => {
    const tagged = new Map<string, string | undefined>([
      ["vpc-1", "webapp-vpc"],
      ["vpce-1", undefined],
      ["subnet-1", "webapp-public-0"],
      ["subnet-2", "webapp-public-1"],
      ["sg-1", "webapp-host"],
    ]);
    // vpc- is no prefix of vpce-: the VPC endpoint is its own type.
    expect(unrecordedEc2("aws_vpc_endpoint.s3", tagged, new Set(), undefined)).toBe("vpce-1");
    expect(unrecordedEc2("aws_vpc.main", tagged, new Set(), undefined)).toBe("vpc-1");
    expect(unrecordedEc2("aws_vpc.main", tagged, new Set(["vpc-1"]), undefined)).toBeUndefined();
    expect(unrecordedEc2("aws_subnet.public-1", tagged, new Set(), "webapp-public-1")).toBe("subnet-2");
    expect(unrecordedEc2("aws_subnet.public-1", tagged, new Set(["subnet-1"]), undefined)).toBe("subnet-2");
    expect(() => unrecordedEc2("aws_subnet.public-1", tagged, new Set(), undefined)).toThrow(DrillFailure);
  });

  it("builds a name-identified resource's import id from its arguments", () => {
    expect(namedImportId(ctx, "aws_budgets_budget.monthly", "123456789012")).toBe("123456789012:webapp-dev-monthly");
    expect(namedImportId(ctx, "aws_iam_role.host", "123456789012")).toBe("webapp-host");
    expect(() => namedImportId(ctx, "aws_route.default", "123456789012")).toThrow(DrillFailure);
  });

  it("writes one import block per resource, which the next apply reads", () => {
    expect(JSON.parse(importBlocks([{ address: "aws_vpc.main", id: "vpc-1" }]))).toEqual({ import: [{ to: "aws_vpc.main", id: "vpc-1" }] });
  });

  it("takes the printed id where it is the import id, and names a reference the state lacks", () => {
    expect(importIdOf(ctx, "aws_vpc.main", "vpc-1", state)).toBe("vpc-1");
    expect(() => importIdOf(ctx, "aws_volume_attachment.data", "vai-1", state.slice(0, 3))).toThrow(DrillFailure);
  });
});

describe("a command the drills run", () => {
  it("is stopped and marked when it outlives its timeout, so a hang fails its drill", async () => {
    const result = await run("sleep", ["30"], { timeoutSeconds: 0.2 });
    expect(result.timedOut).toBe(true);
    expect(result.seconds).toBeLessThan(5);
  });

  it("is not marked when it finishes in time", async () => {
    const result = await run("true", [], { timeoutSeconds: 5 });
    expect(result).toMatchObject({ code: 0 });
    expect(result.timedOut).toBeUndefined();
  });
});
