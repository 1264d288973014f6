import { DlmLifecyclePolicy } from "@cdktf/provider-aws/lib/dlm-lifecycle-policy";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import { Construct } from "constructs";
import { policyDocument, serviceTrustPolicy } from "./iam-policy";
import type { MonitoringInventory } from "./monitoring-inventory";

export interface DataVolumeProps {
  readonly namePrefix: string;
  readonly accountId: string;
  /** The AZ of the instance it attaches to. */
  readonly availabilityZone: string;
  readonly sizeGb: number;
  /** Encrypts the volume and its snapshots. */
  readonly kmsKeyArn: string;
  /** Daily snapshots kept. */
  readonly snapshotRetentionDays: number;
  /**
   * UTC time of the daily snapshot.
   * @default "03:00"
   */
  readonly snapshotTime?: string;
  /**
   * prevent_destroy on the volume.
   * @default false
   */
  readonly preventDestroy?: boolean;
  /**
   * Where to register the snapshot policy, whose failures are announced on the alarm topic.
   * @default not watched
   */
  readonly inventory?: MonitoringInventory;
}

/** Device name the volume is attached as (Nitro instances expose it as an NVMe device named after the volume id). */
const DEVICE_NAME = "/dev/sdf";

/**
 * An encrypted gp3 volume for data that must outlive the instance, with daily snapshots by Data
 * Lifecycle Manager. The instance formats it on first use and mounts it by UUID.
 */
export class DataVolume extends Construct {
  readonly volumeId: string;
  private readonly volume: EbsVolume;

  constructor(scope: Construct, id: string, props: DataVolumeProps) {
    super(scope, id);
    const name = `${props.namePrefix}-data`;
    this.volume = new EbsVolume(this, "volume", {
      availabilityZone: props.availabilityZone,
      size: props.sizeGb,
      type: "gp3",
      encrypted: true,
      kmsKeyId: props.kmsKeyArn,
      tags: { Name: name, Snapshots: name },
      ...(props.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });
    this.volumeId = this.volume.id;

    const role = new IamRole(this, "snapshot-role", {
      name: `${props.namePrefix}-dlm`,
      assumeRolePolicy: serviceTrustPolicy("dlm.amazonaws.com", props.accountId),
    });
    new IamRolePolicyAttachment(this, "snapshot-service-policy", {
      role: role.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole",
    });
    // Snapshots of a volume under a customer key are created and copied with that key.
    new IamRolePolicy(this, "snapshot-key-policy", {
      role: role.id,
      name: "use-volume-key",
      policy: policyDocument([
        {
          Sid: "SnapshotEncryptedVolume",
          Effect: "Allow",
          Action: ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"],
          Resource: props.kmsKeyArn,
        },
      ]),
    });
    const policy = new DlmLifecyclePolicy(this, "snapshots", {
      // DLM accepts letters, digits, spaces, hyphens and underscores only.
      description: `${name} daily snapshots kept ${props.snapshotRetentionDays} days`,
      executionRoleArn: role.arn,
      state: "ENABLED",
      policyDetails: {
        resourceTypes: ["VOLUME"],
        targetTags: { Snapshots: name },
        schedule: [
          {
            name: "daily",
            createRule: { interval: 24, intervalUnit: "HOURS", times: [props.snapshotTime ?? "03:00"] },
            retainRule: { count: props.snapshotRetentionDays },
            copyTags: true,
            tagsToAdd: { SnapshotOf: name },
          },
        ],
      },
      tags: { Name: name },
    });
    props.inventory?.register({ kind: "snapshotPolicy", name, policyArn: policy.arn });
  }

  /** Attaches the volume; the instance is stopped before a detach, so the filesystem is never yanked away live. */
  attachTo(instanceId: string): VolumeAttachment {
    return new VolumeAttachment(this, "attachment", {
      deviceName: DEVICE_NAME,
      volumeId: this.volume.id,
      instanceId,
      stopInstanceBeforeDetaching: true,
    });
  }
}
