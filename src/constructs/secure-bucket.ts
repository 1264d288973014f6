import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { suppressPolicyCheck } from "../policy-suppressions";
import { policyDocument, type PolicyStatement } from "./iam-policy";

export interface SecureBucketProps {
  readonly bucketName: string;
  /**
   * Keep every version of every object.
   * @default true
   */
  readonly versioned?: boolean;
  /**
   * Refuse `terraform destroy` of the bucket (Terraform's `prevent_destroy`).
   * @default false
   */
  readonly preventDestroy?: boolean;
  /**
   * Let `terraform destroy` delete the bucket with its objects (for what can be made again).
   * @default false: a bucket that holds objects refuses deletion
   */
  readonly forceDestroy?: boolean;
  /**
   * Statements added to the bucket policy after the TLS-only Deny; `arn` is the bucket's ARN.
   * @default none
   */
  readonly policyStatements?: (arn: string) => PolicyStatement[];
  /**
   * Lifecycle rules.
   * @default abort incomplete multipart uploads after 7 days
   */
  readonly lifecycleRules?: S3BucketLifecycleConfigurationRule[];
  /**
   * Send the bucket's object events to EventBridge, where rules may act on them.
   * @default false
   */
  readonly eventBridge?: boolean;
}

/**
 * An S3 bucket with the defaults nobody should have to remember: SSE-S3 encryption, all public
 * access blocked, ACLs disabled (bucket owner enforced), a policy that denies non-TLS requests,
 * versioning, and a lifecycle that at least cleans up abandoned uploads.
 */
export class SecureBucket extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  /** The policy resource, for anything that must wait until the bucket accepts writes. */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      ...(props.forceDestroy ? { forceDestroy: true } : {}),
      ...(props.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    suppressPolicyCheck(
      bucket,
      "CKV_AWS_18",
      "server access logs would need a log bucket per bucket; object access is for CloudTrail data events, an account-level choice",
    );
    if (props.eventBridge) new S3BucketNotification(this, "events", { bucket: bucket.id, eventbridge: true });
    else suppressPolicyCheck(bucket, "CKV2_AWS_62", "nothing consumes object events");
    suppressPolicyCheck(bucket, "CKV_AWS_144", "a single-region product; versioning and lifecycle rules are the recovery path");
    suppressPolicyCheck(
      bucket,
      "CKV_AWS_145",
      "SSE-S3 (AES-256): ALB access logs accept nothing else, and it spares object reads KMS request costs and quotas",
    );

    if (props.versioned ?? true) {
      new S3BucketVersioningA(this, "versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    } else {
      suppressPolicyCheck(bucket, "CKV_AWS_21", "unversioned by choice: written once (access logs) and expired by the lifecycle rules");
    }
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access", {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket: bucket.id,
      policy: policyDocument([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        ...(props.policyStatements?.(bucket.arn) ?? []),
      ]),
      // S3 rejects a policy change while the public access block is being written.
      dependsOn: [publicAccess],
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: bucket.id,
      rule: props.lifecycleRules ?? [
        { id: "abort-incomplete-uploads", status: "Enabled", filter: [{}], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] },
      ],
    });
  }
}
