import { cancelledCreates, createdAndInFlight, lostBetween } from "../scripts/lib/drills";

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
