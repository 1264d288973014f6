/**
 * Accepted policy-scan findings, recorded on the resource they concern with the reason they are
 * accepted. checkov 3.3 does not read inline skips in Terraform JSON, so `npm run policy` reads
 * these entries from each resource's `//` metadata and reports the matching findings as
 * skipped, with their reasons; a finding without an entry fails the scan, and so does an entry
 * that no finding uses.
 */
import type { TerraformResource } from "cdktf";

export interface PolicySuppression {
  /** A checkov check id, such as CKV_AWS_18. */
  readonly id: string;
  readonly reason: string;
}

const recorded = new WeakMap<TerraformResource, PolicySuppression[]>();

export function suppressPolicyCheck(resource: TerraformResource, id: string, reason: string): void {
  const entries = [...(recorded.get(resource) ?? []), { id, reason }];
  recorded.set(resource, entries);
  resource.addOverride("//.checkov.skip", entries);
}

export const LOG_RETENTION_REASON = "retention is set in the environment's definition; a year is not the default, for cost";
export const UNPROTECTED_REASON =
  "deletion protection is on in production; elsewhere, and in an ALLOW_DESTROY teardown, environments must be removable";
