import { Codepipeline } from "@cdktf/provider-aws/lib/codepipeline";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { Construct } from "constructs";
import { suppressPolicyCheck } from "../policy-suppressions";
import { ALARM_TOPIC_VARIABLE, DRIFT_STACK_VARIABLE, driftCheckSpec } from "../delivery/buildspec";
import { BuildProject } from "./build-project";
import { EventNotification } from "./event-notification";
import { policyDocument, readSecretStatements, serviceTrustPolicy, type PolicyStatement } from "./iam-policy";

/** A secret whose version the stack writes: refreshing it reads the value (GetSecretValue), decrypted with its key. */
export interface StackSecret {
  readonly secretArn: string;
  readonly kmsKeyArn: string;
}

export interface DriftCheckProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  /** The stack to plan: the environment's name. */
  readonly stack: string;
  /** The GitHub `owner/name` holding this app, and the branch whose definitions are compared with the account. */
  readonly repository: string;
  readonly branch: string;
  /** The environment's CodeConnections connection (the release pipeline's). */
  readonly connectionArn: string;
  /** An EventBridge Scheduler expression, in UTC. */
  readonly schedule: string;
  /** Where the stack's state is: the backend's bucket and Region. */
  readonly state: { readonly bucket: string; readonly region: string };
  /** The release pipeline's artifact bucket and key, which this pipeline's source and build share. */
  readonly artifacts: { readonly bucketArn: string; readonly bucketName: string; readonly kmsKeyArn: string };
  /** Drift and failed checks are announced here (the environment's alarm topic), encrypted with its key. */
  readonly topicArn: string;
  readonly topicKeyArn: string;
  /** The secrets whose versions the stack writes. @default none */
  readonly secrets?: readonly StackSecret[];
  readonly logRetentionDays: number;
  readonly logsKmsKeyArn: string;
}

/** Name of the EventBridge rule that reports a drift check that could not plan; the alarm topic lets it publish. */
export const failedDriftCheckRuleName = (namePrefix: string) => `${namePrefix}-drift-check-failed`;

/** The stage whose failure (a plan that errs, not drift) pages. */
const CHECK_STAGE = "Check";
const SOURCE = "source";

/**
 * A scheduled drift check of one environment: EventBridge Scheduler starts a small pipeline that
 * takes this app from GitHub through the environment's connection (a pending connection fails
 * only the run, as the release pipeline's does) and a CodeBuild project that plans the
 * environment's stack, read-only and without the state lock. Drift is published to the alarm
 * topic by the build; a plan that fails is reported there by an EventBridge rule.
 */
export class DriftCheck extends Construct {
  readonly pipelineName: string;
  readonly projectName: string;

  constructor(scope: Construct, id: string, props: DriftCheckProps) {
    super(scope, id);
    const name = `${props.namePrefix}-drift-check`;
    const stateKey = `${props.stack}/terraform.tfstate`;
    const stateBucketArn = `arn:aws:s3:::${props.state.bucket}`;

    const build = new BuildProject(this, "plan", {
      name,
      description: `terraform plan of ${props.stack} from ${props.repository}: drift goes to the alarm topic`,
      accountId: props.accountId,
      artifacts: { bucketArn: props.artifacts.bucketArn, kmsKeyArn: props.artifacts.kmsKeyArn },
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      buildspec: driftCheckSpec(),
      environment: {
        [DRIFT_STACK_VARIABLE]: props.stack,
        [ALARM_TOPIC_VARIABLE]: props.topicArn,
        TF_STATE_BUCKET: props.state.bucket,
        TF_STATE_REGION: props.state.region,
        CHECKPOINT_DISABLE: "1",
        DISABLE_VERSION_CHECK: "1",
      },
      // A plan refreshes every resource type the stack holds (about 70, each with its tag, policy
      // and attribute reads, more with each provider release): AWS's read-only policy covers them
      // all, as it does for the GitHub plan role, and writes nothing. It reads no secret value and
      // decrypts nothing: the statements below add those the plan needs, by name.
      managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
      statements: driftCheckStatements(props, stateBucketArn, stateKey),
    });

    const role = new IamRole(this, "pipeline-role", {
      name: `${name}-pipeline`,
      assumeRolePolicy: serviceTrustPolicy("codepipeline.amazonaws.com", props.accountId),
    });
    const rolePolicy = new IamRolePolicy(this, "pipeline-policy", {
      role: role.id,
      name: "drift-check",
      policy: policyDocument([
        {
          Sid: "ReadSource",
          Effect: "Allow",
          Action: ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
          Resource: props.connectionArn,
        },
        {
          Sid: "PipelineArtifacts",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"],
          Resource: `${props.artifacts.bucketArn}/*`,
        },
        {
          Sid: "ArtifactBucket",
          Effect: "Allow",
          Action: ["s3:GetBucketVersioning", "s3:GetBucketLocation"],
          Resource: props.artifacts.bucketArn,
        },
        {
          Sid: "PipelineArtifactKey",
          Effect: "Allow",
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: props.artifacts.kmsKeyArn,
        },
        { Sid: "RunOwnCheck", Effect: "Allow", Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], Resource: build.projectArn },
      ]),
    });
    const pipeline = new Codepipeline(this, "pipeline", {
      name,
      roleArn: role.arn,
      pipelineType: "V2",
      // A check started while another runs replaces it: only the newest verdict matters.
      executionMode: "SUPERSEDED",
      artifactStore: [{ location: props.artifacts.bucketName, type: "S3", encryptionKey: { id: props.artifacts.kmsKeyArn, type: "KMS" } }],
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
              outputArtifacts: [SOURCE],
              configuration: {
                ConnectionArn: props.connectionArn,
                FullRepositoryId: props.repository,
                BranchName: props.branch,
                OutputArtifactFormat: "CODE_ZIP",
                // Only the schedule (or a person) starts a check; a push does not.
                DetectChanges: "false",
              },
            },
          ],
        },
        {
          name: CHECK_STAGE,
          action: [
            {
              name: "terraform-plan",
              category: "Build",
              owner: "AWS",
              provider: "CodeBuild",
              version: "1",
              inputArtifacts: [SOURCE],
              configuration: { ProjectName: build.projectName },
            },
          ],
        },
      ],
      dependsOn: [rolePolicy],
    });

    const schedulerRole = new IamRole(this, "schedule-role", {
      name: `${name}-schedule`,
      assumeRolePolicy: serviceTrustPolicy("scheduler.amazonaws.com", props.accountId),
    });
    const schedulerPolicy = new IamRolePolicy(this, "schedule-policy", {
      role: schedulerRole.id,
      name: "start-drift-check",
      policy: policyDocument([
        { Sid: "StartOwnCheck", Effect: "Allow", Action: "codepipeline:StartPipelineExecution", Resource: pipeline.arn },
      ]),
    });
    const schedule = new SchedulerSchedule(this, "schedule", {
      name,
      groupName: "default",
      description: `Starts the drift check of ${props.stack}`,
      scheduleExpression: props.schedule,
      scheduleExpressionTimezone: "UTC",
      state: "ENABLED",
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        // A templated target: CodePipeline StartPipelineExecution on the pipeline's ARN.
        arn: pipeline.arn,
        roleArn: schedulerRole.arn,
        // A check that cannot start within the hour is skipped; the next one comes with the schedule.
        retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 3 },
      },
      dependsOn: [schedulerPolicy],
    });
    suppressPolicyCheck(
      schedule,
      "CKV_AWS_297",
      "the schedule sends no input, the only part Scheduler encrypts with a customer key; its name, expression and target never are",
    );

    // A plan that fails is no verdict on drift: it pages. A failed Source stage does not (a new
    // connection stays PENDING until approved in the console, as for the release pipeline).
    new EventNotification(this, "failed", {
      ruleName: failedDriftCheckRuleName(props.namePrefix),
      description: `Drift checks of ${props.stack} whose plan failed`,
      eventPattern: {
        source: ["aws.codepipeline"],
        "detail-type": ["CodePipeline Stage Execution State Change"],
        resources: [pipeline.arn],
        detail: { state: ["FAILED"], stage: [CHECK_STAGE] },
      },
      topicArn: props.topicArn,
      inputPaths: { pipeline: "$.detail.pipeline", execution: "$.detail.execution-id" },
      message: `Drift check <pipeline> of ${props.stack} could not plan (execution <execution>): no verdict on drift; see its build log.`,
    });
    this.pipelineName = pipeline.name;
    this.projectName = build.projectName;
  }
}

/**
 * The check's own rights beyond AWS's read-only policy: its stack's state (read, never the lock),
 * the secrets whose versions the stack writes (refreshing a version reads it) and the random
 * password their plan opens, and publishing to the alarm topic alone, through its key.
 */
function driftCheckStatements(props: DriftCheckProps, stateBucketArn: string, stateKey: string): PolicyStatement[] {
  return [
    { Sid: "ListState", Effect: "Allow", Action: "s3:ListBucket", Resource: stateBucketArn },
    { Sid: "ReadOwnState", Effect: "Allow", Action: "s3:GetObject", Resource: `${stateBucketArn}/${stateKey}` },
    { Sid: "PublishDrift", Effect: "Allow", Action: "sns:Publish", Resource: props.topicArn },
    {
      Sid: "EncryptForTheAlarmTopic",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: props.topicKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `sns.${props.region}.amazonaws.com` } },
    },
    ...(props.secrets ?? []).flatMap((secret, i) => readSecretStatements(`StackSecret${i + 1}`, secret.secretArn, secret.kmsKeyArn)),
    // Every plan opens the stack's ephemeral random password (GetRandomPassword), which
    // ReadOnlyAccess does not grant; it returns a random string and reads nothing.
    ...((props.secrets ?? []).length > 0
      ? [{ Sid: "GenerateWriteOnlyPasswords", Effect: "Allow" as const, Action: "secretsmanager:GetRandomPassword", Resource: "*" }]
      : []),
  ];
}
