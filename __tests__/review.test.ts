import { describeChanges, describeGuard, review, type ReviewPlan } from "../scripts/lib/review";

const change = (address: string, actions: string[], replacePaths?: string[][]) => ({
  address,
  type: address.split(".")[0],
  change: { actions, ...(replacePaths ? { replace_paths: replacePaths } : {}) },
});

const plan: ReviewPlan = {
  resource_changes: [
    change("aws_cloudwatch_metric_alarm.api_5xx", ["update"]),
    change("aws_sns_topic.alarms", ["create"]),
    change("aws_db_instance.primary", ["delete", "create"], [["db_name"]]),
    change("aws_iam_role.old", ["delete"]),
    change("aws_vpc.main", ["no-op"]),
    change("aws_s3_bucket.logs", ["create", "delete"]),
  ],
};

describe("npm run review's report", () => {
  it("lists deletions and replacements before updates and creations, with what forces a replacement and what holds data", () => {
    expect(describeChanges(review(plan, []).changes)).toEqual([
      "Changes: 1 to destroy, 2 to replace, 1 to update, 1 to create",
      "  destroy  aws_iam_role.old",
      "  replace  aws_db_instance.primary  (holds data; forced by db_name)",
      "  replace  aws_s3_bucket.logs  (holds data)",
      "  update   aws_cloudwatch_metric_alarm.api_5xx",
      "  create   aws_sns_topic.alarms",
    ]);
  });

  it("says so when nothing changes", () => {
    expect(describeChanges(review({ resource_changes: [change("aws_vpc.main", ["no-op"])] }, []).changes)).toEqual([
      "No changes: the account matches the definition.",
    ]);
  });

  it("counts a first deploy's new resources by type", () => {
    const creates = Array.from({ length: 20 }, (_, i) => change(`aws_${i % 2 ? "subnet" : "route"}.r${i}`, ["create"]));
    expect(describeChanges(review({ resource_changes: creates }, []).changes)).toEqual([
      "Changes: 0 to destroy, 0 to replace, 0 to update, 20 to create",
      "  create   10 × aws_route",
      "  create   10 × aws_subnet",
    ]);
  });

  it("carries the guard's refusal of lost data, and its pass once each loss is allowed", () => {
    const refused = review(plan, []).refused;
    expect(refused.map((d) => d.address)).toEqual(["aws_db_instance.primary", "aws_s3_bucket.logs"]);
    expect(describeGuard(refused, [])[0]).toMatch(/^Guard: REFUSES this plan/);
    const allowed = ["aws_db_instance.primary", "aws_s3_bucket.logs"];
    expect(describeGuard(review(plan, allowed).refused, allowed)).toEqual([
      "Guard: passes; no stateful resource is deleted or replaced beyond --allow aws_db_instance.primary, aws_s3_bucket.logs.",
    ]);
  });
});
