/**
 * The one place where this app writes Terraform that cdktf 0.21 has no API for. Each hatch
 * names the Terraform feature it adds and why cdktf cannot express it.
 */
import type { S3Backend } from "cdktf";

/**
 * S3-native state locking (`use_lockfile`, Terraform >= 1.10) replaces the DynamoDB lock
 * table; cdktf 0.21's S3BackendConfig predates it.
 */
export function enableS3NativeLocking(backend: S3Backend): void {
  backend.addOverride("use_lockfile", true);
}
