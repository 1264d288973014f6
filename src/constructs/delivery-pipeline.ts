import { Codepipeline, type CodepipelineStageAction } from "@cdktf/provider-aws/lib/codepipeline";
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
  MIGRATION_VARIABLES,
  migrationSpec,
  RELEASE_PARAMETERS_VARIABLE,
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
import { SecureBucket } from "./secure-bucket";

/** One image the pipeline builds, where it goes, and what runs it. */
export interface PipelineImage {
  /** ECR repository name within the environment. */
  readonly repository: string;
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
}

/** Name of the EventBridge rule that reports failed releases; the alarm topic lets it publish. */
export const failedReleaseRuleName = (namePrefix: string) => `${namePrefix}-release-failed`;

const SOURCE = "source";
const artifactOf = (image: PipelineImage) => `image_${image.repository.replace(/-/g, "_")}`;
const releaseVariables = JSON.stringify([{ name: RELEASE_VARIABLE, value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" }]);

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
    const { namePrefix } = props;
    const name = `${namePrefix}-release`;
    const source = props.connection;
    const connectionArn =
      "arn" in source
        ? source.arn
        : "create" in source
          ? new CodestarconnectionsConnection(this, "connection", { name: source.create, providerType: "GitHub" }).arn
          : new DataAwsCodestarconnectionsConnection(this, "shared-connection", { name: source.lookUp }).arn;
    this.connectionArn = connectionArn;

    const key = new EncryptionKey(this, "artifact-key", {
      alias: `${namePrefix}-delivery`,
      description: `${namePrefix}: pipeline artifacts and build outputs`,
      accountId: props.accountId,
      preventDestroy: props.protect,
    });
    const bucket = new SecureBucket(this, "artifacts", {
      bucketName: `${name}-artifacts-${props.accountId}`,
      // Every run writes artifacts, and a rerun writes them again: outside production nothing is lost.
      forceDestroy: !props.protect,
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
    const artifacts = { bucketArn: bucket.bucketArn, kmsKeyArn: key.keyArn };
    this.artifacts = { ...artifacts, bucketName: bucket.bucketName };
    const common = {
      accountId: props.accountId,
      artifacts,
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      ...(props.architecture ? { architecture: props.architecture } : {}),
    };

    const builds = props.images.map((image) => {
      const rolling = image.services.filter((s) => !s.codeDeploy);
      const blueGreen = image.services.filter((s) => s.codeDeploy);
      return new BuildProject(this, `build-${image.repository}`, {
        ...common,
        name: `${namePrefix}-build-${image.repository}`,
        description: `Builds ${image.repository} from ${props.repository} and pushes it tagged with the commit id`,
        privileged: true,
        ...(props.computeType ? { computeType: props.computeType } : {}),
        environment: { [REPOSITORY_VARIABLE]: image.repositoryUrl },
        buildspec: imageBuildSpec({
          context: image.context,
          dockerfile: image.dockerfile,
          rolling: rolling.map((s) => ({ container: s.container })),
          blueGreen: blueGreen.map((s) => ({ container: s.container, port: s.port!, family: s.family })),
        }),
        statements: [
          { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
          {
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
          },
          // The task definition template starts from the family's newest revision; DescribeTaskDefinition takes no resource.
          ...(blueGreen.length
            ? [{ Sid: "ReadTaskDefinitions", Effect: "Allow" as const, Action: "ecs:DescribeTaskDefinition", Resource: "*" }]
            : []),
        ],
      });
    });

    const host = props.host;
    const release = new BuildProject(this, "release", {
      ...common,
      name: `${namePrefix}-release`,
      description: host ? "Deploys a release on the host through SSM, then records it" : "Records a deployed release",
      environment: {
        [RELEASE_PARAMETERS_VARIABLE]: props.images.map((image) => image.release.parameterName).join(" "),
        ...(host ? { [DEPLOY_DOCUMENT_VARIABLE]: host.documentName, [DEPLOY_INSTANCE_VARIABLE]: host.instanceId } : {}),
      },
      timeoutMinutes: host ? 30 : 5,
      buildspec: releaseSpec(Boolean(host)),
      statements: [
        {
          Sid: "RecordRelease",
          Effect: "Allow",
          Action: "ssm:PutParameter",
          Resource: props.images.map((image) => image.release.parameterArn),
        },
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

    const migrate = props.migration && this.addMigration(props, props.migration, common);

    const role = new IamRole(this, "role", {
      name: `${name}-pipeline`,
      assumeRolePolicy: serviceTrustPolicy("codepipeline.amazonaws.com", props.accountId),
    });
    const rolePolicy = new IamRolePolicy(this, "policy", {
      role: role.id,
      name: "release",
      policy: policyDocument(this.pipelineStatements(props, connectionArn, artifacts, [...builds, release, ...(migrate ? [migrate] : [])])),
    });

    const targets = props.images.flatMap((image) => image.services.map((service) => ({ image, service })));
    const pipeline = new Codepipeline(this, "pipeline", {
      name,
      roleArn: role.arn,
      pipelineType: "V2",
      // Each commit is released in turn; a newer one never cuts short an approval or a deploy.
      executionMode: "QUEUED",
      artifactStore: [{ location: bucket.bucketName, type: "S3", encryptionKey: { id: key.keyArn, type: "KMS" } }],
      stage: [
        {
          name: "Source",
          action: [
            {
              name: "GitHub",
              category: "Source",
              owner: "AWS",
              provider: "CodeStarSourceConnection",
              version: "1",
              namespace: "SourceVariables",
              outputArtifacts: [SOURCE],
              configuration: {
                ConnectionArn: connectionArn,
                FullRepositoryId: props.repository,
                BranchName: props.branch,
                OutputArtifactFormat: "CODE_ZIP",
                DetectChanges: "true",
              },
            },
          ],
        },
        {
          name: "Build",
          action: props.images.map((image, i): CodepipelineStageAction => ({
            name: `build-${image.repository}`,
            category: "Build",
            owner: "AWS",
            provider: "CodeBuild",
            version: "1",
            inputArtifacts: [SOURCE],
            outputArtifacts: [artifactOf(image)],
            configuration: { ProjectName: builds[i].projectName, EnvironmentVariables: releaseVariables },
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
                    configuration: { CustomData: `Release commit #{SourceVariables.CommitId} to ${namePrefix}` },
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
                    configuration: { ProjectName: migrate.projectName, EnvironmentVariables: releaseVariables },
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
              name: host ? "deploy-host" : "record-release",
              category: "Build",
              owner: "AWS",
              provider: "CodeBuild",
              version: "1",
              // After the ECS and CodeDeploy actions: only a deployed release is recorded.
              runOrder: host ? 1 : 2,
              inputArtifacts: [SOURCE],
              configuration: { ProjectName: release.projectName, EnvironmentVariables: releaseVariables },
            },
          ],
        },
      ],
      dependsOn: [rolePolicy],
    });
    this.pipelineName = pipeline.name;

    // Pages on a failed build, approval or deploy. A failed Source stage is not a broken release:
    // a new connection stays PENDING until someone approves it in the console, so the pipeline's
    // first run (on creation) fails there; `pipeline_status_command` shows it.
    new EventNotification(this, "failed", {
      ruleName: failedReleaseRuleName(namePrefix),
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

  /**
   * The Migrate stage's project: registers the service's task definition with the release's image
   * in the family `<family>-migrate`, runs it once with the migration's command, and fails unless
   * it exits 0 in time. It may run only that family on only the service's cluster, pass only the
   * service's roles, and follow or stop only that cluster's tasks.
   */
  private addMigration(
    props: DeliveryPipelineProps,
    migration: PipelineMigration,
    common: Omit<BuildProjectProps, "name" | "description" | "buildspec" | "statements">,
  ): BuildProject {
    const { service } = migration;
    const migrationFamily = `${service.family}-migrate`;
    const ecsArn = (resource: string) => `arn:aws:ecs:${props.region}:${props.accountId}:${resource}`;
    const v = MIGRATION_VARIABLES;
    return new BuildProject(this, "migrate", {
      ...common,
      name: `${props.namePrefix}-migrate`,
      description: `Runs the release's migration as a one-off task of ${service.container}`,
      environment: {
        [REPOSITORY_VARIABLE]: migration.repositoryUrl,
        [v.cluster]: service.clusterArn,
        [v.family]: service.family,
        [v.migrationFamily]: migrationFamily,
        [v.container]: service.container,
        [v.subnets]: Fn.join(",", [...service.subnetIds]),
        [v.securityGroup]: service.securityGroupId,
        [v.overrides]: JSON.stringify({ containerOverrides: [{ name: service.container, command: migration.command }] }),
        [v.timeoutSeconds]: String(migration.timeoutMinutes * 60),
        [v.logGroup]: service.logGroupName,
      },
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
          Resource: ecsArn(`task-definition/${migrationFamily}:*`),
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
