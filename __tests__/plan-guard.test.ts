import { destructiveChanges, type Plan } from "../scripts/lib/plan-guard";

const change = (address: string, ...actions: string[]) => ({ address, type: address.split(".")[0], change: { actions } });

const plan: Plan = {
  resource_changes: [
    change("aws_db_instance.database_primary", "delete", "create"),
    change("aws_db_instance.database_replica-1", "update"),
    change("aws_s3_bucket.app-bucket", "delete"),
    change("aws_kms_key.data-key", "create", "delete"),
    change("aws_ecs_task_definition.service-api_task", "delete", "create"),
    change("aws_elasticache_replication_group.cache", "no-op"),
    change("aws_secretsmanager_secret.database_credentials", "create"),
  ],
};

describe("the destructive-plan guard", () => {
  it("names every stateful resource the plan deletes or replaces, and nothing else", () => {
    expect(destructiveChanges(plan)).toEqual([
      { address: "aws_db_instance.database_primary", type: "aws_db_instance", action: "replace" },
      { address: "aws_s3_bucket.app-bucket", type: "aws_s3_bucket", action: "delete" },
      { address: "aws_kms_key.data-key", type: "aws_kms_key", action: "replace" },
    ]);
  });

  it("lets through exactly the addresses it is told to allow", () => {
    expect(destructiveChanges(plan, ["aws_db_instance.database_primary", "aws_kms_key.data-key"]).map((d) => d.address)).toEqual([
      "aws_s3_bucket.app-bucket",
    ]);
  });

  it("passes a plan without resource changes", () => {
    expect(destructiveChanges({})).toEqual([]);
  });
});
