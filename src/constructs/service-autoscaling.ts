import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { Construct } from "constructs";

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
}

/** Target-tracking autoscaling of an ECS service's desired count on CPU, memory and requests. */
export class ServiceAutoscaling extends Construct {
  constructor(scope: Construct, id: string, props: ServiceAutoscalingProps) {
    super(scope, id);
    const target = new AppautoscalingTarget(this, "target", {
      serviceNamespace: "ecs",
      resourceId: `service/${props.clusterName}/${props.serviceName}`,
      scalableDimension: "ecs:service:DesiredCount",
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
    });
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
