import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Testing } from "cdktf";
import type { AppSettings } from "../src/config/settings";
import { BootstrapStack } from "../src/stacks/bootstrap-stack";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ALL_STACKS,
  committedEnvironment,
  committedStack,
  byPath,
  committedStacksDir,
  ref,
  resourcesOf,
  SETTINGS,
  statementsOf,
  synthEnvironment,
  synthInput,
  type TerraformJson,
  validInput,
} from "./helpers";

const LOCAL = { ...SETTINGS, localAwsEndpoint: "http://127.0.0.1:4566" };

function synthBootstrap(settings = SETTINGS) {
  const json = Testing.synth(new BootstrapStack(Testing.app(), settings));
  return { json, parsed: JSON.parse(json) as TerraformJson };
}

describe("environment state backend", () => {
  const { parsed } = synthEnvironment(committedEnvironment("staging"));

  it("keeps state encrypted in the state bucket under the environment's key, locked by S3", () => {
    expect(parsed.terraform.backend).toEqual({
      s3: { bucket: "test-state-bucket", key: "staging/terraform.tfstate", region: "us-east-1", encrypt: true, use_lockfile: true },
    });
  });

  it("tags every resource with project, environment and owner through default_tags", () => {
    expect(parsed.provider.aws[0]).toEqual({
      region: "us-east-1",
      default_tags: [{ tags: { CostCenter: "engineering", Project: "webapp", Environment: "staging", ManagedBy: "cdktf" } }],
    });
  });
});

describe("the account a definition names", () => {
  it("becomes the provider's allowed_account_ids, so another account's credentials stop before any change", () => {
    const { parsed } = synthInput("dev", { ...validInput(), account: "111122223333" });
    expect(parsed.provider.aws[0]).toMatchObject({ allowed_account_ids: ["111122223333"] });
    expect(synthInput("dev", validInput()).parsed.provider.aws[0]).not.toHaveProperty("allowed_account_ids");
    // The emulator's account is its own.
    const local = synthInput("dev", { ...validInput(), account: "111122223333" }, LOCAL).parsed;
    expect(local.provider.aws[0]).not.toHaveProperty("allowed_account_ids");
  });

  it("is asked of production definitions by a synth warning", () => {
    const manifest = JSON.parse(readFileSync(join(committedStacksDir(), "..", "manifest.json"), "utf8")) as {
      stacks: Record<string, { annotations: { level: string; message: string }[] }>;
    };
    const warned = Object.entries(manifest.stacks)
      .filter(([, stack]) =>
        stack.annotations.some((a) => a.level === "@cdktf/warn" && a.message.includes(": account: a production definition")),
      )
      .map(([name]) => name)
      .sort();
    expect(warned).toEqual(["bluegreen", "prod"]);
  });
});

describe("Terraform version", () => {
  it.each(ALL_STACKS)("%s asks for Terraform 1.11 or later (ephemeral resources, write-only arguments)", (stack) => {
    expect(committedStack(stack).parsed.terraform).toMatchObject({ required_version: ">= 1.11.0" });
  });
});

describe("without TF_STATE_BUCKET", () => {
  const unset = { state: { region: "us-east-1" } };

  it("an environment's backend names no bucket anyone can own, so init stops instead of writing state elsewhere", () => {
    const { parsed } = synthEnvironment(committedEnvironment("dev"), unset);
    expect(parsed.terraform.backend.s3.bucket).toBe("TF_STATE_BUCKET-is-not-set");
    // Upper case and underscores are never part of an S3 bucket name.
    expect(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test("TF_STATE_BUCKET-is-not-set")).toBe(false);
  });

  it("bootstrap names the bucket after the account and region, which no other account can hold", () => {
    const { parsed } = synthBootstrap(unset);
    expect(resourcesOf(parsed, "aws_s3_bucket")[0].bucket).toBe("tfstate-${data.aws_caller_identity.account.account_id}-us-east-1");
    expect(parsed.output!.state_bucket.value).toBe(ref(parsed, "aws_s3_bucket", "state/bucket", "bucket"));
  });

  it("a synth says how to go on: export the bucket bootstrap made", () => {
    const warnings = (settings: AppSettings) =>
      new BootstrapStack(Testing.app(), settings).node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings(unset)).toEqual([
      expect.stringMatching(/^TF_STATE_BUCKET is not set: bootstrap names the state bucket tfstate-<account id>-<region>/),
    ]);
    expect(warnings(SETTINGS)).toEqual([]);
  });
});

describe("the GitHub Actions roles the bootstrap makes with GITHUB_REPOSITORY", () => {
  const github = (oidcProviderArn?: string) =>
    synthBootstrap({ ...SETTINGS, github: { repository: "acme/shop", ...(oidcProviderArn ? { oidcProviderArn } : {}) } }).parsed;
  const trust = (tf: TerraformJson, role: string) =>
    JSON.parse(byPath(tf, "aws_iam_role", `github/${role}`).assume_role_policy as string).Statement[0];

  it("lets pull requests and the scheduled drift check (main) of that repository plan, read-only, reading the state", () => {
    const tf = github();
    const provider = ref(tf, "aws_iam_openid_connect_provider", "github/oidc", "arn");
    expect(byPath(tf, "aws_iam_openid_connect_provider", "github/oidc")).toMatchObject({
      url: "https://token.actions.githubusercontent.com",
      client_id_list: ["sts.amazonaws.com"],
    });
    expect(trust(tf, "plan")).toEqual({
      Sid: "GithubActionsOfThisRepository",
      Effect: "Allow",
      Principal: { Federated: provider },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        StringLike: { "token.actions.githubusercontent.com:sub": ["repo:acme/shop:pull_request", "repo:acme/shop:ref:refs/heads/main"] },
      },
    });
    expect(byPath(tf, "aws_iam_role_policy_attachment", "github/plan-read-only").policy_arn).toBe("arn:aws:iam::aws:policy/ReadOnlyAccess");
    const state = ref(tf, "aws_s3_bucket", "state/bucket", "arn");
    expect(statementsOf(byPath(tf, "aws_iam_role_policy", "github/plan-state"))).toEqual([
      { Sid: "ListState", Effect: "Allow", Action: "s3:ListBucket", Resource: state },
      { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: `${state}/*` },
    ]);
    expect(tf.output!.github_plan_role_arn.value).toBe(ref(tf, "aws_iam_role", "github/plan", "arn"));
  });

  it("lets only jobs in the repository's GitHub environments (their reviewers gate production) deploy", () => {
    const tf = github();
    expect(trust(tf, "deploy").Condition.StringLike).toEqual({ "token.actions.githubusercontent.com:sub": "repo:acme/shop:environment:*" });
    expect(byPath(tf, "aws_iam_role_policy_attachment", "github/deploy-admin").policy_arn).toBe(
      "arn:aws:iam::aws:policy/AdministratorAccess",
    );
    expect(tf.output!.github_deploy_role_arn.value).toBe(ref(tf, "aws_iam_role", "github/deploy", "arn"));
  });

  it("reuses the account's OIDC provider when given (an account holds one per URL), and makes nothing without a repository", () => {
    const arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
    const tf = github(arn);
    expect(resourcesOf(tf, "aws_iam_openid_connect_provider")).toEqual([]);
    expect(trust(tf, "deploy").Principal).toEqual({ Federated: arn });
    expect(resourcesOf(synthBootstrap().parsed, "aws_iam_role")).toEqual([]);
  });
});

describe("bootstrap stack", () => {
  const { json, parsed } = synthBootstrap();

  it("keeps its own state in a local file at the project root", () => {
    expect(parsed.terraform.backend).toEqual({ local: { path: "../../../terraform.bootstrap.tfstate" } });
  });

  it("creates the configured bucket, protected from destroy", () => {
    expect(json).toHaveResourceWithProperties(S3Bucket, { bucket: "test-state-bucket", lifecycle: { prevent_destroy: true } });
    expect(json).not.toHaveResourceWithProperties(S3Bucket, { force_destroy: true });
  });

  it("versions, encrypts and blocks public access", () => {
    expect(json).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    expect(json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    expect(json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it("denies every request that is not TLS", () => {
    const [policy] = resourcesOf(parsed, "aws_s3_bucket_policy");
    expect(JSON.parse(policy.policy as string).Statement).toEqual([
      expect.objectContaining({ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    ]);
  });

  it("expires old state versions and abandoned uploads", () => {
    const [lifecycle] = resourcesOf(parsed, "aws_s3_bucket_lifecycle_configuration");
    expect(lifecycle.rule).toEqual([
      expect.objectContaining({
        status: "Enabled",
        noncurrent_version_expiration: [{ noncurrent_days: 90 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      }),
    ]);
  });
});

describe("the local AWS switch", () => {
  it("changes only the provider and backend connection settings", () => {
    const env = committedEnvironment("dev");
    const real = synthEnvironment(env).parsed;
    const local = synthEnvironment(env, LOCAL).parsed;
    expect(local.resource).toEqual(real.resource);
    expect(local.data).toEqual(real.data);
    expect(local.output).toEqual(real.output);

    const provider = local.provider.aws[0];
    expect(provider).toMatchObject({
      ...real.provider.aws[0],
      access_key: "test",
      secret_key: "test",
      s3_use_path_style: true,
      skip_credentials_validation: true,
    });
    const endpoints = (provider.endpoints as Record<string, string>[])[0];
    expect(Object.values(endpoints).every((url) => url === "http://127.0.0.1:4566")).toBe(true);
    expect(Object.keys(endpoints)).toEqual(expect.arrayContaining(["ec2", "iam", "s3", "sts", "logs"]));

    expect(local.terraform.backend.s3).toMatchObject({
      ...real.terraform.backend.s3,
      endpoints: { s3: "http://127.0.0.1:4566" },
      use_path_style: true,
    });
  });

  it("leaves real stacks without credentials or endpoints", () => {
    const { json, parsed } = committedStack("prod");
    expect(parsed.provider.aws[0]).not.toHaveProperty("access_key");
    expect(parsed.provider.aws[0]).not.toHaveProperty("endpoints");
    expect(parsed.terraform.backend.s3).not.toHaveProperty("endpoints");
    // The matchers discriminate: a property the stack does not have is reported absent.
    expect(json).not.toHaveResourceWithProperties(Vpc, { cidr_block: "10.99.0.0/16" });
  });

  it("points the bootstrap stack at the emulator too", () => {
    const { parsed } = synthBootstrap(LOCAL);
    expect((parsed.provider.aws[0].endpoints as Record<string, string>[])[0].s3).toBe("http://127.0.0.1:4566");
  });
});
