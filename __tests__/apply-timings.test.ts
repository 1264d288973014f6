import { slowestTypes, timingsByType } from "../scripts/lib/apply-timings";

const apply = `aws_vpc.network_vpc_4E8F0223: Creating...
aws_vpc.network_vpc_4E8F0223: Creation complete after 10s [id=vpc-1]
aws_lb.alb_88D76693: Still creating... [1m0s elapsed]
aws_lb.alb_88D76693: Creation complete after 1m20s [id=arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/y]
aws_s3_bucket_lifecycle_configuration.app-bucket_lifecycle_7B4E8D46: Creation complete after 55s
aws_s3_bucket_lifecycle_configuration.state_lifecycle_1: Modifications complete after 31s [id=b]
data.aws_caller_identity.account: Read complete after 0s [id=123456789012]`;
const destroy = `aws_lb.alb_88D76693: Destruction complete after 2s
aws_vpc.network_vpc_4E8F0223: Destruction complete after 1s`;

describe("apply timings", () => {
  it("sums creation, modification and destruction times per resource type, minutes included", () => {
    expect(Object.fromEntries(timingsByType(apply))).toEqual({
      aws_vpc: { seconds: 10, count: 1, maxSeconds: 10 },
      aws_lb: { seconds: 80, count: 1, maxSeconds: 80 },
      aws_s3_bucket_lifecycle_configuration: { seconds: 86, count: 2, maxSeconds: 55 },
    });
  });

  it("ranks types over several commands' output, slowest first", () => {
    expect(slowestTypes([apply, destroy], 2)).toEqual([
      { type: "aws_s3_bucket_lifecycle_configuration", seconds: 86, count: 2, maxSeconds: 55 },
      { type: "aws_lb", seconds: 82, count: 2, maxSeconds: 80 },
    ]);
  });
});
