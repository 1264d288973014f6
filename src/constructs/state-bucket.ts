import { Construct } from "constructs";
import { SecureBucket } from "./secure-bucket";

export interface StateBucketProps {
  readonly bucketName: string;
  /**
   * Days a superseded state version is kept, so a bad apply can be rolled back by hand.
   * @default 90
   */
  readonly noncurrentVersionDays?: number;
}

/**
 * The bucket that holds every environment's Terraform state: a SecureBucket (versioned,
 * encrypted, private, TLS-only) that `terraform destroy` refuses to delete.
 */
export class StateBucket extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id);
    // The S3 backend writes state with SSE-S3 (encrypt = true), matching the bucket default.
    const bucket = new SecureBucket(this, "bucket", {
      bucketName: props.bucketName,
      preventDestroy: true,
      lifecycleRules: [
        {
          id: "expire-old-state-versions",
          status: "Enabled",
          filter: [{}],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 90 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    this.bucketName = bucket.bucketName;
    this.bucketArn = bucket.bucketArn;
  }
}
