import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Testing } from "cdktf";
import { buildApp } from "../src/app";
import { credentialsSecretName, resolveEnvironment, secretsReadByPlan, writesCredentialsSecret } from "../src/config/environment";
import { loadEnvironments } from "../src/config/load";
import type { EnvironmentInput } from "../src/config/schema";
import type { AppSettings } from "../src/config/settings";
import { LOCAL_AWS_SERVICES } from "../src/stacks/aws-context";
import { BOOTSTRAP_STACK, BootstrapStack } from "../src/stacks/bootstrap-stack";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ALL_STACKS,
  appliedText,
  asList,
  committedEnvironment,
  committedStack,
  byPath,
  committedStacksDir,
  dataOf,
  database,
  ENVIRONMENT_STACKS,
  ENVIRONMENTS_DIR,
  EXAMPLES_DIR,
  named,
  bareRef,
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

/** The API each type's resource (or data source) calls, by the longest prefix of its name after `aws_`. */
const TYPE_SERVICES: Record<string, string | null> = {
  acm: "acm",
  appautoscaling: "applicationautoscaling",
  budgets: "budgets",
  caller_identity: "sts",
  cloudfront: "cloudfront",
  cloudwatch: "cloudwatch",
  cloudwatch_event: "events",
  cloudwatch_log: "logs",
  codebuild: "codebuild",
  codedeploy: "codedeploy",
  codepipeline: "codepipeline",
  codestarconnections: "codestarconnections",
  db: "rds",
  default_security_group: "ec2",
  dlm: "dlm",
  ebs: "ec2",
  ec2: "ec2",
  ecr: "ecr",
  ecs: "ecs",
  eip: "ec2",
  elasticache: "elasticache",
  // A table in the provider: no call.
  elb_service_account: null,
  flow_log: "ec2",
  iam: "iam",
  instance: "ec2",
  internet_gateway: "ec2",
  kms: "kms",
  lb: "elbv2",
  nat_gateway: "ec2",
  route: "ec2",
  route53: "route53",
  s3: "s3",
  scheduler: "scheduler",
  secretsmanager: "secretsmanager",
  security_group: "ec2",
  sns: "sns",
  sqs: "sqs",
  ssm: "ssm",
  subnet: "ec2",
  volume: "ec2",
  vpc: "ec2",
  wafv2: "wafv2",
};

describe("the local AWS endpoints", () => {
  it("cover every service a stack calls, so no apply against the emulator reaches for real AWS", () => {
    const uncovered: string[] = [];
    for (const stack of ALL_STACKS) {
      const tf = committedStack(stack).parsed as TerraformJson & { data?: Record<string, unknown> };
      for (const type of [...Object.keys(tf.resource ?? {}), ...Object.keys(tf.data ?? {})]) {
        const name = type.replace(/^aws_/, "");
        const prefix = Object.keys(TYPE_SERVICES)
          .filter((p) => name === p || name.startsWith(`${p}_`))
          .sort((a, b) => b.length - a.length)[0];
        if (prefix === undefined) uncovered.push(`${type}: no service known (add it to TYPE_SERVICES)`);
        else if (TYPE_SERVICES[prefix] !== null && !(LOCAL_AWS_SERVICES as readonly string[]).includes(TYPE_SERVICES[prefix]!))
          uncovered.push(`${type}: ${TYPE_SERVICES[prefix]} has no local endpoint`);
      }
    }
    expect([...new Set(uncovered)]).toEqual([]);
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
  const withRepository = { ...SETTINGS, github: { repository: "acme/shop" } };
  const github = (oidcProviderArn?: string) =>
    synthBootstrap({ ...SETTINGS, github: { repository: "acme/shop", ...(oidcProviderArn ? { oidcProviderArn } : {}) } }).parsed;
  const trust = (tf: TerraformJson, role: string) =>
    JSON.parse(byPath(tf, "aws_iam_role", `github/${role}`).assume_role_policy as string).Statement[0];
  const subjects = (tf: TerraformJson, role: string) => trust(tf, role).Condition.StringLike["token.actions.githubusercontent.com:sub"];
  /** Every statement of a role's inline policies, by the role's construct path. */
  const inlineStatements = (tf: TerraformJson, role: string) =>
    Object.entries(tf.resource.aws_iam_role_policy ?? {})
      .filter(([, policy]) => policy.role === ref(tf, "aws_iam_role", `github/${role}`))
      .flatMap(([, policy]) => statementsOf(policy));
  const account = "${data.aws_caller_identity.account.account_id}";
  const credentials = (region: string, namePrefix: string) =>
    `arn:aws:secretsmanager:${region}:${account}:secret:${namePrefix}/database/credentials-??????`;
  /** The bootstrap as the app builds it: its drift role reads the secrets of environments/, not the examples'. */
  let built: TerraformJson | undefined;
  const appBootstrap = () => {
    const app = () => buildApp({ environmentsDir: ENVIRONMENTS_DIR, examplesDir: EXAMPLES_DIR, env: { GITHUB_REPOSITORY: "acme/shop" } });
    return (built ??= JSON.parse(Testing.synth(app().node.findChild(BOOTSTRAP_STACK) as BootstrapStack)) as TerraformJson);
  };

  it("lets only pull requests of that repository plan, read-only, reading the state", () => {
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
        // Not main: drift.yml has its own role, which may read the credential secrets.
        StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/shop:pull_request" },
      },
    });
    expect(byPath(tf, "aws_iam_role_policy_attachment", "github/plan-read-only").policy_arn).toBe("arn:aws:iam::aws:policy/ReadOnlyAccess");
    const state = ref(tf, "aws_s3_bucket", "state/bucket", "arn");
    expect(statementsOf(byPath(tf, "aws_iam_role_policy", "github/plan-state"))).toEqual([
      { Sid: "ListState", Effect: "Allow", Action: "s3:ListBucket", Resource: state },
      { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: `${state}/*` },
    ]);
    // Every plan, refreshing or not, opens the ephemeral aws_secretsmanager_random_password.
    expect(inlineStatements(tf, "plan").filter((s) => asList(s.Action).some((a) => /^(secretsmanager|kms):/.test(a)))).toEqual([
      { Sid: "GenerateWriteOnlyPasswords", Effect: "Allow", Action: "secretsmanager:GetRandomPassword", Resource: "*" },
    ]);
    expect(tf.output!.github_plan_role_arn.value).toBe(ref(tf, "aws_iam_role", "github/plan", "arn"));
  });

  it("lets only runs on the repository's main branch (drift.yml, scheduled or dispatched) check drift, read-only, reading the state", () => {
    const tf = appBootstrap();
    expect(trust(tf, "drift")).toEqual({ ...trust(tf, "plan"), Condition: expect.anything() });
    expect(trust(tf, "drift").Condition).toEqual({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
      StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/shop:ref:refs/heads/main" },
    });
    // The roles are named alike, within IAM's 64 characters for the longest repository slug.
    expect(byPath(tf, "aws_iam_role", "github/drift")).toMatchObject({ name: "gh-acme-shop-drift", max_session_duration: 3600 });
    expect(`gh-${"x".repeat(48)}-deploy`.length).toBeLessThanOrEqual(64);
    expect(byPath(tf, "aws_iam_role_policy_attachment", "github/drift-read-only")).toEqual({
      role: ref(tf, "aws_iam_role", "github/drift", "name"),
      policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
      lifecycle: { replace_triggered_by: [bareRef(tf, "aws_iam_role", "github/drift", "unique_id")] },
    });
    expect(statementsOf(byPath(tf, "aws_iam_role_policy", "github/drift-state"))).toEqual(
      statementsOf(byPath(tf, "aws_iam_role_policy", "github/plan-state")),
    );
    expect(tf.output!.github_drift_role_arn).toEqual({
      value: ref(tf, "aws_iam_role", "github/drift", "arn"),
      description: "GitHub variable AWS_DRIFT_ROLE_ARN",
    });
  });

  it("lets the drift role read exactly the secrets the environments' plans read, and the plan role only the origin headers, decrypting them only through Secrets Manager", () => {
    const tf = appBootstrap();
    // dev, staging and prod write their RDS password write-only, single-host its PostgreSQL container's;
    // prod's plans read its origin header; the examples are not drift.yml's.
    const originHeader = `arn:aws:secretsmanager:us-east-1:${account}:secret:webapp-prod/edge/origin-header-??????`;
    const secrets = [
      ...["webapp-dev", "webapp-prod"].map((p) => credentials("us-east-1", p)),
      originHeader,
      ...["webapp-single-host", "webapp-staging"].map((p) => credentials("us-east-1", p)),
    ];
    const readAndDecrypt = (arns: string[]) => [
      { Sid: "ReadStackSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arns },
      {
        Sid: "DecryptStackSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: [`arn:aws:kms:us-east-1:${account}:key/*`],
        Condition: {
          StringEquals: { "kms:ViaService": ["secretsmanager.us-east-1.amazonaws.com"] },
          StringLike: { "kms:EncryptionContext:SecretARN": arns },
        },
      },
    ];
    expect(statementsOf(byPath(tf, "aws_iam_role_policy", "github/drift-credentials"))).toEqual(readAndDecrypt(secrets));
    // Nothing else secret: no other secret, parameter or key, and no wildcard action.
    for (const [role, arns] of [
      ["drift", secrets],
      ["plan", [originHeader]],
    ] as const) {
      const secretish = inlineStatements(tf, role).filter((s) => asList(s.Action).some((a) => /^(secretsmanager|kms|ssm):/.test(a)));
      const found = secretish.map((s) => [s.Sid, s.Action, s.Resource]);
      const expected = [
        ["GenerateWriteOnlyPasswords", "secretsmanager:GetRandomPassword", "*"],
        ["ReadStackSecrets", "secretsmanager:GetSecretValue", arns],
        ["DecryptStackSecrets", "kms:Decrypt", [`arn:aws:kms:us-east-1:${account}:key/*`]],
      ];
      expect(found).toHaveLength(expected.length);
      expect(found).toEqual(expect.arrayContaining(expected));
      expect(inlineStatements(tf, role).flatMap((s) => asList(s.Action))).not.toContainEqual(expect.stringMatching(/\*/));
    }
    expect(statementsOf(byPath(tf, "aws_iam_role_policy", "github/plan-secrets"))).toEqual(readAndDecrypt([originHeader]));
  });

  it("names each credential secret by its environment's Region, and none for a database whose password RDS manages", () => {
    const env = (name: string, region: string, input: Partial<EnvironmentInput>) =>
      resolveEnvironment(name, { ...validInput(), region, ...input } as EnvironmentInput);
    const environments = [
      env("dev", "eu-west-1", { database }),
      env("staging", "us-east-1", { database: { ...database, passwordManagement: "rdsManaged" } }),
      env("prod", "us-east-1", {}),
    ];
    const tf = JSON.parse(Testing.synth(new BootstrapStack(Testing.app(), withRepository, environments))) as TerraformJson;
    const [read, decrypt] = statementsOf(byPath(tf, "aws_iam_role_policy", "github/drift-credentials"));
    expect(read.Resource).toEqual([credentials("eu-west-1", "webapp-dev")]);
    expect(decrypt.Resource).toEqual([`arn:aws:kms:eu-west-1:${account}:key/*`]);
    expect(decrypt.Condition).toEqual({
      StringEquals: { "kms:ViaService": ["secretsmanager.eu-west-1.amazonaws.com"] },
      StringLike: { "kms:EncryptionContext:SecretARN": [credentials("eu-west-1", "webapp-dev")] },
    });
    // No credential secret at all: no policy that could read one.
    const none = JSON.parse(Testing.synth(new BootstrapStack(Testing.app(), withRepository, environments.slice(1)))) as TerraformJson;
    expect(Object.keys(none.resource.aws_iam_role_policy).filter(named("github/drift-credentials"))).toEqual([]);
  });

  it.each(ENVIRONMENT_STACKS)(
    "%s writes a secret version exactly for each secret the plan roles are told its plans read, under those names",
    (stack) => {
      const env = loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR).find((e) => e.name === stack)!;
      const { parsed } = committedStack(stack);
      const secretNames = resourcesOf(parsed, "aws_secretsmanager_secret").map((s) => s.name);
      const told = secretsReadByPlan(env, true);
      expect(resourcesOf(parsed, "aws_secretsmanager_secret_version").length).toBe(told.length);
      expect(secretNames).toEqual(expect.arrayContaining(told));
      expect(told.includes(credentialsSecretName(env.namePrefix))).toBe(writesCredentialsSecret(env));
      // What a plan without refresh reads (a data source) is read by every plan.
      expect(secretsReadByPlan(env, false).length).toBe(dataOf(parsed, "aws_secretsmanager_secret_version").length);
    },
  );

  it("lets only jobs in the repository's GitHub environments (their reviewers gate production) deploy", () => {
    const tf = github();
    expect(trust(tf, "deploy").Condition.StringLike).toEqual({ "token.actions.githubusercontent.com:sub": "repo:acme/shop:environment:*" });
    expect(byPath(tf, "aws_iam_role_policy_attachment", "github/deploy-admin").policy_arn).toBe(
      "arn:aws:iam::aws:policy/AdministratorAccess",
    );
    expect(tf.output!.github_deploy_role_arn.value).toBe(ref(tf, "aws_iam_role", "github/deploy", "arn"));
    expect([subjects(tf, "plan"), subjects(tf, "drift"), subjects(tf, "deploy")]).toEqual([
      "repo:acme/shop:pull_request",
      "repo:acme/shop:ref:refs/heads/main",
      "repo:acme/shop:environment:*",
    ]);
  });

  it("reuses the account's OIDC provider when given (an account holds one per URL), and makes nothing without a repository", () => {
    const arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
    const tf = github(arn);
    expect(resourcesOf(tf, "aws_iam_openid_connect_provider")).toEqual([]);
    expect(trust(tf, "deploy").Principal).toEqual({ Federated: arn });
    expect(trust(tf, "drift").Principal).toEqual({ Federated: arn });
    expect(resourcesOf(synthBootstrap().parsed, "aws_iam_role")).toEqual([]);
  });

  it("keeps each role's trust policy well within IAM's 2,048 characters", () => {
    const tf = appBootstrap();
    for (const role of ["plan", "drift", "deploy"]) {
      const text = appliedText(byPath(tf, "aws_iam_role", `github/${role}`).assume_role_policy as string, tf).replace(/\s/g, "");
      expect(text.length).toBeLessThan(1024);
    }
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
