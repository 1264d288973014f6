/**
 * What a stack has that is worth watching. Constructs register what they create; the alarm pack
 * and the dashboard are generated from the inventory alone, so a new service, replica or cache
 * node is watched with no other change, and nothing is watched twice.
 */

export interface WatchedLoadBalancer {
  readonly kind: "loadBalancer";
  /** Dimension `LoadBalancer` (`app/<name>/<id>`). */
  readonly arnSuffix: string;
}

export interface WatchedTargetGroup {
  readonly kind: "targetGroup";
  /** The service behind it, and which of its groups (blue/green services have two). */
  readonly label: string;
  readonly arnSuffix: string;
  readonly loadBalancerArnSuffix: string;
}

export interface WatchedService {
  readonly kind: "service";
  readonly name: string;
  readonly role: "web" | "worker" | "scheduler";
  readonly clusterName: string;
  readonly serviceName: string;
  readonly logGroupName: string;
}

export interface WatchedDatabase {
  readonly kind: "database";
  readonly identifier: string;
  readonly replica: boolean;
  /** Burstable (db.t*) classes spend CPU credits. */
  readonly burstable: boolean;
}

export interface WatchedCache {
  readonly kind: "cache";
  readonly replicationGroupId: string;
  /** Member cluster ids (`<group>-001` is the primary at creation). */
  readonly memberClusterIds: readonly string[];
}

export interface WatchedHost {
  readonly kind: "host";
  readonly name: string;
  readonly instanceId: string;
  /** For the EC2 recover and reboot alarm actions. */
  readonly region: string;
  /** t-family instances spend CPU credits. */
  readonly burstable: boolean;
  /** Mount points whose use the CloudWatch agent reports (xfs). */
  readonly diskPaths: readonly string[];
  /** Namespace of the host's own health metric. */
  readonly metricNamespace: string;
  /** Its scheduled jobs, each reporting JobFailures (1 failed, 0 succeeded) in that namespace. */
  readonly jobs: readonly string[];
}

/** A NAT instance: it heals on its status checks (recover, reboot), and its alarms say so. */
export interface WatchedNatInstance {
  readonly kind: "natInstance";
  readonly name: string;
  readonly instanceId: string;
  readonly region: string;
}

/** A web ACL: a spike of blocked requests is an attack, or a rule blocking the product's own traffic. */
export interface WatchedWebAcl {
  readonly kind: "webAcl";
  readonly name: string;
  /** CLOUDFRONT-scope ACLs report in us-east-1 without a Region dimension. */
  readonly scope: "REGIONAL" | "CLOUDFRONT";
  readonly region: string;
}

/** A CloudFront distribution: its 5xx rate is what users see of the origin and of CloudFront (metrics in us-east-1). */
export interface WatchedDistribution {
  readonly kind: "distribution";
  /** The name it serves. */
  readonly name: string;
  readonly distributionId: string;
}

/** A service's container on a single host: its log is watched like an ECS service's. */
export interface WatchedContainer {
  readonly kind: "container";
  readonly name: string;
  readonly logGroupName: string;
}

/** A Data Lifecycle Manager policy: it reports a failure only as an EventBridge event (state ERROR). */
export interface WatchedSnapshotPolicy {
  readonly kind: "snapshotPolicy";
  readonly name: string;
  readonly policyArn: string;
}

/** A scheduled job on ECS: runs Scheduler could not start land in its dead-letter queue; tasks it started report their exit in ECS events. */
export interface WatchedJob {
  readonly kind: "job";
  readonly name: string;
  readonly deadLetterQueueName: string;
  /** The ECS task group its runs carry (`job:<name>`), by which their state changes are matched. */
  readonly taskGroup: string;
  readonly clusterArn: string;
}

export type Watched =
  | WatchedLoadBalancer
  | WatchedTargetGroup
  | WatchedService
  | WatchedDatabase
  | WatchedCache
  | WatchedHost
  | WatchedNatInstance
  | WatchedWebAcl
  | WatchedDistribution
  | WatchedContainer
  | WatchedSnapshotPolicy
  | WatchedJob;

export class MonitoringInventory {
  private readonly entries: Watched[] = [];
  private readonly keys = new Set<string>();

  register(entry: Watched): void {
    const key = JSON.stringify(entry);
    if (this.keys.has(key)) throw new Error(`already watched: ${key}`);
    this.keys.add(key);
    this.entries.push(entry);
  }

  of<K extends Watched["kind"]>(kind: K): Extract<Watched, { kind: K }>[] {
    return this.entries.filter((e): e is Extract<Watched, { kind: K }> => e.kind === kind);
  }

  get size(): number {
    return this.entries.length;
  }
}
