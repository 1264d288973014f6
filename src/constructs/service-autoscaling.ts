import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

/** An ECS service's scalable target, as scheduled actions name it. */
export interface ScalableCapacity {
  readonly serviceNamespace: string;
  readonly resourceId: string;
  readonly scalableDimension: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** The scalable target: a scheduled action needs it registered first. */
  readonly target: ITerraformDependable;
}

/**
 * The scalable target of an ECS service's desired count. Scheduled actions (office hours) change
 * its min and max on AWS, so with them Terraform leaves those alone; the actions set them again.
 */
export function scalableTarget(
  scope: Construct,
  id: string,
  props: { clusterName: string; serviceName: string; minCapacity: number; maxCapacity: number; scheduled: boolean },
): ScalableCapacity {
  const target = new AppautoscalingTarget(scope, id, {
    serviceNamespace: "ecs",
    resourceId: `service/${props.clusterName}/${props.serviceName}`,
    scalableDimension: "ecs:service:DesiredCount",
    minCapacity: props.minCapacity,
    maxCapacity: props.maxCapacity,
    ...(props.scheduled ? { lifecycle: { ignoreChanges: ["min_capacity", "max_capacity"] } } : {}),
  });
  return {
    serviceNamespace: target.serviceNamespace,
    resourceId: target.resourceId,
    scalableDimension: target.scalableDimension,
    minCapacity: props.minCapacity,
    maxCapacity: props.maxCapacity,
    target,
  };
}

export interface ServiceAutoscalingProps {
  readonly clusterName: string;
  readonly serviceName: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Target average CPU utilisation, percent. */
  readonly cpuTarget: number;
  /** Target average memory utilisation, percent. */
  readonly memoryTarget: number;
  /**
   * Target ALB requests per task; needs `resourceLabel` (`<lb arn suffix>/<target group arn suffix>`).
   * @default no request-count policy
   */
  readonly requestsPerTarget?: { readonly target: number; readonly resourceLabel: string };
  readonly scaleInCooldownSeconds: number;
  readonly scaleOutCooldownSeconds: number;
  /** Office hours' scheduled actions set min and max. @default false */
  readonly scheduled?: boolean;
}

/** Target-tracking autoscaling of an ECS service's desired count on CPU, memory and requests. */
export class ServiceAutoscaling extends Construct {
  readonly capacity: ScalableCapacity;

  constructor(scope: Construct, id: string, props: ServiceAutoscalingProps) {
    super(scope, id);
    const target = scalableTarget(this, "target", { ...props, scheduled: props.scheduled ?? false });
    this.capacity = target;
    const policy = (metric: string, targetValue: number, resourceLabel?: string) =>
      new AppautoscalingPolicy(this, metric, {
        name: `${props.serviceName}-${metric}`,
        policyType: "TargetTrackingScaling",
        serviceNamespace: target.serviceNamespace,
        resourceId: target.resourceId,
        scalableDimension: target.scalableDimension,
        targetTrackingScalingPolicyConfiguration: {
          targetValue,
          scaleInCooldown: props.scaleInCooldownSeconds,
          scaleOutCooldown: props.scaleOutCooldownSeconds,
          predefinedMetricSpecification: { predefinedMetricType: metric, ...(resourceLabel ? { resourceLabel } : {}) },
        },
      });
    policy("ECSServiceAverageCPUUtilization", props.cpuTarget);
    policy("ECSServiceAverageMemoryUtilization", props.memoryTarget);
    if (props.requestsPerTarget) policy("ALBRequestCountPerTarget", props.requestsPerTarget.target, props.requestsPerTarget.resourceLabel);
  }
}
