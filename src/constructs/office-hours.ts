import { AppautoscalingScheduledAction } from "@cdktf/provider-aws/lib/appautoscaling-scheduled-action";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SchedulerScheduleGroup } from "@cdktf/provider-aws/lib/scheduler-schedule-group";
import { Construct } from "constructs";
import { OFFICE_HOURS_STEPS, type OfficeHours, weekdayCron, windowMinutes } from "../config/office-hours";
import { suppressPolicyCheck } from "../policy-suppressions";
import { policyDocument, type PolicyStatement, serviceTrustPolicy } from "./iam-policy";
import type { ScalableCapacity } from "./service-autoscaling";

/** DisableAlarmActions and EnableAlarmActions take at most 100 alarm names a call. */
const MAX_ALARMS_PER_CALL = 100;
/** Scheduler retries a call AWS refused (throttled, or the instance not yet in a state to stop) for up to an hour. */
const RETRIES = { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 };

export interface OfficeHoursProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly hours: OfficeHours;
  /** The services' scalable targets: to zero at the close, back to their min and max before the opening. */
  readonly services: readonly { readonly name: string; readonly capacity: ScalableCapacity }[];
  /** The RDS primary, stopped and started. @default none */
  readonly database?: { readonly identifier: string; readonly arn: string };
  /** A NAT instance, stopped and started. @default none */
  readonly natInstance?: { readonly instanceId: string; readonly instanceArn: string };
  /** The alarms that notify no one while the environment is closed (their actions are turned off). */
  readonly alarmNames: readonly string[];
}

/**
 * Office hours for a non-production ECS environment: outside the weekday window the services
 * scale to zero (Application Auto Scaling scheduled actions), the RDS primary and a NAT instance
 * stop, and the alarms' actions are off (EventBridge Scheduler universal targets calling RDS, EC2
 * and CloudWatch); before the window opens, everything starts again in dependency order.
 */
export class OfficeHoursSchedule extends Construct {
  constructor(scope: Construct, id: string, props: OfficeHoursProps) {
    super(scope, id);
    const { open, close } = windowMinutes(props.hours.weekdays);
    const at = (minutes: number) => ({ schedule: weekdayCron(minutes), timezone: props.hours.timeZone });

    for (const { name, capacity } of props.services) {
      const action = (suffix: string, minutes: number, min: number, max: number) =>
        new AppautoscalingScheduledAction(this, `${name}-${suffix}`, {
          name: `${props.namePrefix}-${name}-${suffix}`,
          serviceNamespace: capacity.serviceNamespace,
          resourceId: capacity.resourceId,
          scalableDimension: capacity.scalableDimension,
          ...at(minutes),
          scalableTargetAction: { minCapacity: String(min), maxCapacity: String(max) },
          dependsOn: [capacity.target],
        });
      action("open", open + OFFICE_HOURS_STEPS.scaleUp, capacity.minCapacity, capacity.maxCapacity);
      action("close", close + OFFICE_HOURS_STEPS.scaleDown, 0, 0);
    }

    const group = new SchedulerScheduleGroup(this, "group", { name: `${props.namePrefix}-office-hours` });
    const alarmArns = props.alarmNames.map((name) => `arn:aws:cloudwatch:${props.region}:${props.accountId}:alarm:${name}`);
    const role = new IamRole(this, "role", {
      name: `${props.namePrefix}-office-hours`,
      assumeRolePolicy: serviceTrustPolicy("scheduler.amazonaws.com", props.accountId),
    });
    const statements: PolicyStatement[] = [
      {
        Sid: "TurnTheAlarmsActionsOffAndOn",
        Effect: "Allow",
        Action: ["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"],
        Resource: alarmArns,
      },
      ...(props.database
        ? [
            {
              Sid: "StopAndStartTheDatabase",
              Effect: "Allow" as const,
              Action: ["rds:StopDBInstance", "rds:StartDBInstance"],
              Resource: props.database.arn,
            },
          ]
        : []),
      ...(props.natInstance
        ? [
            {
              Sid: "StopAndStartTheNatInstance",
              Effect: "Allow" as const,
              Action: ["ec2:StopInstances", "ec2:StartInstances"],
              Resource: props.natInstance.instanceArn,
            },
          ]
        : []),
    ];
    const policy = new IamRolePolicy(this, "policy", { role: role.id, name: "office-hours", policy: policyDocument(statements) });

    const call = (id: string, minutes: number, description: string, api: string, input: object) => {
      const schedule = new SchedulerSchedule(this, id, {
        name: `${props.namePrefix}-${id}`,
        groupName: group.name,
        description: `${props.namePrefix} office hours: ${description}`,
        scheduleExpression: weekdayCron(minutes),
        scheduleExpressionTimezone: props.hours.timeZone,
        state: "ENABLED",
        flexibleTimeWindow: { mode: "OFF" },
        target: { arn: `arn:aws:scheduler:::aws-sdk:${api}`, roleArn: role.arn, input: JSON.stringify(input), retryPolicy: RETRIES },
        dependsOn: [policy],
      });
      suppressPolicyCheck(schedule, "CKV_AWS_297", "the input names the environment's own resources, which are no secret");
    };
    if (props.database) {
      const input = { DbInstanceIdentifier: props.database.identifier };
      call("database-start", open + OFFICE_HOURS_STEPS.startDataAndEgress, "start the database", "rds:startDBInstance", input);
      call("database-stop", close + OFFICE_HOURS_STEPS.stopDataAndEgress, "stop the database", "rds:stopDBInstance", input);
    }
    if (props.natInstance) {
      const input = { InstanceIds: [props.natInstance.instanceId] };
      call("nat-start", open + OFFICE_HOURS_STEPS.startDataAndEgress, "start the NAT instance", "ec2:startInstances", input);
      call("nat-stop", close + OFFICE_HOURS_STEPS.stopDataAndEgress, "stop the NAT instance", "ec2:stopInstances", input);
    }
    chunks(props.alarmNames, MAX_ALARMS_PER_CALL).forEach((names, i) => {
      const part = `alarms ${i * MAX_ALARMS_PER_CALL + 1}-${i * MAX_ALARMS_PER_CALL + names.length}`;
      call(`alarms-on-${i + 1}`, open + OFFICE_HOURS_STEPS.alarmsOn, `notify on ${part}`, "cloudwatch:enableAlarmActions", {
        AlarmNames: names,
      });
      call(`alarms-off-${i + 1}`, close + OFFICE_HOURS_STEPS.alarmsOff, `notify no one on ${part}`, "cloudwatch:disableAlarmActions", {
        AlarmNames: names,
      });
    });
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
