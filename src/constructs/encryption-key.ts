import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import { policyDocument, type PolicyStatement } from "./iam-policy";

export interface EncryptionKeyProps {
  /** Becomes `alias/<alias>`. */
  readonly alias: string;
  readonly description: string;
  /** The account whose IAM policies may grant use of the key. */
  readonly accountId: string;
  /**
   * Days a scheduled deletion waits, during which it can be cancelled.
   * @default 30 (the maximum)
   */
  readonly deletionWindowDays?: number;
  /**
   * Refuse `terraform destroy` (prevent_destroy): data encrypted under a deleted key is lost.
   * @default false
   */
  readonly preventDestroy?: boolean;
  /**
   * Key-policy statements for AWS services that use the key on their own behalf (CloudWatch
   * publishing to an encrypted topic, CloudWatch Logs encrypting a log group).
   * @default none
   */
  readonly serviceStatements?: readonly PolicyStatement[];
  /** Another region's provider (the edge's us-east-1). @default the stack's provider */
  readonly provider?: AwsProvider;
}

/**
 * A customer-managed KMS key with yearly automatic rotation. Its policy delegates to the
 * account's IAM, so only principals granted the key in IAM (and the AWS services acting for
 * them, or named in `serviceStatements`) can use it.
 */
export class EncryptionKey extends Construct {
  readonly keyArn: string;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const provider = props.provider ? { provider: props.provider } : {};
    const key = new KmsKey(this, "key", {
      ...provider,
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      policy: policyDocument([
        {
          Sid: "AccountIamGrantsUse",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${props.accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        ...(props.serviceStatements ?? []),
      ]),
      ...(props.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });
    new KmsAlias(this, "alias", { ...provider, name: `alias/${props.alias}`, targetKeyId: key.keyId });
    this.keyArn = key.arn;
  }
}
