import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SchedulerScheduleGroup } from "@cdktf/provider-aws/lib/scheduler-schedule-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Construct } from "constructs";
import type { JobDefinition } from "../config/jobs-schema";
import { suppressPolicyCheck } from "../policy-suppressions";
import { policyDocument, serviceTrustPolicy } from "./iam-policy";
import type { DeployTarget } from "./fargate-service";
import type { MonitoringInventory } from "./monitoring-inventory";

/** What a job needs of the service it runs as: its family (each run takes the latest ACTIVE revision, so a job follows releases), container, roles and security group. */
export type JobService = Pick<DeployTarget, "family" | "container" | "roleArns" | "securityGroupId">;

export interface ScheduledJobsProps {
  /** `<project>-<environment>`. */
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly jobs: readonly JobDefinition[];
  readonly services: ReadonlyMap<string, JobService>;
  readonly clusterArn: string;
  /** Private subnets: a run sits where its service's tasks do, with their security group. */
  readonly subnetIds: readonly string[];
  readonly inventory: MonitoringInventory;
}

/** A run that cannot start is retried for at most an hour; the next one comes with the schedule. */
const MAX_EVENT_AGE_SECONDS = 3600;
/** SQS's longest retention: a dead letter waits two weeks to be read. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

/** The ECS task group a job's runs carry: what its failure notification matches. */
function jobTaskGroup(job: Pick<JobDefinition, "name">): string {
  return `job:${job.name}`;
}

/**
 * The environment's scheduled jobs on ECS: a schedule group of its own (its Scheduler metrics are
 * the environment's), and per job an EventBridge Scheduler schedule that runs a one-off Fargate
 * task of the service's task definition with the job's command (flexible window off, retries, a
 * dead-letter queue), and a role that may run only that family on only this cluster and pass only
 * that service's roles. Failures reach the alarm topic through the inventory.
 */
export class ScheduledJobs extends Construct {
  constructor(scope: Construct, id: string, props: ScheduledJobsProps) {
    super(scope, id);
    const group = new SchedulerScheduleGroup(this, "group", { name: `${props.namePrefix}-jobs` });
    for (const job of props.jobs) this.addJob(props, job, group.name);
  }

  private addJob(props: ScheduledJobsProps, job: JobDefinition, groupName: string): void {
    const service = props.services.get(job.service);
    if (!service) throw new Error(`job ${job.name} names service ${job.service}, which this stack does not run`);
    const name = `${props.namePrefix}-${job.name}`;
    const queue = new SqsQueue(this, `${job.name}-dead-letters`, {
      name: `${name}-job-dead-letters`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
    });
    new SqsQueuePolicy(this, `${job.name}-dead-letters-policy`, {
      queueUrl: queue.url,
      policy: policyDocument([
        {
          Sid: "TlsOnly",
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:*",
          Resource: queue.arn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]),
    });
    const taskDefinitionArn = `arn:aws:ecs:${props.region}:${props.accountId}:task-definition/${service.family}`;
    const role = new IamRole(this, `${job.name}-role`, {
      name: `${name}-job`,
      assumeRolePolicy: serviceTrustPolicy("scheduler.amazonaws.com", props.accountId),
    });
    const policy = new IamRolePolicy(this, `${job.name}-policy`, {
      role: role.id,
      name: "run-job",
      policy: policyDocument([
        {
          Sid: "RunTheServicesTaskOnThisCluster",
          Effect: "Allow",
          Action: "ecs:RunTask",
          Resource: [taskDefinitionArn, `${taskDefinitionArn}:*`],
          Condition: { ArnEquals: { "ecs:cluster": props.clusterArn } },
        },
        {
          Sid: "PassTheServicesRolesToEcs",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: [...service.roleArns],
          Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        },
        { Sid: "DeadLetters", Effect: "Allow", Action: "sqs:SendMessage", Resource: queue.arn },
      ]),
    });
    const schedule = new SchedulerSchedule(this, `${job.name}-schedule`, {
      name,
      groupName,
      description: `Job ${job.name} of ${props.namePrefix}, as the ${job.service} service`,
      scheduleExpression: job.schedule,
      scheduleExpressionTimezone: job.timeZone,
      state: "ENABLED",
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: props.clusterArn,
        roleArn: role.arn,
        // For an ECS target, the input is RunTask's overrides.
        input: JSON.stringify({ containerOverrides: [{ name: service.container, command: job.command }] }),
        ecsParameters: {
          taskDefinitionArn,
          launchType: "FARGATE",
          platformVersion: "LATEST",
          taskCount: 1,
          group: jobTaskGroup(job),
          networkConfiguration: {
            subnets: [...props.subnetIds],
            securityGroups: [service.securityGroupId],
            assignPublicIp: false,
          },
        },
        retryPolicy: { maximumRetryAttempts: job.retries, maximumEventAgeInSeconds: MAX_EVENT_AGE_SECONDS },
        deadLetterConfig: { arn: queue.arn },
      },
      dependsOn: [policy],
    });
    suppressPolicyCheck(
      schedule,
      "CKV_AWS_297",
      "the input is the job's command from the definition, which holds no secret (secrets reach the task from Secrets Manager at start); a customer key would add a key policy for nothing",
    );
    props.inventory.register({
      kind: "job",
      name: job.name,
      deadLetterQueueName: queue.name,
      taskGroup: jobTaskGroup(job),
      clusterArn: props.clusterArn,
    });
  }
}
