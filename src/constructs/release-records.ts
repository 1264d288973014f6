import type { Construct } from "constructs";
import { SecureBucket } from "./secure-bucket";

/** The bucket where an environment records the releases other environments promote (one per environment and account). */
export const promotionsBucketName = (namePrefix: string, accountId: string) => `${namePrefix}-promotions-${accountId}`;

export interface ReleaseRecordsProps {
  readonly namePrefix: string;
  readonly accountId: string;
  /** prevent_destroy, and no force_destroy: production keeps its release history. */
  readonly protect: boolean;
}

/**
 * The release records of an environment that others promote: versioned (each release is a version
 * of one object, kept 30 days once replaced), TLS-only, and sending its events to EventBridge, so a
 * new record starts the promoting pipelines. The same bucket and record on either path (CodePipeline
 * or GitHub Actions).
 */
export function releaseRecordsBucket(scope: Construct, id: string, props: ReleaseRecordsProps): SecureBucket {
  return new SecureBucket(scope, id, {
    bucketName: promotionsBucketName(props.namePrefix, props.accountId),
    forceDestroy: !props.protect,
    preventDestroy: props.protect,
    eventBridge: true,
    lifecycleRules: [
      {
        id: "expire-old-records",
        status: "Enabled",
        filter: [{}],
        noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
      },
    ],
  });
}
