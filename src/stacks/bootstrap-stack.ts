import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { Annotations, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { secretsReadByPlan, type EnvironmentConfig } from "../config/environment";
import { UNSET_STATE_BUCKET, type AppSettings } from "../config/settings";
import { GithubDeployRoles } from "../constructs/github-deploy-roles";
import { StateBucket } from "../constructs/state-bucket";
import { addAwsProvider } from "./aws-context";

export const BOOTSTRAP_STACK = "bootstrap";
/** Relative to the stack's folder (cdktf.out/stacks/bootstrap): the project root, outside cdktf.out. */
export const BOOTSTRAP_STATE_PATH = "../../../terraform.bootstrap.tfstate";

/**
 * Creates the state bucket every environment stack's S3 backend uses, and with GITHUB_REPOSITORY
 * the GitHub Actions roles. Its own state is local (a bucket cannot hold the state of its own
 * creation): keep `terraform.bootstrap.tfstate`. `environments` are those drift.yml checks: the
 * drift role may read their database credential secrets (re-apply the bootstrap after adding one).
 */
export class BootstrapStack extends TerraformStack {
  constructor(scope: Construct, settings: AppSettings, environments: readonly EnvironmentConfig[] = []) {
    super(scope, BOOTSTRAP_STACK);
    // A relative path keeps the synthesized JSON free of this machine's directories.
    new LocalBackend(this, { path: BOOTSTRAP_STATE_PATH });
    addAwsProvider(this, {
      region: settings.state.region,
      tags: { ManagedBy: "cdktf", Purpose: "terraform-state" },
      localAwsEndpoint: settings.localAwsEndpoint,
    });
    // Bucket names are global: without TF_STATE_BUCKET, one no other account can already hold.
    const accountId = new DataAwsCallerIdentity(this, "account").accountId;
    const bucketName = settings.state.bucket ?? `tfstate-${accountId}-${settings.state.region}`;
    const bucket = new StateBucket(this, "state", { bucketName });
    if (settings.github) {
      const roles = new GithubDeployRoles(this, "github", {
        ...settings.github,
        stateBucketArn: bucket.bucketArn,
        accountId,
        credentialSecrets: environments.flatMap((env) => secretsReadByPlan(env, true).map((name) => ({ region: env.region, name }))),
        planSecrets: environments.flatMap((env) => secretsReadByPlan(env, false).map((name) => ({ region: env.region, name }))),
      });
      new TerraformOutput(this, "github_plan_role_arn", { value: roles.planRoleArn, description: "GitHub variable AWS_PLAN_ROLE_ARN" });
      new TerraformOutput(this, "github_drift_role_arn", { value: roles.driftRoleArn, description: "GitHub variable AWS_DRIFT_ROLE_ARN" });
      new TerraformOutput(this, "github_deploy_role_arn", {
        value: roles.deployRoleArn,
        description: "GitHub variable AWS_DEPLOY_ROLE_ARN",
      });
    }
    new TerraformOutput(this, "state_bucket", {
      value: bucket.bucketName,
      description: "export TF_STATE_BUCKET=<this> for every environment's synth and deploy",
    });
    if (!settings.state.bucket)
      Annotations.of(this).addWarning(
        "TF_STATE_BUCKET is not set: bootstrap names the state bucket tfstate-<account id>-<region> (its state_bucket output), " +
          `and every environment's backend names "${UNSET_STATE_BUCKET}" until you export that name (README: First deploy)`,
      );
  }
}
