import type { PolicyStatement } from "./iam-policy";

/**
 * What a service needs to use one data store: the network path to it, its settings, and the
 * rights to read them. Data-store constructs produce it; FargateService consumes it.
 */
export interface DataStoreAccess {
  /** Names the store in security-group rule descriptions. */
  readonly description: string;
  readonly securityGroupId: string;
  readonly port: number;
  /** Container secrets: variable → `valueFrom` (a Secrets Manager ARN with a JSON key). */
  readonly secrets: Readonly<Record<string, string>>;
  /** Plain container settings; never a credential. */
  readonly environment: Readonly<Record<string, string>>;
  /** For the task's execution role: reading and decrypting the secrets above. */
  readonly executionStatements: readonly PolicyStatement[];
  /** For the task's role: what the application itself calls, such as IAM authentication. */
  readonly taskStatements: readonly PolicyStatement[];
}
