import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { LOG_RETENTION_REASON, suppressPolicyCheck } from "../policy-suppressions";
import { policyDocument, serviceTrustPolicy, type PolicyStatement } from "./iam-policy";

export interface BuildProjectProps {
  /** Project, role and log group name. */
  readonly name: string;
  readonly description: string;
  readonly accountId: string;
  /** The buildspec, YAML (or JSON). */
  readonly buildspec: string;
  /** What the build does beyond writing its logs and reading and writing pipeline artifacts. */
  readonly statements: readonly PolicyStatement[];
  /**
   * AWS managed policies the role also holds, by ARN.
   * @default none
   */
  readonly managedPolicyArns?: readonly string[];
  /** Plain variables of the build. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Docker daemon access, which building images needs.
   * @default false
   */
  readonly privileged?: boolean;
  /** @default "BUILD_GENERAL1_SMALL" */
  readonly computeType?: string;
  /** CPU architecture of the build host, which is the architecture of the images it builds. @default "x86_64" */
  readonly architecture?: "x86_64" | "arm64";
  /** The pipeline's artifact bucket and its key. */
  readonly artifacts: { readonly bucketArn: string; readonly kmsKeyArn: string };
  readonly logRetentionDays: number;
  readonly logsKmsKeyArn: string;
  /** @default 30 */
  readonly timeoutMinutes?: number;
}

const IMAGES = {
  x86_64: { type: "LINUX_CONTAINER", image: "aws/codebuild/amazonlinux-x86_64-standard:5.0" },
  arm64: { type: "ARM_CONTAINER", image: "aws/codebuild/amazonlinux-aarch64-standard:3.0" },
} as const;

/**
 * A CodeBuild project run by a pipeline: its own role (logs to its own group, the pipeline's
 * artifacts and key, and `statements`), encrypted artifacts, no source but the pipeline's.
 */
export class BuildProject extends Construct {
  readonly projectName: string;
  readonly projectArn: string;

  constructor(scope: Construct, id: string, props: BuildProjectProps) {
    super(scope, id);
    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/codebuild/${props.name}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKmsKeyArn,
    });
    if (props.logRetentionDays < 365) suppressPolicyCheck(logGroup, "CKV_AWS_338", LOG_RETENTION_REASON);
    const role = new IamRole(this, "role", {
      name: props.name,
      assumeRolePolicy: serviceTrustPolicy("codebuild.amazonaws.com", props.accountId),
    });
    props.managedPolicyArns?.forEach(
      (policyArn, i) => new IamRolePolicyAttachment(this, `managed-policy-${i + 1}`, { role: role.name, policyArn }),
    );
    new IamRolePolicy(this, "policy", {
      role: role.id,
      name: "build",
      policy: policyDocument([
        { Sid: "WriteBuildLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroup.arn}:*` },
        {
          Sid: "PipelineArtifacts",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
          Resource: `${props.artifacts.bucketArn}/*`,
        },
        {
          Sid: "PipelineArtifactKey",
          Effect: "Allow",
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: props.artifacts.kmsKeyArn,
        },
        ...props.statements,
      ]),
    });
    const platform = IMAGES[props.architecture ?? "x86_64"];
    const project = new CodebuildProject(this, "project", {
      name: props.name,
      description: props.description,
      serviceRole: role.arn,
      encryptionKey: props.artifacts.kmsKeyArn,
      buildTimeout: props.timeoutMinutes ?? 30,
      source: { type: "CODEPIPELINE", buildspec: props.buildspec },
      artifacts: { type: "CODEPIPELINE" },
      environment: {
        type: platform.type,
        image: platform.image,
        computeType: props.computeType ?? "BUILD_GENERAL1_SMALL",
        privilegedMode: props.privileged ?? false,
        imagePullCredentialsType: "CODEBUILD",
        environmentVariable: Object.entries(props.environment ?? {}).map(([name, value]) => ({ name, value, type: "PLAINTEXT" })),
      },
      logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: logGroup.name }, s3Logs: { status: "DISABLED" } },
    });
    if (props.privileged) suppressPolicyCheck(project, "CKV_AWS_316", "docker build needs the Docker daemon, which needs privileged mode");
    this.projectName = project.name;
    this.projectArn = project.arn;
  }
}
