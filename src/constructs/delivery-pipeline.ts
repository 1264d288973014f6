import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { Codepipeline, type CodepipelineStage, type CodepipelineStageAction } from "@cdktf/provider-aws/lib/codepipeline";
import { CodestarconnectionsConnection } from "@cdktf/provider-aws/lib/codestarconnections-connection";
import { DataAwsCodestarconnectionsConnection } from "@cdktf/provider-aws/lib/data-aws-codestarconnections-connection";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import type { ResolvedConnection } from "../config/environment";
import {
  appSpecFile,
  DEPLOY_DOCUMENT_VARIABLE,
  DEPLOY_INSTANCE_VARIABLE,
  imageBuildSpec,
  imageDefinitionsFile,
  imagePromotionSpec,
  MIGRATION_VARIABLES,
  migrationSpec,
  PROMOTION_BUCKET_VARIABLE,
  PROMOTION_REPOSITORIES_VARIABLE,
  RELEASE_PARAMETERS_VARIABLE,
  RELEASE_RECORD_OBJECT,
  RELEASE_VARIABLE,
  releaseSpec,
  REPOSITORY_VARIABLE,
  taskDefinitionFile,
} from "../delivery/buildspec";
import { BuildProject, type BuildProjectProps } from "./build-project";
import { EncryptionKey } from "./encryption-key";
import { EventNotification } from "./event-notification";
import type { DeployTarget } from "./fargate-service";
import { policyDocument, serviceTrustPolicy, type PolicyStatement } from "./iam-policy";
import { promotionsBucketName, releaseRecordsBucket } from "./release-records";
import { SecureBucket } from "./secure-bucket";

/** One image the pipeline builds, where it goes, and what runs it. */
export interface PipelineImage {
  /** ECR repository name within the environment. */
  readonly repository: string;
  /** Its name in ECR (`<project>/<repository>`). */
  readonly repositoryName: string;
  readonly repositoryUrl: string;
  readonly repositoryArn: string;
  /** Build context and Dockerfile, relative to the repository root. */
  readonly context: string;
  readonly dockerfile: string;
  /** The release parameter the pipeline records the commit in once it is deployed. */
  readonly release: { readonly parameterName: string; readonly parameterArn: string };
  /** ECS services running the image; none on a single host. */
  readonly services: readonly DeployTarget[];
}

/** The single host a release is deployed to, through its SSM document. */
export interface PipelineHost {
  readonly instanceId: string;
  readonly documentName: string;
  readonly documentArn: string;
}

/** The release's migration on ECS: a one-off task of `service` with the release's image of `repositoryUrl`. */
export interface PipelineMigration {
  readonly service: DeployTarget;
  readonly repositoryUrl: string;
  readonly command: readonly string[];
  readonly timeoutMinutes: number;
}

export interface DeliveryPipelineProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  /** GitHub `owner/name` and the branch whose commits are released. */
  readonly repository: string;
  readonly branch: string;
  /**
   * The GitHub connection: a new one by this name (pending until approved in the console), an
   * approved one by ARN, or another environment's, looked up by name.
   */
  readonly connection: ResolvedConnection;
  readonly images: readonly PipelineImage[];
  /** Deploy by SSM command on this host instead of to ECS. @default ECS */
  readonly host?: PipelineHost;
  /** ECS: a Migrate stage before Deploy runs this once with the release's image. @default none */
  readonly migration?: PipelineMigration;
  /** Architecture of the images, so of the build hosts. @default "x86_64" */
  readonly architecture?: "x86_64" | "arm64";
  /** A person approves each release between build and deploy. */
  readonly manualApproval: boolean;
  /** @default "BUILD_GENERAL1_SMALL" */
  readonly computeType?: string;
  readonly logRetentionDays: number;
  readonly logsKmsKeyArn: string;
  readonly artifactRetentionDays: number;
  /** Failed releases are announced here (the environment's alarm topic). */
  readonly notificationTopicArn: string;
  /** prevent_destroy on the artifact key. */
  readonly protect: boolean;
  /**
   * Deploy the releases the pipeline of the environment with this name prefix records, without
   * building: its release record starts this pipeline, and each image must still have the digest
   * recorded there.
   * @default build each image from the repository
   */
  readonly promotion?: { readonly fromNamePrefix: string };
  /**
   * Record each deployed release (commit and digests) in a promotions bucket, whose new object
   * starts the pipelines of the environments promoting this one.
   * @default false
   */
  readonly recordsPromotions?: boolean;
}

/** Name of the EventBridge rule that reports failed releases; the alarm topic lets it publish. */
export const failedReleaseRuleName = (namePrefix: string) => `${namePrefix}-release-failed`;

const SOURCE = "source";
const artifactOf = (image: PipelineImage) => `image_${image.repository.replace(/-/g, "_")}`;
/** The commit a run releases: the source's when it builds, the release record's when it promotes. */
const releaseOf = (promoted: boolean) => (promoted ? `#{ReleaseVariables.${RELEASE_VARIABLE}}` : "#{SourceVariables.CommitId}");
const releaseVariables = (promoted: boolean) => JSON.stringify([{ name: RELEASE_VARIABLE, value: releaseOf(promoted), type: "PLAINTEXT" }]);

type CommonProjectProps = Omit<BuildProjectProps, "name" | "description" | "buildspec" | "statements">;

/**
 * AWS-native delivery for one environment: GitHub (through a CodeConnections connection) →
 * one CodeBuild project per image, tagged with the commit id → an optional manual approval →
 * ECS rolling deploys and CodeDeploy blue/green deploys, or an SSM command on the single host →
 * the release recorded in each image's release parameter. Artifacts are KMS-encrypted in a
 * TLS-only bucket that expires them; every role reaches only its own resources; failures go to
 * the environment's alarm topic.
 */
export class DeliveryPipeline extends Construct {
  readonly pipelineName: string;
  readonly connectionArn: string;
  /** The artifact bucket and its key, which other pipelines of the environment (the drift check) share. */
  readonly artifacts: { readonly bucketArn: string; readonly bucketName: string; readonly kmsKeyArn: string };

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const name = `${props.namePrefix}-release`;
    const promoted = Boolean(props.promotion);
    this.connectionArn = this.connection(props.connection);
    const { key, bucket } = this.artifactStore(props, name);
    const artifacts = { bucketArn: bucket.bucketArn, kmsKeyArn: key.keyArn };
    this.artifacts = { ...artifacts, bucketName: bucket.bucketName };
    const common: CommonProjectProps = {
      accountId: props.accountId,
      artifacts,
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      ...(props.architecture ? { architecture: props.architecture } : {}),
    };

    const images = props.images.map((image) =>
      promoted ? this.promotionProject(props, image, common) : this.buildProject(props, image, common),
    );
    const promotions = props.recordsPromotions
      ? releaseRecordsBucket(this, "promotions", { namePrefix: props.namePrefix, accountId: props.accountId, protect: props.protect })
      : undefined;
    const release = this.releaseProject(props, common, promotions);
    const migrate = props.migration && this.addMigration(props, props.migration, common);

    const role = new IamRole(this, "role", {
      name: `${name}-pipeline`,
      assumeRolePolicy: serviceTrustPolicy("codepipeline.amazonaws.com", props.accountId),
    });
    const rolePolicy = new IamRolePolicy(this, "policy", {
      role: role.id,
      name: "release",
      policy: policyDocument(
        this.pipelineStatements(props, this.connectionArn, artifacts, [...images, release, ...(migrate ? [migrate] : [])]),
      ),
    });

    const targets = props.images.flatMap((image) => image.services.map((service) => ({ image, service })));
    const variables = releaseVariables(promoted);
    const pipeline = new Codepipeline(this, "pipeline", {
      name,
      roleArn: role.arn,
      pipelineType: "V2",
      // Each commit is released in turn; a newer one never cuts short an approval or a deploy.
      executionMode: "QUEUED",
      artifactStore: [{ location: bucket.bucketName, type: "S3", encryptionKey: { id: key.keyArn, type: "KMS" } }],
      stage: [
        this.sourceStage(props),
        {
          name: promoted ? "Promote" : "Build",
          action: props.images.map((image, i): CodepipelineStageAction => ({
            name: `${promoted ? "promote" : "build"}-${image.repository}`,
            category: "Build",
            owner: "AWS",
            provider: "CodeBuild",
            version: "1",
            inputArtifacts: [SOURCE],
            outputArtifacts: [artifactOf(image)],
            // A promotion reads the commit from the release record and passes it on.
            ...(promoted
              ? { ...(i === 0 ? { namespace: "ReleaseVariables" } : {}), configuration: { ProjectName: images[i].projectName } }
              : { configuration: { ProjectName: images[i].projectName, EnvironmentVariables: variables } }),
          })),
        },
        ...(props.manualApproval
          ? [
              {
                name: "Approve",
                action: [
                  {
                    name: "approve-release",
                    category: "Approval",
                    owner: "AWS",
                    provider: "Manual",
                    version: "1",
                    configuration: { CustomData: `Release commit ${releaseOf(promoted)} to ${props.namePrefix}` },
                  },
                ],
              },
            ]
          : []),
        ...(migrate
          ? [
              {
                name: "Migrate",
                action: [
                  {
                    name: "migrate",
                    category: "Build",
                    owner: "AWS",
                    provider: "CodeBuild",
                    version: "1",
                    inputArtifacts: [SOURCE],
                    configuration: { ProjectName: migrate.projectName, EnvironmentVariables: variables },
                  },
                ],
              },
            ]
          : []),
        {
          name: "Deploy",
          action: [
            ...targets.map(({ image, service }) => deployAction(artifactOf(image), service)),
            {
              name: props.host ? "deploy-host" : "record-release",
              category: "Build",
              owner: "AWS",
              provider: "CodeBuild",
              version: "1",
              // After the ECS and CodeDeploy actions: only a deployed release is recorded.
              runOrder: props.host ? 1 : 2,
              inputArtifacts: [SOURCE],
              configuration: { ProjectName: release.projectName, EnvironmentVariables: variables },
            },
          ],
        },
      ],
      dependsOn: [rolePolicy],
    });
    this.pipelineName = pipeline.name;
    if (props.promotion) this.startOnReleaseRecord(props, props.promotion.fromNamePrefix, pipeline);

    // Pages on a failed build, approval or deploy. A failed Source stage is not a broken release:
    // a new connection stays PENDING until someone approves it in the console, so the pipeline's
    // first run (on creation) fails there; `pipeline_status_command` shows it.
    new EventNotification(this, "failed", {
      ruleName: failedReleaseRuleName(props.namePrefix),
      description: `Failed releases of ${name} (after the source stage)`,
      eventPattern: {
        source: ["aws.codepipeline"],
        "detail-type": ["CodePipeline Stage Execution State Change"],
        resources: [pipeline.arn],
        detail: { state: ["FAILED"], stage: [{ "anything-but": "Source" }] },
      },
      topicArn: props.notificationTopicArn,
      inputPaths: { pipeline: "$.detail.pipeline", stage: "$.detail.stage", execution: "$.detail.execution-id" },
      message: "Release pipeline <pipeline> failed in stage <stage> (execution <execution>).",
    });
  }

  /** The GitHub connection: created here, an approved one by ARN, or another environment's by name. */
  private connection(source: ResolvedConnection): string {
    if ("arn" in source) return source.arn;
    if ("create" in source)
      return new CodestarconnectionsConnection(this, "connection", { name: source.create, providerType: "GitHub" }).arn;
    return new DataAwsCodestarconnectionsConnection(this, "shared-connection", { name: source.lookUp }).arn;
  }

  /** The artifact bucket and its key, which expire what each run writes. */
  private artifactStore(props: DeliveryPipelineProps, name: string): { key: EncryptionKey; bucket: SecureBucket } {
    const key = new EncryptionKey(this, "artifact-key", {
      alias: `${props.namePrefix}-delivery`,
      description: `${props.namePrefix}: pipeline artifacts and build outputs`,
      accountId: props.accountId,
      preventDestroy: props.protect,
    });
    const bucket = new SecureBucket(this, "artifacts", {
      bucketName: `${name}-artifacts-${props.accountId}`,
      // Every run writes artifacts, and a rerun writes them again: outside production nothing is lost.
      forceDestroy: !props.protect,
      preventDestroy: props.protect,
      lifecycleRules: [
        {
          id: "expire-artifacts",
          status: "Enabled",
          filter: [{}],
          expiration: [{ days: props.artifactRetentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    return { key, bucket };
  }

  /** The statements of a project that writes what the deploy actions read, from an image its role may only read (and, building, push). */
  private imageStatements(image: PipelineImage, push: boolean): PolicyStatement[] {
    const blueGreen = image.services.some((s) => s.codeDeploy);
    return [
      ...(push ? [{ Sid: "RegistryToken", Effect: "Allow" as const, Action: "ecr:GetAuthorizationToken", Resource: "*" }] : []),
      push
        ? {
            Sid: "PushOwnImage",
            Effect: "Allow",
            Action: [
              "ecr:BatchCheckLayerAvailability",
              "ecr:BatchGetImage",
              "ecr:GetDownloadUrlForLayer",
              "ecr:InitiateLayerUpload",
              "ecr:UploadLayerPart",
              "ecr:CompleteLayerUpload",
              "ecr:PutImage",
              // The pushed image's digest, which the deploy files name.
              "ecr:DescribeImages",
            ],
            Resource: image.repositoryArn,
          }
        : { Sid: "ReadOwnImageDigests", Effect: "Allow", Action: "ecr:DescribeImages", Resource: image.repositoryArn },
      // The task definition template starts from the family's newest revision; DescribeTaskDefinition takes no resource.
      ...(blueGreen ? [{ Sid: "ReadTaskDefinitions", Effect: "Allow" as const, Action: "ecs:DescribeTaskDefinition", Resource: "*" }] : []),
    ];
  }

  private deployTargets(image: PipelineImage) {
    return {
      rolling: image.services.filter((s) => !s.codeDeploy).map((s) => ({ container: s.container })),
      blueGreen: image.services.filter((s) => s.codeDeploy).map((s) => ({ container: s.container, port: s.port!, family: s.family })),
    };
  }

  /** Builds one image from the source and pushes it tagged with the commit id. */
  private buildProject(props: DeliveryPipelineProps, image: PipelineImage, common: CommonProjectProps): BuildProject {
    return new BuildProject(this, `build-${image.repository}`, {
      ...common,
      name: `${props.namePrefix}-build-${image.repository}`,
      description: `Builds ${image.repository} from ${props.repository} and pushes it tagged with the commit id`,
      privileged: true,
      ...(props.computeType ? { computeType: props.computeType } : {}),
      environment: { [REPOSITORY_VARIABLE]: image.repositoryUrl },
      buildspec: imageBuildSpec({ context: image.context, dockerfile: image.dockerfile, ...this.deployTargets(image) }),
      statements: this.imageStatements(image, true),
    });
  }

  /** Checks one image of a recorded release against its repository, and writes the deploy files; builds nothing. */
  private promotionProject(props: DeliveryPipelineProps, image: PipelineImage, common: CommonProjectProps): BuildProject {
    return new BuildProject(this, `promote-${image.repository}`, {
      ...common,
      name: `${props.namePrefix}-promote-${image.repository}`,
      description: `Promotes the recorded release of ${image.repository}: the same digest, not rebuilt`,
      environment: { [REPOSITORY_VARIABLE]: image.repositoryUrl },
      timeoutMinutes: 10,
      buildspec: imagePromotionSpec(this.deployTargets(image)),
      statements: this.imageStatements(image, false),
    });
  }

  /** Records a deployed release: the release parameters, the release record for promotions, and on a single host the deploy itself. */
  private releaseProject(props: DeliveryPipelineProps, common: CommonProjectProps, promotions?: SecureBucket): BuildProject {
    const host = props.host;
    const repositoryArns = props.images.map((image) => image.repositoryArn);
    return new BuildProject(this, "release", {
      ...common,
      name: `${props.namePrefix}-release`,
      description: host ? "Deploys a release on the host through SSM, then records it" : "Records a deployed release",
      environment: {
        [RELEASE_PARAMETERS_VARIABLE]: props.images.map((image) => image.release.parameterName).join(" "),
        ...(host ? { [DEPLOY_DOCUMENT_VARIABLE]: host.documentName, [DEPLOY_INSTANCE_VARIABLE]: host.instanceId } : {}),
        ...(promotions
          ? {
              [PROMOTION_BUCKET_VARIABLE]: promotions.bucketName,
              [PROMOTION_REPOSITORIES_VARIABLE]: props.images.map((image) => image.repositoryName).join(" "),
            }
          : {}),
      },
      timeoutMinutes: host ? 30 : 5,
      buildspec: releaseSpec(Boolean(host), Boolean(promotions)),
      statements: [
        {
          Sid: "RecordRelease",
          Effect: "Allow",
          Action: "ssm:PutParameter",
          Resource: props.images.map((image) => image.release.parameterArn),
        },
        ...(promotions
          ? [
              { Sid: "ReadReleasedDigests", Effect: "Allow" as const, Action: "ecr:DescribeImages", Resource: repositoryArns },
              {
                Sid: "WriteReleaseRecord",
                Effect: "Allow" as const,
                Action: "s3:PutObject",
                Resource: `${promotions.bucketArn}/${RELEASE_RECORD_OBJECT}`,
              },
            ]
          : []),
        ...(host
          ? [
              {
                Sid: "RunDeployDocument",
                Effect: "Allow" as const,
                Action: "ssm:SendCommand",
                Resource: [host.documentArn, `arn:aws:ec2:${props.region}:${props.accountId}:instance/${host.instanceId}`],
              },
              // Command invocations have no resource-level permissions.
              { Sid: "FollowDeployCommand", Effect: "Allow" as const, Action: "ssm:GetCommandInvocation", Resource: "*" },
            ]
          : []),
      ],
    });
  }

  /**
   * Where each run starts: a commit of the branch, through the connection; or, promoting, the
   * release record the promoted environment's pipeline writes (an EventBridge rule starts each run).
   */
  private sourceStage(props: DeliveryPipelineProps): CodepipelineStage {
    const from: Pick<CodepipelineStageAction, "name" | "provider" | "configuration"> = props.promotion
      ? {
          name: "ReleaseRecord",
          provider: "S3",
          configuration: {
            S3Bucket: promotionsBucketName(props.promotion.fromNamePrefix, props.accountId),
            S3ObjectKey: RELEASE_RECORD_OBJECT,
            PollForSourceChanges: "false",
          },
        }
      : {
          name: "GitHub",
          provider: "CodeStarSourceConnection",
          configuration: {
            ConnectionArn: this.connectionArn,
            FullRepositoryId: props.repository,
            BranchName: props.branch,
            OutputArtifactFormat: "CODE_ZIP",
            DetectChanges: "true",
          },
        };
    return {
      name: "Source",
      action: [{ ...from, category: "Source", owner: "AWS", version: "1", namespace: "SourceVariables", outputArtifacts: [SOURCE] }],
    };
  }

  /** Starts the pipeline when the promoted environment records a release (S3's EventBridge events). */
  private startOnReleaseRecord(props: DeliveryPipelineProps, fromNamePrefix: string, pipeline: Codepipeline): void {
    const rule = new CloudwatchEventRule(this, "promotion-rule", {
      name: `${props.namePrefix}-promote`,
      description: `Starts ${pipeline.name} when ${fromNamePrefix} records a release`,
      eventPattern: JSON.stringify({
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: { bucket: { name: [promotionsBucketName(fromNamePrefix, props.accountId)] }, object: { key: [RELEASE_RECORD_OBJECT] } },
      }),
    });
    const role = new IamRole(this, "promotion-role", {
      name: `${props.namePrefix}-promote-start`,
      assumeRolePolicy: serviceTrustPolicy("events.amazonaws.com", props.accountId),
    });
    new IamRolePolicy(this, "promotion-policy", {
      role: role.id,
      name: "start-pipeline",
      policy: policyDocument([
        { Sid: "StartThisPipeline", Effect: "Allow", Action: "codepipeline:StartPipelineExecution", Resource: pipeline.arn },
      ]),
    });
    new CloudwatchEventTarget(this, "promotion-target", { rule: rule.name, targetId: "pipeline", arn: pipeline.arn, roleArn: role.arn });
  }

  /**
   * The Migrate stage's project: registers the service's task definition with the release's image
   * in the family `<family>-migrate`, runs it once with the migration's command, and fails unless
   * it exits 0 in time. It may run only that family on only the service's cluster, pass only the
   * service's roles, and follow or stop only that cluster's tasks.
   */
  private addMigration(props: DeliveryPipelineProps, migration: PipelineMigration, common: CommonProjectProps): BuildProject {
    const { service } = migration;
    const ecsArn = (resource: string) => `arn:aws:ecs:${props.region}:${props.accountId}:${resource}`;
    return new BuildProject(this, "migrate", {
      ...common,
      name: `${props.namePrefix}-migrate`,
      description: `Runs the release's migration as a one-off task of ${service.container}`,
      environment: migrationEnvironment(migration),
      // The migration's limit, and time to register, start and stop its task.
      timeoutMinutes: migration.timeoutMinutes + 10,
      buildspec: migrationSpec(),
      statements: [
        // DescribeTaskDefinition and RegisterTaskDefinition take no resource.
        {
          Sid: "ReadAndRegisterTaskDefinitions",
          Effect: "Allow",
          Action: ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"],
          Resource: "*",
        },
        {
          Sid: "RunTheMigrationOnTheServicesCluster",
          Effect: "Allow",
          Action: "ecs:RunTask",
          Resource: ecsArn(`task-definition/${migrationFamily(service.family)}:*`),
          Condition: { ArnEquals: { "ecs:cluster": service.clusterArn } },
        },
        {
          Sid: "FollowOrStopItsTask",
          Effect: "Allow",
          Action: ["ecs:DescribeTasks", "ecs:StopTask"],
          Resource: ecsArn(`task/${service.clusterName}/*`),
        },
        {
          Sid: "PassTheServicesRoles",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: [...service.roleArns],
          Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        },
      ],
    });
  }

  private pipelineStatements(
    props: DeliveryPipelineProps,
    connectionArn: string,
    artifacts: { bucketArn: string; kmsKeyArn: string },
    projects: readonly BuildProject[],
  ): PolicyStatement[] {
    const services = props.images.flatMap((image) => image.services);
    const rolling = services.filter((s) => !s.codeDeploy);
    const blueGreen = services.filter((s) => s.codeDeploy);
    const clusters = [...new Set(rolling.map((s) => s.clusterName))];
    const codeDeployArn = (kind: string, name: string) => `arn:aws:codedeploy:${props.region}:${props.accountId}:${kind}:${name}`;
    return [
      {
        Sid: "ReadSource",
        Effect: "Allow",
        Action: ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
        Resource: connectionArn,
      },
      {
        Sid: "PipelineArtifacts",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"],
        Resource: `${artifacts.bucketArn}/*`,
      },
      { Sid: "ArtifactBucket", Effect: "Allow", Action: ["s3:GetBucketVersioning", "s3:GetBucketLocation"], Resource: artifacts.bucketArn },
      ...(props.promotion ? promotionSourceStatements(promotionsBucketName(props.promotion.fromNamePrefix, props.accountId)) : []),
      { Sid: "PipelineArtifactKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: artifacts.kmsKeyArn },
      {
        Sid: "RunOwnBuilds",
        Effect: "Allow",
        Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
        Resource: projects.map((p) => p.projectArn),
      },
      ...(services.length
        ? [
            // Task definitions are registered and read by family; these calls take no resource.
            {
              Sid: "RegisterTaskDefinitions",
              Effect: "Allow" as const,
              Action: ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"],
              Resource: "*",
            },
            // Tags only while registering (any family, as registering itself allows): a constant-size
            // statement keeps the role's inline policies within IAM's 10,240 characters.
            {
              Sid: "TagRegisteredTaskDefinitions",
              Effect: "Allow" as const,
              Action: "ecs:TagResource",
              Resource: `arn:aws:ecs:${props.region}:${props.accountId}:task-definition/*`,
              Condition: { StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } },
            },
            {
              Sid: "PassOwnTaskRoles",
              Effect: "Allow" as const,
              Action: "iam:PassRole",
              Resource: services.flatMap((s) => s.roleArns),
              Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
            },
          ]
        : []),
      ...(rolling.length
        ? [
            {
              Sid: "DeployOwnServices",
              Effect: "Allow" as const,
              Action: ["ecs:DescribeServices", "ecs:UpdateService"],
              Resource: rolling.map((s) => s.serviceArn),
            },
            // The ECS action follows its deployment's tasks.
            {
              Sid: "WatchOwnTasks",
              Effect: "Allow" as const,
              Action: "ecs:DescribeTasks",
              Resource: clusters.map((name) => `arn:aws:ecs:${props.region}:${props.accountId}:task/${name}/*`),
            },
            {
              Sid: "ListOwnClusterTasks",
              Effect: "Allow" as const,
              Action: "ecs:ListTasks",
              Resource: "*",
              Condition: {
                ArnEquals: { "ecs:cluster": clusters.map((name) => `arn:aws:ecs:${props.region}:${props.accountId}:cluster/${name}`) },
              },
            },
          ]
        : []),
      ...(blueGreen.length
        ? [
            {
              Sid: "StartOwnBlueGreenDeployments",
              Effect: "Allow" as const,
              Action: ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
              Resource: blueGreen.map((s) =>
                codeDeployArn("deploymentgroup", `${s.codeDeploy!.applicationName}/${s.codeDeploy!.deploymentGroupName}`),
              ),
            },
            {
              Sid: "RegisterOwnRevisions",
              Effect: "Allow" as const,
              Action: ["codedeploy:GetApplication", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
              Resource: blueGreen.map((s) => codeDeployArn("application", s.codeDeploy!.applicationName)),
            },
            {
              Sid: "ReadDeploymentConfigs",
              Effect: "Allow" as const,
              Action: "codedeploy:GetDeploymentConfig",
              Resource: codeDeployArn("deploymentconfig", "*"),
            },
          ]
        : []),
    ];
  }
}

/** What a promoting pipeline's source action reads: the release record, by version, in the promoted environment's bucket. */
/** What the migration's commands read: the service's cluster, family, network and log group, and the migration's command and limit. */
export function migrationEnvironment(migration: PipelineMigration): Record<string, string> {
  const { service } = migration;
  const v = MIGRATION_VARIABLES;
  return {
    [REPOSITORY_VARIABLE]: migration.repositoryUrl,
    [v.cluster]: service.clusterArn,
    [v.family]: service.family,
    [v.migrationFamily]: migrationFamily(service.family),
    [v.container]: service.container,
    [v.subnets]: Fn.join(",", [...service.subnetIds]),
    [v.securityGroup]: service.securityGroupId,
    [v.overrides]: JSON.stringify({ containerOverrides: [{ name: service.container, command: migration.command }] }),
    [v.timeoutSeconds]: String(migration.timeoutMinutes * 60),
    [v.logGroup]: service.logGroupName,
  };
}

/** The family a release's migration task is registered in: the service's newest revision never holds an unmigrated image. */
export const migrationFamily = (serviceFamily: string) => `${serviceFamily}-migrate`;

function promotionSourceStatements(bucketName: string): PolicyStatement[] {
  const bucket = `arn:aws:s3:::${bucketName}`;
  return [
    {
      Sid: "ReadPromotedReleaseRecord",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: `${bucket}/${RELEASE_RECORD_OBJECT}`,
    },
    { Sid: "PromotionsBucketVersioning", Effect: "Allow", Action: "s3:GetBucketVersioning", Resource: bucket },
  ];
}

/** ECS rolling deploy for a service, or CodeDeploy blue/green when its traffic shifts between target groups. */
function deployAction(artifact: string, service: DeployTarget): CodepipelineStageAction {
  const base = {
    name: `deploy-${service.container}`,
    category: "Deploy",
    owner: "AWS",
    version: "1",
    runOrder: 1,
    inputArtifacts: [artifact],
  };
  if (!service.codeDeploy) {
    return {
      ...base,
      provider: "ECS",
      configuration: {
        ClusterName: service.clusterName,
        ServiceName: service.serviceName,
        FileName: imageDefinitionsFile(service.container),
        DeploymentTimeout: "30",
      },
    };
  }
  return {
    ...base,
    provider: "CodeDeployToECS",
    configuration: {
      ApplicationName: service.codeDeploy.applicationName,
      DeploymentGroupName: service.codeDeploy.deploymentGroupName,
      TaskDefinitionTemplateArtifact: artifact,
      TaskDefinitionTemplatePath: taskDefinitionFile(service.container),
      AppSpecTemplateArtifact: artifact,
      AppSpecTemplatePath: appSpecFile(service.container),
      Image1ArtifactName: artifact,
      Image1ContainerName: "IMAGE1_NAME",
    },
  };
}
