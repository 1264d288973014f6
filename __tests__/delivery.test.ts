import { CodestarconnectionsConnection } from "@cdktf/provider-aws/lib/codestarconnections-connection";
import { load as parseYaml } from "js-yaml";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostFiles } from "../scripts/lib/user-data";
import { ConfigError } from "../src/config/errors";
import { loadEnvironments } from "../src/config/load";
import {
  asList,
  byPath,
  committedStack,
  dataRef,
  pipelineStage,
  pipelineStages,
  bareRef,
  ref,
  type Resource,
  resourcesOf,
  type Statement,
  statementsOf,
  synthEnvironment,
  synthInput,
  type TerraformJson,
  inlinePolicyCharacters,
  MAX_ROLE_POLICY_CHARACTERS,
  withServices,
} from "./helpers";
import { MAX_RELEASE_WEIGHT } from "../src/config/schema";
import { REGIONS } from "../src/config/regions";
import { DRIFT_TERRAFORM } from "../src/delivery/buildspec";
import { scratchDir } from "./scratch";

interface BuildSpec {
  version: number;
  phases: Record<string, { commands: string[] }>;
  artifacts?: { files: string[] };
}

const project = (tf: TerraformJson, name: string) => byPath(tf, "aws_codebuild_project", `delivery/${name}/project`);
/** A project's buildspec, read the way CodeBuild reads it: as YAML. */
const buildSpecOf = (tf: TerraformJson, name: string) =>
  parseYaml((project(tf, name).source as { buildspec: string }).buildspec) as BuildSpec;
const commandsOf = (spec: BuildSpec) => Object.values(spec.phases).flatMap((phase) => phase.commands);
const policyOf = (tf: TerraformJson, path: string) => statementsOf(byPath(tf, "aws_iam_role_policy", path));
const sid = (statements: Statement[], id: string) => statements.find((s) => s.Sid === id);

describe("dev: a pipeline of rolling ECS deploys", () => {
  const { json, parsed } = committedStack("dev");

  it("takes each commit of the branch through a new CodeConnections connection", () => {
    expect(json).toHaveResourceWithProperties(CodestarconnectionsConnection, { name: "webapp-dev-github", provider_type: "GitHub" });
    const [source] = pipelineStage(parsed, "Source").action;
    expect(source).toMatchObject({
      category: "Source",
      provider: "CodeStarSourceConnection",
      output_artifacts: ["source"],
      configuration: {
        ConnectionArn: ref(parsed, "aws_codestarconnections_connection", "delivery/connection", "arn"),
        FullRepositoryId: "acme/product",
        BranchName: "main",
        DetectChanges: "true",
      },
    });
  });

  it("builds each image once, in its own project, from the commit id, then deploys without an approval outside production", () => {
    expect(pipelineStages(parsed).map((s) => s.name)).toEqual(["Source", "Build", "Migrate", "Deploy"]);
    const builds = pipelineStage(parsed, "Build").action;
    expect(builds.map((a) => [a.name, a.provider, a.output_artifacts])).toEqual([
      ["build-api", "CodeBuild", ["image_api"]],
      ["build-frontend", "CodeBuild", ["image_frontend"]],
    ]);
    for (const build of builds)
      expect(JSON.parse(build.configuration!.EnvironmentVariables)).toEqual([
        { name: "IMAGE_TAG", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" },
      ]);
  });

  it("migrates once, with the release's image and the service's settings, after the build and before any service moves", () => {
    const [migrate] = pipelineStage(parsed, "Migrate").action;
    expect(migrate).toMatchObject({ provider: "CodeBuild", input_artifacts: ["source"] });
    expect(migrate.configuration!.ProjectName).toBe(ref(parsed, "aws_codebuild_project", "delivery/migrate/project", "name"));
    expect(JSON.parse(migrate.configuration!.EnvironmentVariables)).toEqual([
      { name: "IMAGE_TAG", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" },
    ]);
    const variables = Object.fromEntries(
      (
        (project(parsed, "migrate").environment as { environment_variable: { name: string; value: string }[] }).environment_variable ?? []
      ).map((e) => [e.name, e.value]),
    );
    expect(variables).toMatchObject({
      REPOSITORY_URI: dataRef(parsed, "aws_ecr_repository", "image-api/repository", "repository_url"),
      CLUSTER: ref(parsed, "aws_ecs_cluster", "cluster", "arn"),
      SERVICE_FAMILY: "webapp-dev-api",
      MIGRATION_FAMILY: "webapp-dev-api-migrate",
      CONTAINER: "api",
      SECURITY_GROUP: ref(parsed, "aws_security_group", "service-api/sg"),
      OVERRIDES: JSON.stringify({ containerOverrides: [{ name: "api", command: ["alembic", "upgrade", "head"] }] }),
      TIMEOUT_SECONDS: "900",
      LOG_GROUP: ref(parsed, "aws_cloudwatch_log_group", "service-api/logs", "name"),
    });
    expect(project(parsed, "migrate").build_timeout).toBe(25);
  });

  it("lets the migration run only its own family on the service's cluster, with only the service's roles", () => {
    const statements = policyOf(parsed, "delivery/migrate/policy");
    const cluster = ref(parsed, "aws_ecs_cluster", "cluster", "arn");
    expect(sid(statements, "RunTheMigrationOnTheServicesCluster")).toMatchObject({
      Action: "ecs:RunTask",
      Resource: "arn:aws:ecs:us-east-1:${data.aws_caller_identity.account.account_id}:task-definition/webapp-dev-api-migrate:*",
      Condition: { ArnEquals: { "ecs:cluster": cluster } },
    });
    expect(sid(statements, "FollowOrStopItsTask")!.Resource).toBe(
      `arn:aws:ecs:us-east-1:\${data.aws_caller_identity.account.account_id}:task/${ref(parsed, "aws_ecs_cluster", "cluster", "name")}/*`,
    );
    // The migration's task runs as the service's task: its role may hand ECS nothing beyond the service's two roles.
    expect(sid(statements, "PassTheServicesRoles")!.Resource).toEqual([
      ref(parsed, "aws_iam_role", "service-api/execution-role", "arn"),
      ref(parsed, "aws_iam_role", "service-api/task-role", "arn"),
    ]);
  });

  it("deploys every service on a built image with the ECS action, then records the release", () => {
    const deploy = pipelineStage(parsed, "Deploy").action;
    const ecs = deploy.filter((a) => a.provider === "ECS");
    expect(ecs.map((a) => [a.name, a.input_artifacts![0], a.configuration!.FileName, a.run_order])).toEqual([
      ["deploy-api", "image_api", "imagedefinitions-api.json", 1],
      ["deploy-worker", "image_api", "imagedefinitions-worker.json", 1],
      ["deploy-scheduler", "image_api", "imagedefinitions-scheduler.json", 1],
      ["deploy-frontend", "image_frontend", "imagedefinitions-frontend.json", 1],
    ]);
    expect(ecs[0].configuration!.ServiceName).toBe(ref(parsed, "aws_ecs_service", "service-api/service", "name"));
    const record = deploy.find((a) => a.name === "record-release")!;
    expect(record).toMatchObject({ provider: "CodeBuild", run_order: 2 });
    expect(record.configuration!.ProjectName).toBe(ref(parsed, "aws_codebuild_project", "delivery/release/project", "name"));
  });

  it("generates a buildspec that builds, pushes under the commit id and writes an image definition per service", () => {
    const spec = buildSpecOf(parsed, "build-api");
    expect(spec.version).toBe(0.2);
    const commands = commandsOf(spec);
    expect(commands).toContain(`docker build --pull --tag "$REPOSITORY_URI:$IMAGE_TAG" --file 'api/Dockerfile' 'api'`);
    expect(commands).toContain(`docker push "$REPOSITORY_URI:$IMAGE_TAG"`);
    expect(commands.some((c) => c.includes("latest"))).toBe(false);
    expect(spec.artifacts!.files).toEqual([
      "imageDetail.json",
      "imagedefinitions-api.json",
      "imagedefinitions-worker.json",
      "imagedefinitions-scheduler.json",
    ]);
    // Deploys name the pushed image by its digest.
    const digest = commands.findIndex((c) => c.startsWith("digest=$(aws ecr describe-images"));
    expect(commands[digest]).toContain('--image-ids imageTag="$IMAGE_TAG"');
    expect(commands.slice(digest)).toContain('pinned="$REPOSITORY_URI@$digest"');
    expect(commands).toContain(`printf '[{"name":"worker","imageUri":"%s"}]' "$pinned" > imagedefinitions-worker.json`);
    expect(commands).toContain(`printf '{"ImageURI":"%s"}' "$pinned" > imageDetail.json`);
    // A commit id or nothing: the build refuses to run with another tag.
    expect(commands[0]).toContain("^[0-9a-f]{7,40}$");
    expect((project(parsed, "build-api").environment as { environment_variable: unknown[] }).environment_variable).toEqual([
      { name: "REPOSITORY_URI", value: dataRef(parsed, "aws_ecr_repository", "image-api/repository", "repository_url"), type: "PLAINTEXT" },
    ]);
  });

  it("lets each build push only to its own repository, with its own log group", () => {
    const statements = policyOf(parsed, "delivery/build-api/policy");
    expect(sid(statements, "PushOwnImage")!.Resource).toBe(dataRef(parsed, "aws_ecr_repository", "image-api/repository", "arn"));
    expect(sid(statements, "WriteBuildLogs")!.Resource).toBe(
      `${ref(parsed, "aws_cloudwatch_log_group", "delivery/build-api/logs", "arn")}:*`,
    );
    const pushes = statements.filter((s) => asList(s.Action).includes("ecr:PutImage"));
    expect(pushes).toHaveLength(1);
    expect(sid(statements, "ReadTaskDefinitions")).toBeUndefined();
    expect(byPath(parsed, "aws_cloudwatch_log_group", "delivery/build-api/logs")).toMatchObject({
      name: "/codebuild/webapp-dev-build-api",
      retention_in_days: 30,
      kms_key_id: ref(parsed, "aws_kms_key", "telemetry-key", "arn"),
    });
    expect(project(parsed, "build-api")).toMatchObject({
      environment: { privileged_mode: true, compute_type: "BUILD_GENERAL1_SMALL" },
      encryption_key: ref(parsed, "aws_kms_key", "delivery/artifact-key", "arn"),
    });
  });

  it("lets the pipeline read only its connection, run only its builds and deploy only its services", () => {
    const statements = policyOf(parsed, "delivery/policy");
    expect(sid(statements, "ReadSource")!.Resource).toBe(ref(parsed, "aws_codestarconnections_connection", "delivery/connection", "arn"));
    expect(asList(sid(statements, "RunOwnBuilds")!.Resource).sort()).toEqual(
      ["build-api", "build-frontend", "migrate", "release"]
        .map((p) => ref(parsed, "aws_codebuild_project", `delivery/${p}/project`, "arn"))
        .sort(),
    );
    expect(asList(sid(statements, "DeployOwnServices")!.Resource).sort()).toEqual(
      ["api", "frontend", "scheduler", "worker"].map((s) => ref(parsed, "aws_ecs_service", `service-${s}/service`)).sort(),
    );
    const pass = sid(statements, "PassOwnTaskRoles")!;
    expect(pass.Condition).toEqual({ StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
    expect(asList(pass.Resource)).toHaveLength(8);
    expect(asList(pass.Resource)).toContain(ref(parsed, "aws_iam_role", "service-api/task-role", "arn"));
    expect(statements.some((s) => asList(s.Action).some((a) => a.startsWith("codedeploy:")))).toBe(false);
  });

  it("records a release only in the images' own release parameters", () => {
    const statements = policyOf(parsed, "delivery/release/policy");
    expect(sid(statements, "RecordRelease")!.Resource).toEqual([
      ref(parsed, "aws_ssm_parameter", "release-api/parameter", "arn"),
      ref(parsed, "aws_ssm_parameter", "release-frontend/parameter", "arn"),
    ]);
    expect(statements.some((s) => asList(s.Action).includes("ssm:SendCommand"))).toBe(false);
    const commands = commandsOf(buildSpecOf(parsed, "release"));
    expect(commands.some((c) => c.includes("aws ssm put-parameter") && c.includes("$RELEASE_PARAMETERS"))).toBe(true);
  });

  it("keeps artifacts in a TLS-only bucket that expires them, encrypted with the pipeline's key", () => {
    const pipeline = byPath(parsed, "aws_codepipeline", "delivery/pipeline");
    expect(pipeline).toMatchObject({ pipeline_type: "V2", execution_mode: "QUEUED" });
    expect(pipeline.artifact_store).toEqual([
      {
        location: ref(parsed, "aws_s3_bucket", "delivery/artifacts/bucket", "bucket"),
        type: "S3",
        encryption_key: { id: ref(parsed, "aws_kms_key", "delivery/artifact-key", "arn"), type: "KMS" },
      },
    ]);
    const deny = statementsOf(byPath(parsed, "aws_s3_bucket_policy", "delivery/artifacts/policy"))[0];
    expect(deny).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    const [rule] = byPath(parsed, "aws_s3_bucket_lifecycle_configuration", "delivery/artifacts/lifecycle").rule as Resource[];
    expect(rule).toMatchObject({ status: "Enabled", expiration: [{ days: 30 }] });
  });

  it("lets a destroy outside production delete the artifact bucket with its artifacts; production keeps them", () => {
    expect(byPath(parsed, "aws_s3_bucket", "delivery/artifacts").force_destroy).toBe(true);
    expect(byPath(committedStack("bluegreen").parsed, "aws_s3_bucket", "delivery/artifacts")).not.toHaveProperty("force_destroy");
  });

  it("announces failed releases on the environment's alarm topic, which lets that rule publish; a pending connection does not page", () => {
    const rule = byPath(parsed, "aws_cloudwatch_event_rule", "delivery/failed");
    expect(JSON.parse(rule.event_pattern as string)).toEqual({
      source: ["aws.codepipeline"],
      "detail-type": ["CodePipeline Stage Execution State Change"],
      resources: [ref(parsed, "aws_codepipeline", "delivery/pipeline", "arn")],
      // The first run fails in Source until the new connection is approved in the console.
      detail: { state: ["FAILED"], stage: [{ "anything-but": "Source" }] },
    });
    expect(byPath(parsed, "aws_cloudwatch_event_target", "delivery/failed/target").input_transformer).toEqual({
      input_paths: { pipeline: "$.detail.pipeline", stage: "$.detail.stage", execution: "$.detail.execution-id" },
      input_template: '"Release pipeline <pipeline> failed in stage <stage> (execution <execution>)."',
    });
    expect(parsed.output!.pipeline_status_command.value).toBe(
      `aws codepipeline get-pipeline-state --region us-east-1 --name ${ref(parsed, "aws_codepipeline", "delivery/pipeline", "name")} ` +
        "--query 'stageStates[].[stageName,latestExecution.status]' --output text",
    );
    const topicArn = ref(parsed, "aws_sns_topic", "alarm-topic", "arn");
    expect(byPath(parsed, "aws_cloudwatch_event_target", "delivery/failed/target").arn).toBe(topicArn);
    const publish = sid(statementsOf(byPath(parsed, "aws_sns_topic_policy", "alarm-topic/policy")), "EventRulesOfThisAccount")!;
    expect(publish.Condition!.ArnLike).toEqual({
      "aws:SourceArn": [
        "arn:aws:events:us-east-1:${data.aws_caller_identity.account.account_id}:rule/webapp-dev-release-failed",
        "arn:aws:events:us-east-1:${data.aws_caller_identity.account.account_id}:rule/webapp-dev-drift-check-failed",
        "arn:aws:events:us-east-1:${data.aws_caller_identity.account.account_id}:rule/webapp-dev-jobs-failed",
      ],
    });
  });

  it("holds no Terraform template syntax in any buildspec", () => {
    for (const p of resourcesOf(parsed, "aws_codebuild_project")) {
      const buildspec = (p.source as { buildspec: string }).buildspec;
      expect(buildspec).not.toMatch(/[$%]\{/);
    }
  });
});

describe("dev: a scheduled drift check of its own stack", () => {
  const { parsed } = committedStack("dev");
  const driftProject = () => byPath(parsed, "aws_codebuild_project", "drift-check/plan/project");
  const driftSpec = () => parseYaml((driftProject().source as { buildspec: string }).buildspec) as BuildSpec;
  const stages = () => byPath(parsed, "aws_codepipeline", "drift-check/pipeline").stage as { name: string; action: Resource[] }[];

  it("starts a small pipeline daily at 06:00 UTC, which only the schedule or a person starts", () => {
    expect(byPath(parsed, "aws_scheduler_schedule", "drift-check/schedule")).toEqual({
      name: "webapp-dev-drift-check",
      group_name: "default",
      description: "Starts the drift check of dev",
      schedule_expression: "cron(0 6 * * ? *)",
      schedule_expression_timezone: "UTC",
      state: "ENABLED",
      flexible_time_window: { mode: "OFF" },
      target: {
        arn: ref(parsed, "aws_codepipeline", "drift-check/pipeline", "arn"),
        role_arn: ref(parsed, "aws_iam_role", "drift-check/schedule-role", "arn"),
        retry_policy: { maximum_event_age_in_seconds: 3600, maximum_retry_attempts: 3 },
      },
      depends_on: [
        `aws_iam_role_policy.${Object.keys(parsed.resource.aws_iam_role_policy).find((n) => n.startsWith("drift-check_schedule-policy"))}`,
      ],
    });
    expect(parsed.output!.drift_check_command.value).toBe(
      `aws codepipeline start-pipeline-execution --region us-east-1 --name ${ref(parsed, "aws_codepipeline", "drift-check/pipeline", "name")}`,
    );
  });

  it("takes this app from the branch through the environment's connection, then plans in its own CodeBuild project", () => {
    expect(byPath(parsed, "aws_codepipeline", "drift-check/pipeline")).toMatchObject({
      name: "webapp-dev-drift-check",
      pipeline_type: "V2",
      execution_mode: "SUPERSEDED",
    });
    const [source, check] = stages();
    expect(source.name).toBe("Source");
    expect(source.action[0]).toMatchObject({
      provider: "CodeStarSourceConnection",
      output_artifacts: ["source"],
      configuration: {
        ConnectionArn: ref(parsed, "aws_codestarconnections_connection", "delivery/connection", "arn"),
        FullRepositoryId: "acme/product",
        BranchName: "main",
        OutputArtifactFormat: "CODE_ZIP",
        DetectChanges: "false",
      },
    });
    expect(check).toEqual({
      name: "Check",
      action: [
        {
          name: "terraform-plan",
          category: "Build",
          owner: "AWS",
          provider: "CodeBuild",
          version: "1",
          input_artifacts: ["source"],
          configuration: { ProjectName: ref(parsed, "aws_codebuild_project", "drift-check/plan/project", "name") },
        },
      ],
    });
    expect(driftProject()).toMatchObject({ name: "webapp-dev-drift-check", source: { type: "CODEPIPELINE" }, build_timeout: 30 });
    expect((driftProject().environment as { environment_variable: unknown[] }).environment_variable).toEqual([
      { name: "DRIFT_STACK", value: "dev", type: "PLAINTEXT" },
      { name: "ALARM_TOPIC_ARN", value: ref(parsed, "aws_sns_topic", "alarm-topic", "arn"), type: "PLAINTEXT" },
      // The committed stacks are synthesized without TF_STATE_BUCKET, as a fresh clone's are.
      { name: "TF_STATE_BUCKET", value: "TF_STATE_BUCKET-is-not-set", type: "PLAINTEXT" },
      { name: "TF_STATE_REGION", value: "us-east-1", type: "PLAINTEXT" },
      { name: "CHECKPOINT_DISABLE", value: "1", type: "PLAINTEXT" },
      { name: "DISABLE_VERSION_CHECK", value: "1", type: "PLAINTEXT" },
    ]);
    expect(byPath(parsed, "aws_cloudwatch_log_group", "drift-check/plan/logs")).toEqual({
      name: "/codebuild/webapp-dev-drift-check",
      retention_in_days: 30,
      kms_key_id: ref(parsed, "aws_kms_key", "telemetry-key", "arn"),
    });
  });

  it("plans read-only: its state object without the lock, the secret a refresh reads, and publishes to its own topic alone", () => {
    expect(byPath(parsed, "aws_iam_role_policy_attachment", "drift-check/plan/managed-policy-1")).toEqual({
      role: ref(parsed, "aws_iam_role", "drift-check/plan/role", "name"),
      policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
      lifecycle: { replace_triggered_by: [bareRef(parsed, "aws_iam_role", "drift-check/plan/role", "unique_id")] },
    });
    const statements = policyOf(parsed, "drift-check/plan/policy");
    expect(statements.map((s) => s.Sid)).toEqual([
      "WriteBuildLogs",
      "PipelineArtifacts",
      "PipelineArtifactKey",
      "ListState",
      "ReadOwnState",
      "PublishDrift",
      "EncryptForTheAlarmTopic",
      "ReadStackSecret1",
      "DecryptStackSecret1",
      "GenerateWriteOnlyPasswords",
    ]);
    // The plan opens the stack's ephemeral random password; the action reads nothing and takes no resource.
    expect(sid(statements, "GenerateWriteOnlyPasswords")).toEqual({
      Sid: "GenerateWriteOnlyPasswords",
      Effect: "Allow",
      Action: "secretsmanager:GetRandomPassword",
      Resource: "*",
    });
    expect(sid(statements, "ReadOwnState")).toMatchObject({
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::TF_STATE_BUCKET-is-not-set/dev/terraform.tfstate",
    });
    // Never the lock object (S3-native locking writes <key>.tflock): -lock=false.
    expect(statements.filter((s) => asList(s.Action).includes("s3:PutObject")).map((s) => s.Sid)).toEqual(["PipelineArtifacts"]);
    const publishes = statements.filter((s) => asList(s.Action).some((a) => a.startsWith("sns:")));
    expect(publishes).toEqual([
      { Sid: "PublishDrift", Effect: "Allow", Action: "sns:Publish", Resource: ref(parsed, "aws_sns_topic", "alarm-topic", "arn") },
    ]);
    expect(sid(statements, "EncryptForTheAlarmTopic")).toMatchObject({
      Resource: ref(parsed, "aws_kms_key", "telemetry-key", "arn"),
      Condition: { StringEquals: { "kms:ViaService": "sns.us-east-1.amazonaws.com" } },
    });
    expect(sid(statements, "ReadStackSecret1")!.Resource).toBe(ref(parsed, "aws_secretsmanager_secret", "database/credentials", "arn"));
    expect(sid(statements, "DecryptStackSecret1")).toMatchObject({
      Resource: ref(parsed, "aws_kms_key", "data-key", "arn"),
      Condition: { StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" } },
    });
  });

  it("lets the schedule start only this pipeline, and the pipeline use only its connection and run only its plan", () => {
    expect(policyOf(parsed, "drift-check/schedule-policy")).toEqual([
      {
        Sid: "StartOwnCheck",
        Effect: "Allow",
        Action: "codepipeline:StartPipelineExecution",
        Resource: ref(parsed, "aws_codepipeline", "drift-check/pipeline", "arn"),
      },
    ]);
    const trust = JSON.parse(byPath(parsed, "aws_iam_role", "drift-check/schedule-role").assume_role_policy as string).Statement;
    expect(trust).toEqual([expect.objectContaining({ Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" })]);
    const statements = policyOf(parsed, "drift-check/pipeline-policy");
    expect(sid(statements, "ReadSource")!.Resource).toBe(ref(parsed, "aws_codestarconnections_connection", "delivery/connection", "arn"));
    expect(sid(statements, "RunOwnCheck")!.Resource).toBe(ref(parsed, "aws_codebuild_project", "drift-check/plan/project", "arn"));
    expect(statements.some((s) => asList(s.Action).some((a) => a.startsWith("ecs:") || a.startsWith("iam:")))).toBe(false);
  });

  it("generates a buildspec that plans with -detailed-exitcode and -lock=false: 2 publishes addresses and the Plan: line, other failures fail", () => {
    const spec = driftSpec();
    expect(spec.version).toBe(0.2);
    expect(Object.keys(spec.phases)).toEqual(["install", "pre_build", "build"]);
    expect(spec.phases.install).toMatchObject({ "runtime-versions": { nodejs: "20" } });
    const commands = commandsOf(spec);
    expect(commands).toContain(`echo "${DRIFT_TERRAFORM.sha256}  /tmp/terraform.zip" | sha256sum --check --strict`);
    expect(commands).toEqual(expect.arrayContaining(["npm ci --no-audit --no-fund", "npm run synth"]));
    const plan = commands.find((c) => c.includes(" plan "))!;
    expect(plan).toContain('terraform -chdir="cdktf.out/stacks/$DRIFT_STACK" plan -input=false -lock=false -detailed-exitcode');
    expect(plan).toMatch(/\|\| plan_status=\$\?$/);
    // Anything but 0 and 2 fails the build: a broken plan is no verdict on drift.
    expect(commands).toContain(
      '[[ "$plan_status" == 0 || "$plan_status" == 2 ]] || { echo "terraform plan of $DRIFT_STACK failed (exit $plan_status): no verdict on drift" >&2; exit 1; }',
    );
    const publish = commands.filter((c) => c.includes("aws sns publish"));
    expect(publish).toEqual([
      'if [[ "$plan_status" == 2 ]]; then aws sns publish --topic-arn "$ALARM_TOPIC_ARN" --subject "Drift: $DRIFT_STACK" --message file://drift.txt > /dev/null; fi',
    ]);
    // The message holds addresses, actions and the summary line; never the plan's values.
    const message = commands.find((c) => c.includes("> drift.txt"))!;
    expect(message).toContain("grep -E '^(Plan:|Changes to Outputs:)' plan.txt");
    expect(message).toContain("head -n 100 changes.txt");
    expect(message).not.toMatch(/cat plan\.txt|show -no-color/);
    expect(commands.find((c) => c.includes("> changes.txt"))).toContain('"\\(.change.actions | join("+")) \\(.address)"');
  });

  it("announces a check whose plan fails on the alarm topic, not a pending connection", () => {
    const rule = byPath(parsed, "aws_cloudwatch_event_rule", "drift-check/failed/rule");
    expect(rule.name).toBe("webapp-dev-drift-check-failed");
    expect(JSON.parse(rule.event_pattern as string)).toEqual({
      source: ["aws.codepipeline"],
      "detail-type": ["CodePipeline Stage Execution State Change"],
      resources: [ref(parsed, "aws_codepipeline", "drift-check/pipeline", "arn")],
      detail: { state: ["FAILED"], stage: ["Check"] },
    });
    expect(byPath(parsed, "aws_cloudwatch_event_target", "drift-check/failed/target").arn).toBe(
      ref(parsed, "aws_sns_topic", "alarm-topic", "arn"),
    );
  });
});

describe("delivery.driftCheck", () => {
  const services = [
    { name: "api", role: "web", image: { tag: "1.0.0" }, cpu: 256, memory: 512, port: 8000, routing: { paths: ["/*"], priority: 10 } },
  ];
  const withDrift = (driftCheck?: object) =>
    synthInput(
      "dev",
      withServices(services, {
        observability: { alarmEmails: ["ops@example.com"] },
        delivery: { repository: "acme/product", builds: { api: {} }, ...(driftCheck ? { driftCheck } : {}) },
      }),
      { state: { bucket: "tfstate-123456789012-us-east-1", region: "us-east-1" } },
    ).parsed;

  it("is on by default in every environment with a pipeline, and off with enabled: false, which the topic then no longer admits", () => {
    const on = withDrift();
    expect(resourcesOf(on, "aws_scheduler_schedule")).toHaveLength(1);
    expect(sid(policyOf(on, "drift-check/plan/policy"), "ReadOwnState")!.Resource).toBe(
      "arn:aws:s3:::tfstate-123456789012-us-east-1/dev/terraform.tfstate",
    );
    // No database here: no secret to read.
    expect(policyOf(on, "drift-check/plan/policy").some((s) => asList(s.Action).includes("secretsmanager:GetSecretValue"))).toBe(false);
    const off = withDrift({ enabled: false });
    for (const type of ["aws_scheduler_schedule", "aws_codepipeline", "aws_codebuild_project", "aws_cloudwatch_event_rule"])
      expect(Object.keys(off.resource[type] ?? {}).filter((n) => n.startsWith("drift-check"))).toEqual([]);
    expect(off.output!.drift_check_command).toBeUndefined();
    const admitted = sid(statementsOf(byPath(off, "aws_sns_topic_policy", "alarm-topic/policy")), "EventRulesOfThisAccount")!;
    expect(JSON.stringify(admitted)).not.toContain("drift-check");
  });

  it("takes its own schedule, and the repository and branch of this app when they are not the product's", () => {
    const parsed = withDrift({ schedule: "rate(12 hours)", repository: "acme/platform-infra", branch: "release" });
    expect(byPath(parsed, "aws_scheduler_schedule", "drift-check/schedule").schedule_expression).toBe("rate(12 hours)");
    const source = (byPath(parsed, "aws_codepipeline", "drift-check/pipeline").stage as { action: Resource[] }[])[0].action[0];
    expect(source.configuration).toMatchObject({ FullRepositoryId: "acme/platform-infra", BranchName: "release" });
    // The release pipeline still builds the product.
    expect(pipelineStage(parsed, "Source").action[0].configuration).toMatchObject({ FullRepositoryId: "acme/product", BranchName: "main" });
  });
});

describe("bluegreen: CodePipeline → CodeDeploy blue/green, after an approval in production", () => {
  const { parsed } = committedStack("bluegreen");

  it("asks a person to approve each release between build and deploy", () => {
    expect(pipelineStages(parsed).map((s) => s.name)).toEqual(["Source", "Build", "Approve", "Deploy"]);
    expect(pipelineStage(parsed, "Approve").action[0]).toMatchObject({ category: "Approval", provider: "Manual" });
  });

  it("deploys both services with CodeDeployToECS, from the task definition and AppSpec the build writes", () => {
    const deploys = pipelineStage(parsed, "Deploy").action.filter((a) => a.category === "Deploy");
    expect(deploys.map((a) => a.provider)).toEqual(["CodeDeployToECS", "CodeDeployToECS"]);
    expect(deploys[1].configuration).toEqual({
      ApplicationName: ref(parsed, "aws_codedeploy_app", "service-api/codedeploy-app", "name"),
      DeploymentGroupName: ref(parsed, "aws_codedeploy_deployment_group", "service-api/deployment-group", "deployment_group_name"),
      TaskDefinitionTemplateArtifact: "image_api",
      TaskDefinitionTemplatePath: "taskdef-api.json",
      AppSpecTemplateArtifact: "image_api",
      AppSpecTemplatePath: "appspec-api.yaml",
      Image1ArtifactName: "image_api",
      Image1ContainerName: "IMAGE1_NAME",
    });
  });

  it("writes an AppSpec (YAML) for the service's container and port, and a task definition template from the family", () => {
    const commands = commandsOf(buildSpecOf(parsed, "build-api"));
    const appSpecCommand = commands.find((c) => c.endsWith("> appspec-api.yaml"))!;
    const lines = [...appSpecCommand.matchAll(/'([^']*)'/g)].map((m) => m[1]).slice(1);
    expect(parseYaml(lines.join("\n"))).toEqual({
      version: 0,
      Resources: [
        {
          TargetService: {
            Type: "AWS::ECS::Service",
            Properties: { TaskDefinition: "<TASK_DEFINITION>", LoadBalancerInfo: { ContainerName: "api", ContainerPort: 3000 } },
          },
        },
      ],
    });
    const template = commands.find((c) => c.endsWith("> taskdef-api.json"))!;
    expect(template).toContain("aws ecs describe-task-definition --task-definition ex-bluegreen-api");
    expect(template).toContain('.image = "<IMAGE1_NAME>"');
    expect(buildSpecOf(parsed, "build-api").artifacts!.files).toEqual(["imageDetail.json", "taskdef-api.json", "appspec-api.yaml"]);
  });

  it("lets the pipeline start deployments only in the services' own deployment groups", () => {
    const statements = policyOf(parsed, "delivery/policy");
    expect(asList(sid(statements, "StartOwnBlueGreenDeployments")!.Resource)).toEqual(
      ["frontend", "api"].map(
        (s) =>
          `arn:aws:codedeploy:us-east-1:\${data.aws_caller_identity.account.account_id}:deploymentgroup:${ref(parsed, "aws_codedeploy_app", `service-${s}/codedeploy-app`, "name")}/${ref(parsed, "aws_codedeploy_deployment_group", `service-${s}/deployment-group`, "deployment_group_name")}`,
      ),
    );
    expect(sid(statements, "DeployOwnServices")).toBeUndefined();
    expect(sid(policyOf(parsed, "delivery/build-api/policy"), "ReadTaskDefinitions")).toBeDefined();
  });
});

describe("fastapi-host: a release on the single host through SSM", () => {
  const { parsed } = committedStack("fastapi-host");

  it("deploys by running the stack's SSM document on the host, then records the release", () => {
    const deploy = pipelineStage(parsed, "Deploy").action;
    expect(deploy.map((a) => [a.name, a.provider])).toEqual([["deploy-host", "CodeBuild"]]);
    const variables = (project(parsed, "release").environment as { environment_variable: Resource[] }).environment_variable;
    expect(variables).toEqual([
      { name: "RELEASE_PARAMETERS", value: ref(parsed, "aws_ssm_parameter", "release-api/parameter", "name"), type: "PLAINTEXT" },
      { name: "DEPLOY_DOCUMENT", value: ref(parsed, "aws_ssm_document", "deploy-document", "name"), type: "PLAINTEXT" },
      { name: "DEPLOY_INSTANCE_ID", value: ref(parsed, "aws_instance", "host/instance"), type: "PLAINTEXT" },
    ]);
    const commands = commandsOf(buildSpecOf(parsed, "release"));
    const send = commands.findIndex((c) => c.includes("aws ssm send-command"));
    const record = commands.findIndex((c) => c.includes("aws ssm put-parameter"));
    expect(send).toBeGreaterThan(0);
    // Only a release that passed on the host is recorded.
    expect(record).toBeGreaterThan(send);
    expect(commands.some((c) => c.includes('[[ "$status" == Success ]]'))).toBe(true);
  });

  it("runs the host's deploy script with the commit id, which SSM checks before the host sees it", () => {
    const document = JSON.parse(byPath(parsed, "aws_ssm_document", "deploy-document").content as string);
    expect(document.parameters.Release.allowedPattern).toBe("^[0-9a-f]{7,40}$");
    expect(document.mainSteps).toEqual([
      {
        action: "aws:runShellScript",
        name: "deploy",
        inputs: { timeoutSeconds: "1200", runCommand: ["/usr/local/libexec/app-host/deploy {{ Release }}"] },
      },
    ]);
    const files = hostFiles(byPath(parsed, "aws_instance", "host/instance").user_data as string);
    const script = files["/usr/local/libexec/app-host/deploy"];
    expect(script).toContain("up --detach --wait");
    expect(script).toContain('"$libexec/health"');
    expect(script).toContain("restoring the previous release");
  });

  it("lets the release project command only this host, with only this document", () => {
    const statements = policyOf(parsed, "delivery/release/policy");
    expect(sid(statements, "RunDeployDocument")!.Resource).toEqual([
      ref(parsed, "aws_ssm_document", "deploy-document", "arn"),
      `arn:aws:ec2:us-east-1:\${data.aws_caller_identity.account.account_id}:instance/${ref(parsed, "aws_instance", "host/instance")}`,
    ]);
    expect(pipelineStages(parsed).map((s) => s.name)).toEqual(["Source", "Build", "Deploy"]);
  });

  it("starts the host on the released tag, read from the release parameters it alone may list", () => {
    const files = hostFiles(byPath(parsed, "aws_instance", "host/instance").user_data as string);
    const compose = JSON.parse(files["/etc/app-host/compose.json"]);
    // By digest: prepare resolves the released tag (or the defined one until the first release).
    expect(compose.services.api.image).toBe("${APP_IMAGE_API:?is written by prepare}");
    expect(files["/etc/app-host/images.tsv"]).toBe("APP_IMAGE_API\tex/api\tAPP_RELEASE_API\t1.0.0\n");
    expect(files["/etc/app-host/host.env"]).toContain("APP_RELEASE_PATH=/ex-fastapi-host/release\n");
    expect(files["/etc/systemd/system/app-host.service"]).toContain("ExecStartPre=/usr/local/libexec/app-host/read-releases");
    expect(sid(policyOf(parsed, "host/policy"), "ReadReleases")!.Resource).toBe(
      "arn:aws:ssm:us-east-1:${data.aws_caller_identity.account.account_id}:parameter/ex-fastapi-host/release",
    );
  });
});

describe("delivery options", () => {
  const services = [
    { name: "api", role: "web", image: { tag: "1.0.0" }, cpu: 256, memory: 512, port: 8000, routing: { paths: ["/*"], priority: 10 } },
  ];

  it("keeps the pipeline role's policy within IAM's limit at the largest release the schema accepts, with the longest names", () => {
    const region = [...REGIONS].sort((a, b) => b.length - a.length)[0];
    const release = (count: number, deployment: string) =>
      Array.from({ length: count }, (_, i) => ({
        ...services[0],
        // A 20-character name prefix leaves 9 for a blue/green service's target groups (32 - "-b").
        name: `s${i}`.padEnd(deployment === "blueGreen" ? 9 : 11, "x"),
        deployment,
        routing: { paths: [`/s${i}/*`], priority: i + 1 },
      }));
    for (const [rolling, blueGreen] of [
      [MAX_RELEASE_WEIGHT / 2, 0],
      [0, Math.floor(MAX_RELEASE_WEIGHT / 3)],
      [8, 8],
    ]) {
      const all = [...release(rolling, "rolling"), ...release(blueGreen, "blueGreen").map((s) => ({ ...s, name: `b${s.name.slice(1)}` }))];
      const input = withServices(
        all.map((s, i) => ({ ...s, routing: { paths: [`/${s.name}/*`], priority: i + 1 } })),
        {
          project: "p".repeat(16),
          region,
          delivery: { repository: "acme/product", builds: Object.fromEntries(all.map((s) => [s.name, {}])) },
        },
      );
      const { parsed } = synthInput("dev", input);
      const characters = inlinePolicyCharacters(parsed).get(ref(parsed, "aws_iam_role", "delivery/role", "id"));
      expect(characters).toBeGreaterThan(MAX_ROLE_POLICY_CHARACTERS / 2);
      expect(characters).toBeLessThanOrEqual(MAX_ROLE_POLICY_CHARACTERS);
    }
  });

  it("asks for an approval in production unless told otherwise, and reuses an approved connection", () => {
    const connectionArn = "arn:aws:codeconnections:us-east-1:123456789012:connection/0b4d4ecf-94ad-4e3b-a6e5-1a1b2c3d4e5f";
    const { json, parsed } = synthInput(
      "prod",
      withServices(services, {
        production: true,
        observability: { alarmEmails: ["ops@example.com"] },
        delivery: { repository: "acme/product", connectionArn, builds: { api: {} } },
      }),
    );
    expect(pipelineStages(parsed).map((s) => s.name)).toEqual(["Source", "Build", "Approve", "Deploy"]);
    expect(json).not.toHaveResource(CodestarconnectionsConnection);
    expect(pipelineStage(parsed, "Source").action[0].configuration!.ConnectionArn).toBe(connectionArn);
    expect(sid(policyOf(parsed, "delivery/policy"), "ReadSource")!.Resource).toBe(connectionArn);
  });

  it("reuses another environment's connection by its name, so one approval serves both", () => {
    const dir = scratchDir("delivery-");
    const pipeline = (extra: object) =>
      withServices(services, {
        observability: { alarmEmails: ["ops@example.com"] },
        delivery: { repository: "acme/product", builds: { api: {} }, ...extra },
      });
    writeFileSync(join(dir, "dev.json"), JSON.stringify(pipeline({})));
    // Its own addresses: definitions in one account and region must not overlap.
    const network = { vpcCidr: "10.1.0.0/16", azCount: 2, natStrategy: "single" };
    writeFileSync(join(dir, "staging.json"), JSON.stringify({ ...pipeline({ connectionFrom: "dev" }), network }));
    const staging = loadEnvironments(dir).find((e) => e.name === "staging")!;
    const { json, parsed } = synthEnvironment(staging);
    expect(json).not.toHaveResource(CodestarconnectionsConnection);
    const [[lookUp, connection]] = Object.entries(parsed.data!.aws_codestarconnections_connection);
    expect(connection).toEqual({ name: "webapp-dev-github" });
    expect(pipelineStage(parsed, "Source").action[0].configuration!.ConnectionArn).toBe(
      `\${data.aws_codestarconnections_connection.${lookUp}.arn}`,
    );

    writeFileSync(join(dir, "staging.json"), JSON.stringify({ ...pipeline({ connectionFrom: "dev" }), network, region: "eu-west-1" }));
    expect(() => loadEnvironments(dir)).toThrow(ConfigError);
    expect(() => loadEnvironments(dir)).toThrow(
      'environment "staging": delivery.connectionFrom: environment "dev" is in us-east-1; a connection serves its own region only',
    );
    writeFileSync(join(dir, "staging.json"), JSON.stringify(pipeline({ connectionFrom: "dev" })));
    writeFileSync(join(dir, "prod.json"), JSON.stringify(pipeline({ connectionFrom: "staging" })));
    expect(() => loadEnvironments(dir)).toThrow(
      'environment "prod": delivery.connectionFrom: environment "staging" reuses a connection itself; name the environment that creates it',
    );
  });

  it("builds arm64 images on arm64 build hosts for a Graviton single host", () => {
    const { parsed } = synthInput(
      "arm",
      withServices(services, {
        network: { vpcCidr: "10.0.0.0/16", azCount: 1 },
        singleHost: { instanceType: "t4g.small" },
        observability: { alarmEmails: ["ops@example.com"] },
        delivery: { repository: "acme/product", builds: { api: { context: "src", dockerfile: "docker/api.Dockerfile" } } },
      }),
    );
    expect(project(parsed, "build-api").environment).toMatchObject({ type: "ARM_CONTAINER" });
    expect(commandsOf(buildSpecOf(parsed, "build-api"))).toContain(
      `docker build --pull --tag "$REPOSITORY_URI:$IMAGE_TAG" --file 'docker/api.Dockerfile' 'src'`,
    );
  });
});

describe("Graviton for ECS: architecture arm64", () => {
  const services = [
    { name: "api", role: "web", image: { tag: "1.0.0" }, cpu: 256, memory: 512, port: 8000, routing: { paths: ["/*"], priority: 10 } },
  ];
  const delivered = (extra: object) =>
    withServices(services, {
      observability: { alarmEmails: ["ops@example.com"] },
      delivery: { repository: "acme/product", builds: { api: {} } },
      ...extra,
    });

  it("runs the tasks on ARM64 and builds the images on arm64 build hosts", () => {
    const { parsed } = synthInput("dev", delivered({ architecture: "arm64" }));
    expect(project(parsed, "build-api").environment).toMatchObject({ type: "ARM_CONTAINER", image: expect.stringContaining("aarch64") });
    for (const task of resourcesOf(parsed, "aws_ecs_task_definition"))
      expect(task.runtime_platform).toEqual({ operating_system_family: "LINUX", cpu_architecture: "ARM64" });
    const x86 = synthInput("dev", delivered({})).parsed;
    expect(project(x86, "build-api").environment).toMatchObject({ type: "LINUX_CONTAINER" });
    expect(resourcesOf(x86, "aws_ecs_task_definition")[0].runtime_platform).toMatchObject({ cpu_architecture: "X86_64" });
  });

  it("refuses to promote images of another architecture, which the tasks could not run", () => {
    const dir = scratchDir("arch-");
    writeFileSync(join(dir, "dev.json"), JSON.stringify(delivered({ architecture: "arm64" })));
    const staging = delivered({ network: { vpcCidr: "10.1.0.0/16", azCount: 2, natStrategy: "single" } }) as { delivery: object };
    writeFileSync(join(dir, "staging.json"), JSON.stringify({ ...staging, delivery: { promoteFrom: "dev" } }));
    expect(() => loadEnvironments(dir)).toThrow('environment "dev" builds arm64 images; this one runs x86_64');
  });
});

describe("build once, promote by digest: dev builds, staging and prod promote what the environment before them deployed", () => {
  const dev = committedStack("dev").parsed;
  const staging = committedStack("staging").parsed;
  const prod = committedStack("prod").parsed;
  const account = "${data.aws_caller_identity.account.account_id}";
  const variablesOf = (tf: TerraformJson, name: string) =>
    Object.fromEntries(
      ((project(tf, name).environment as { environment_variable?: { name: string; value: string }[] }).environment_variable ?? []).map(
        (e) => [e.name, e.value],
      ),
    );

  it("gives prod the order Source (staging's release record) → Promote → Approve → Migrate → Deploy, building nothing", () => {
    expect(pipelineStages(prod).map((s) => s.name)).toEqual(["Source", "Promote", "Approve", "Migrate", "Deploy"]);
    expect(pipelineStages(staging).map((s) => s.name)).toEqual(["Source", "Promote", "Migrate", "Deploy"]);
    const [source] = pipelineStage(prod, "Source").action;
    expect(source).toMatchObject({
      provider: "S3",
      output_artifacts: ["source"],
      configuration: { S3Bucket: `webapp-staging-promotions-${account}`, S3ObjectKey: "release.zip", PollForSourceChanges: "false" },
    });
    expect(pipelineStage(staging, "Source").action[0].configuration).toMatchObject({ S3Bucket: `webapp-dev-promotions-${account}` });
    for (const tf of [staging, prod]) {
      expect(
        resourcesOf(tf, "aws_codebuild_project").filter((p) => (p.environment as { privileged_mode?: boolean }).privileged_mode),
      ).toEqual([]);
      const promote = pipelineStage(tf, "Promote").action;
      expect(promote.map((a) => [a.name, a.output_artifacts])).toEqual([
        ["promote-api", ["image_api"]],
        ["promote-frontend", ["image_frontend"]],
      ]);
      expect(promote[0]).toMatchObject({ namespace: "ReleaseVariables" });
    }
    const released = [{ name: "IMAGE_TAG", value: "#{ReleaseVariables.IMAGE_TAG}", type: "PLAINTEXT" }];
    expect(JSON.parse(pipelineStage(prod, "Migrate").action[0].configuration!.EnvironmentVariables)).toEqual(released);
    const record = pipelineStage(prod, "Deploy").action.find((a) => a.name === "record-release")!;
    expect(JSON.parse(record.configuration!.EnvironmentVariables)).toEqual(released);
    expect(pipelineStage(prod, "Approve").action[0].configuration).toEqual({
      CustomData: "Release commit #{ReleaseVariables.IMAGE_TAG} to webapp-prod",
    });
  });

  it("lets a promotion only read its own repository's digests: no push, no build host", () => {
    const statements = policyOf(prod, "delivery/promote-api/policy");
    expect(statements.filter((s) => asList(s.Action).some((a) => a.startsWith("ecr:")))).toEqual([
      {
        Sid: "ReadOwnImageDigests",
        Effect: "Allow",
        Action: "ecr:DescribeImages",
        Resource: dataRef(prod, "aws_ecr_repository", "image-api/repository", "arn"),
      },
    ]);
    const spec = buildSpecOf(prod, "promote-api");
    expect(commandsOf(spec).join("\n")).not.toMatch(/docker|ecr get-login-password/);
    expect((JSON.parse(JSON.stringify(spec)) as { env: Record<string, unknown> }).env).toEqual({
      shell: "bash",
      "exported-variables": ["IMAGE_TAG"],
    });
  });

  it("records each deployed release of dev and staging, for the next environment, and nothing for prod", () => {
    for (const [tf, prefix] of [
      [dev, "webapp-dev"],
      [staging, "webapp-staging"],
    ] as const) {
      expect(variablesOf(tf, "release")).toMatchObject({
        PROMOTION_BUCKET: ref(tf, "aws_s3_bucket", "delivery/promotions/bucket", "bucket"),
        PROMOTION_REPOSITORIES: "webapp/api webapp/frontend",
      });
      const statements = policyOf(tf, "delivery/release/policy");
      expect(sid(statements, "WriteReleaseRecord")).toEqual({
        Sid: "WriteReleaseRecord",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${ref(tf, "aws_s3_bucket", "delivery/promotions/bucket", "arn")}/release.zip`,
      });
      expect(byPath(tf, "aws_s3_bucket_notification", "delivery/promotions/events")).toMatchObject({ eventbridge: true });
      expect(byPath(tf, "aws_s3_bucket", "delivery/promotions/bucket")).toMatchObject({ bucket: `${prefix}-promotions-${account}` });
    }
    expect(resourcesOf(prod, "aws_s3_bucket_notification")).toEqual([]);
    expect(variablesOf(prod, "release").PROMOTION_BUCKET).toBeUndefined();
  });

  it("starts prod's pipeline when staging records a release, with a role that may start only that pipeline", () => {
    const rule = byPath(prod, "aws_cloudwatch_event_rule", "delivery/promotion-rule");
    expect(JSON.parse(rule.event_pattern as string)).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: [`webapp-staging-promotions-${account}`] }, object: { key: ["release.zip"] } },
    });
    expect(byPath(prod, "aws_cloudwatch_event_target", "delivery/promotion-target")).toMatchObject({
      arn: ref(prod, "aws_codepipeline", "delivery/pipeline", "arn"),
      role_arn: ref(prod, "aws_iam_role", "delivery/promotion-role", "arn"),
    });
    expect(policyOf(prod, "delivery/promotion-policy")).toEqual([
      {
        Sid: "StartThisPipeline",
        Effect: "Allow",
        Action: "codepipeline:StartPipelineExecution",
        Resource: ref(prod, "aws_codepipeline", "delivery/pipeline", "arn"),
      },
    ]);
    const pipelineRead = policyOf(prod, "delivery/policy").filter((s) =>
      asList(s.Resource).some((r) => r.includes("webapp-staging-promotions")),
    );
    expect(pipelineRead.flatMap((s) => asList(s.Action)).sort()).toEqual(["s3:GetBucketVersioning", "s3:GetObject", "s3:GetObjectVersion"]);
  });

  describe("the commands, run with a stand-in for the AWS CLI", () => {
    const digestA = `sha256:${"a".repeat(64)}`;
    const digestB = `sha256:${"b".repeat(64)}`;
    /** Runs `commands` as CodeBuild does (one shell, stopping at the first failure) with `aws` answering every describe-images with `digest`. */
    const runWith = (commands: string[], digest: string, env: Record<string, string>, files: Record<string, string> = {}) => {
      const dir = scratchDir("buildspec-");
      const bin = join(dir, "bin");
      mkdirSync(bin);
      writeFileSync(
        join(bin, "aws"),
        `#!/bin/bash\ncase "$*" in\n  "ecr describe-images "*) echo '${digest}' ;;\n  "s3 cp "*) cp "$3" "${dir}/uploaded.zip" ;;\n  *) echo "unexpected: aws $*" >&2; exit 9 ;;\nesac\n`,
        { mode: 0o755 },
      );
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      // stdin not a socket: bash would read ~/.bashrc, as when started by sshd.
      const result = spawnSync("bash", ["-e", "-o", "pipefail", "-c", commands.join("\n")], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: `${bin}:${process.env.PATH}`, ...env },
        encoding: "utf8",
      });
      return { ...result, dir };
    };
    const repository = "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp/api";
    const record = (digest: string) =>
      JSON.stringify({ commit: "0123456789abcdef0123456789abcdef01234567", images: { "webapp/api": digest } });

    it("promotes the recorded digest, naming it in the deploy files and passing the commit on", () => {
      const commands = [...commandsOf(buildSpecOf(prod, "promote-api")), 'echo "$IMAGE_TAG" > exported.txt'];
      const run = runWith(commands, digestA, { REPOSITORY_URI: repository }, { "release.json": record(digestA) });
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      expect(JSON.parse(readFileSync(join(run.dir, "imagedefinitions-api.json"), "utf8"))).toEqual([
        { name: "api", imageUri: `${repository}@${digestA}` },
      ]);
      expect(readFileSync(join(run.dir, "exported.txt"), "utf8").trim()).toBe("0123456789abcdef0123456789abcdef01234567");
    });

    it("refuses when the repository's tag names another digest than the one released", () => {
      const run = runWith(
        commandsOf(buildSpecOf(prod, "promote-api")),
        digestB,
        { REPOSITORY_URI: repository },
        { "release.json": record(digestA) },
      );
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(`is ${digestB}, not the ${digestA} that was released: refusing to promote another build`);
      expect(existsSync(join(run.dir, "imagedefinitions-api.json"))).toBe(false);
    });

    it("records the commit and each repository's digest, zipped for the next pipeline's source", () => {
      const commands = commandsOf(buildSpecOf(staging, "release")).filter((c) => !c.startsWith("for parameter in"));
      const run = runWith(commands, digestA, {
        IMAGE_TAG: "0123456789abcdef0123456789abcdef01234567",
        PROMOTION_BUCKET: "webapp-staging-promotions-123456789012",
        PROMOTION_REPOSITORIES: "webapp/api webapp/frontend",
      });
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      const unzipped = spawnSync("unzip", ["-p", join(run.dir, "uploaded.zip"), "release.json"], { encoding: "utf8" });
      expect(JSON.parse(unzipped.stdout)).toEqual({
        commit: "0123456789abcdef0123456789abcdef01234567",
        images: { "webapp/api": digestA, "webapp/frontend": digestA },
      });
    });
  });
});
