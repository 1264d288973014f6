import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { Construct } from "constructs";

export interface ServiceClusterProps {
  readonly clusterName: string;
}

/** An ECS cluster for Fargate and Fargate Spot, with Container Insights. */
export class ServiceCluster extends Construct {
  readonly clusterArn: string;
  readonly clusterName: string;
  /** The capacity providers resource: services that name a provider must wait for it. */
  readonly capacityProviders: EcsClusterCapacityProviders;

  constructor(scope: Construct, id: string, props: ServiceClusterProps) {
    super(scope, id);
    const cluster = new EcsCluster(this, "cluster", {
      name: props.clusterName,
      setting: [{ name: "containerInsights", value: "enabled" }],
    });
    this.clusterArn = cluster.arn;
    this.clusterName = cluster.name;
    this.capacityProviders = new EcsClusterCapacityProviders(this, "capacity", {
      clusterName: cluster.name,
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    });
  }
}
