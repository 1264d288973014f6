/**
 * The destructive-plan guard: finds the changes in a `terraform show -json` plan that would
 * delete or replace a resource holding data or keys.
 */

/** Resource types whose deletion loses data, or the keys to data. */
export const STATEFUL_TYPES = [
  "aws_db_instance",
  "aws_rds_cluster",
  "aws_elasticache_replication_group",
  "aws_elasticache_cluster",
  "aws_s3_bucket",
  "aws_kms_key",
  "aws_ebs_volume",
  "aws_secretsmanager_secret",
  "aws_efs_file_system",
  "aws_dynamodb_table",
] as const;

export interface Plan {
  resource_changes?: { address: string; type: string; change: { actions: string[] } }[];
}

export interface Destruction {
  readonly address: string;
  readonly type: string;
  readonly action: "delete" | "replace";
}

/** Stateful resources the plan deletes or replaces, unless their address is in `allowed`. */
export function destructiveChanges(plan: Plan, allowed: readonly string[] = []): Destruction[] {
  return (plan.resource_changes ?? [])
    .filter((c) => (STATEFUL_TYPES as readonly string[]).includes(c.type) && c.change.actions.includes("delete"))
    .filter((c) => !allowed.includes(c.address))
    .map((c) => ({ address: c.address, type: c.type, action: c.change.actions.includes("create") ? "replace" : "delete" }));
}
