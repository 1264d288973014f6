import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { repositoryName, type ImageStackConfig } from "../config/image-stacks";
import type { AppSettings } from "../config/settings";
import { ImageRepository } from "../constructs/ecr-repository";
import { addAwsProvider, addStateBackend } from "./aws-context";

/**
 * A project's image repositories in one region, shared by its environments and applied before
 * them: push an image once, and every environment that names its tag can deploy it. Destroying an
 * environment never deletes images; this stack refuses to drop a repository that still holds
 * images, unless ALLOW_DESTROY is set.
 */
export class ImagesStack extends TerraformStack {
  constructor(scope: Construct, config: ImageStackConfig, settings: AppSettings) {
    super(scope, config.name);
    addAwsProvider(this, { region: config.region, tags: { ...config.tags }, localAwsEndpoint: settings.localAwsEndpoint });
    addStateBackend(this, settings.state, `${config.name}/terraform.tfstate`, settings.localAwsEndpoint);
    const urls: Record<string, string> = {};
    for (const repository of config.repositories) {
      const ecr = new ImageRepository(this, `ecr-${repository}`, {
        repositoryName: repositoryName(config.project, repository),
        // Every environment deploys from here, production perhaps many builds behind the newest:
        // expiring by count must never reach the image a service still runs.
        keepTaggedImages: 200,
        forceDelete: settings.allowDestroy ?? false,
      });
      urls[repository] = ecr.repositoryUrl;
    }
    new TerraformOutput(this, "repository_urls", { value: urls, description: "push images here: <url>:<tag>" });
  }
}
