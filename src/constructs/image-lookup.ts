import { DataAwsEcrImage } from "@cdktf/provider-aws/lib/data-aws-ecr-image";
import { DataAwsEcrRepository } from "@cdktf/provider-aws/lib/data-aws-ecr-repository";
import { Construct } from "constructs";

/** What a stack needs of an image repository. */
export interface ImageRepositoryRef {
  readonly repositoryName: string;
  readonly repositoryUrl: string;
  readonly repositoryArn: string;
}

export interface ImageLookupProps {
  /** `<project>/<repository>`, made by the project's images stack. */
  readonly repositoryName: string;
}

/**
 * A repository of the project's images stack, looked up by name, and the images an environment
 * deploys from it. Both are read at plan time, so a plan fails before it changes anything when
 * the images stack was not applied or an image was not pushed, naming the repository and tag.
 */
export class ImageLookup extends Construct implements ImageRepositoryRef {
  readonly repositoryName: string;
  readonly repositoryUrl: string;
  readonly repositoryArn: string;
  private readonly images = new Map<string, DataAwsEcrImage>();

  constructor(scope: Construct, id: string, props: ImageLookupProps) {
    super(scope, id);
    const repository = new DataAwsEcrRepository(this, "repository", { name: props.repositoryName });
    // The name as text: a single host's compose file must hold no Terraform reference.
    this.repositoryName = props.repositoryName;
    this.repositoryUrl = repository.repositoryUrl;
    this.repositoryArn = repository.arn;
    this.lookedUpName = repository.name;
  }

  /** The looked-up repository's name: reading an image by it waits for the repository's lookup. */
  private readonly lookedUpName: string;

  /**
   * The image the repository holds under `tag` (a literal, or a release parameter's value), by
   * its digest (`<repository url>@sha256:…`): what runs is exactly the image looked up, whatever
   * the tag. The plan fails unless the repository holds the tag.
   */
  imageUri(tag: string): string {
    const image =
      this.images.get(tag) ?? new DataAwsEcrImage(this, `image-${this.images.size}`, { repositoryName: this.lookedUpName, imageTag: tag });
    this.images.set(tag, image);
    return image.imageUri;
  }
}
