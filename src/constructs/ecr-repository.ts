import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Construct } from "constructs";

export interface ImageRepositoryProps {
  readonly repositoryName: string;
  /**
   * Tagged images kept; older ones expire.
   * @default 30
   */
  readonly keepTaggedImages?: number;
  /**
   * Days an untagged image is kept.
   * @default 7
   */
  readonly untaggedExpiryDays?: number;
  /**
   * Let `terraform destroy` delete the repository with its images.
   * @default false
   */
  readonly forceDelete?: boolean;
}

/** An ECR repository: immutable tags, scan on push, KMS encryption, and a lifecycle that bounds it. */
export class ImageRepository extends Construct {
  readonly repositoryName: string;
  readonly repositoryUrl: string;
  readonly repositoryArn: string;
  constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    super(scope, id);
    this.repositoryName = props.repositoryName;
    const repository = new EcrRepository(this, "repository", {
      name: props.repositoryName,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "KMS" }],
      forceDelete: props.forceDelete ?? false,
    });
    this.repositoryUrl = repository.repositoryUrl;
    this.repositoryArn = repository.arn;

    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: "expire untagged images",
            selection: {
              tagStatus: "untagged",
              countType: "sinceImagePushed",
              countUnit: "days",
              countNumber: props.untaggedExpiryDays ?? 7,
            },
            action: { type: "expire" },
          },
          {
            rulePriority: 2,
            description: "keep the newest tagged images",
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: props.keepTaggedImages ?? 30 },
            action: { type: "expire" },
          },
        ],
      }),
    });
  }
}
