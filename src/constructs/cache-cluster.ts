import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ElasticacheParameterGroup } from "@cdktf/provider-aws/lib/elasticache-parameter-group";
import { ElasticacheReplicationGroup } from "@cdktf/provider-aws/lib/elasticache-replication-group";
import { ElasticacheSubnetGroup } from "@cdktf/provider-aws/lib/elasticache-subnet-group";
import { ElasticacheUser } from "@cdktf/provider-aws/lib/elasticache-user";
import { ElasticacheUserGroup } from "@cdktf/provider-aws/lib/elasticache-user-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { LOG_RETENTION_REASON, suppressPolicyCheck } from "../policy-suppressions";
import type { CacheConfig } from "../config/environment";
import type { DataStoreAccess } from "./data-store-access";
import type { MonitoringInventory } from "./monitoring-inventory";

const REDIS_PORT = 6379;
const LOG_TYPES = ["slow-log", "engine-log"] as const;
/** Applications may run every command but the administrative ones. */
const APP_ACCESS_STRING = "on ~* &* +@all -@admin";

/** The parameter group family of an engine version: redis7, redis6.x, valkey8. */
function cacheParameterFamily(engine: string, version: string): string {
  const major = version.split(".")[0];
  return engine === "redis" && Number(major) < 7 ? `redis${major}.x` : `${engine}${major}`;
}

export interface CacheClusterProps {
  readonly config: CacheConfig;
  /** Prefixes the RBAC users' and group's ids. */
  readonly namePrefix: string;
  readonly vpcId: string;
  /** Isolated subnets: no route to or from the internet. */
  readonly subnetIds: string[];
  /** Encrypts data at rest and snapshots. */
  readonly kmsKeyArn: string;
  /**
   * prevent_destroy on the replication group.
   * @default false
   */
  readonly protect?: boolean;
  /**
   * Take a snapshot, `<identifier>-final`, when the replication group is deleted.
   * @default false
   */
  readonly finalSnapshot?: boolean;
  /**
   * Encrypts its log groups.
   * @default CloudWatch Logs' own encryption
   */
  readonly logsKmsKeyArn?: string;
  /**
   * Where to register the replication group and its nodes for alarms and the dashboard.
   * @default not watched
   */
  readonly inventory?: MonitoringInventory;
}

/**
 * A Redis OSS or Valkey replication group (cluster mode off) in the isolated subnets: a primary
 * and replicas, automatic failover and Multi-AZ with two or more nodes, TLS in transit and KMS at
 * rest, a parameter group, slow and engine logs delivered to CloudWatch Logs with retention,
 * snapshots by config. With `iam` access control an RBAC user group holds a disabled `default`
 * user and one application user that authenticates with IAM: no password or AUTH token exists
 * anywhere, so none can leak into state.
 */
export class CacheCluster extends Construct {
  readonly primaryEndpoint: string;
  readonly readerEndpoint: string;
  private readonly securityGroupId: string;
  private readonly replicationGroupArn: string;
  private readonly appUser?: ElasticacheUser;
  private readonly config: CacheConfig;

  constructor(scope: Construct, id: string, props: CacheClusterProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;

    const subnetGroup = new ElasticacheSubnetGroup(this, "subnets", {
      name: config.identifier,
      description: `isolated subnets of ${config.identifier}`,
      subnetIds: props.subnetIds,
    });
    const securityGroup = new SecurityGroup(this, "sg", {
      name: config.identifier,
      description: `${config.engine} ${config.identifier}: clients let in by rule`,
      vpcId: props.vpcId,
      tags: { Name: config.identifier },
    });
    this.securityGroupId = securityGroup.id;

    const family = cacheParameterFamily(config.engine, config.engineVersion);
    // Parameters change in place; name, family and description force a new group. The name
    // carries the family so that an engine upgrade's new group can exist beside the old one
    // (create_before_destroy); the description must not carry anything that changes in place.
    const parameters = new ElasticacheParameterGroup(this, "parameters", {
      name: `${config.identifier}-${family.replace(/\./g, "-")}`,
      family,
      description: `parameters of ${config.identifier}`,
      parameter: [{ name: "maxmemory-policy", value: config.maxmemoryPolicy }],
      lifecycle: { createBeforeDestroy: true },
    });

    const logGroups = LOG_TYPES.map((type) => {
      const logGroup = new CloudwatchLogGroup(this, `logs-${type}`, {
        // Log delivery adds each group to the account's CloudWatch Logs resource policy (5,120
        // characters); groups under /aws/vendedlogs/ share one wildcard entry instead.
        name: `/aws/vendedlogs/elasticache/${config.identifier}/${type}`,
        retentionInDays: config.logRetentionDays,
        ...(props.logsKmsKeyArn ? { kmsKeyId: props.logsKmsKeyArn } : {}),
      });
      if (config.logRetentionDays < 365) suppressPolicyCheck(logGroup, "CKV_AWS_338", LOG_RETENTION_REASON);
      return logGroup;
    });

    let userGroupIds: string[] = [];
    if (config.accessControl === "iam") {
      // Every user group needs a user named "default"; this one can neither log in nor run anything.
      const defaultUser = new ElasticacheUser(this, "default-user", {
        userId: `${props.namePrefix}-default`,
        userName: "default",
        engine: config.engine,
        accessString: "off -@all",
        authenticationMode: { type: "no-password-required" },
      });
      // IAM authentication requires the user id and the user name to be equal.
      const appUserName = `${props.namePrefix}-app`;
      this.appUser = new ElasticacheUser(this, "app-user", {
        userId: appUserName,
        userName: appUserName,
        engine: config.engine,
        accessString: APP_ACCESS_STRING,
        authenticationMode: { type: "iam" },
      });
      const group = new ElasticacheUserGroup(this, "users", {
        userGroupId: `${props.namePrefix}-users`,
        engine: config.engine,
        userIds: [defaultUser.userId, this.appUser.userId],
      });
      userGroupIds = [group.userGroupId];
    }

    const protect = props.protect ?? false;
    const group = new ElasticacheReplicationGroup(this, "replication-group", {
      replicationGroupId: config.identifier,
      description: `${config.engine} for ${props.namePrefix}`,
      engine: config.engine,
      engineVersion: config.engineVersion,
      nodeType: config.nodeType,
      numCacheClusters: config.nodes,
      automaticFailoverEnabled: config.automaticFailover,
      multiAzEnabled: config.multiAz,
      port: REDIS_PORT,
      parameterGroupName: parameters.name,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: [securityGroup.id],
      atRestEncryptionEnabled: "true",
      kmsKeyId: props.kmsKeyArn,
      transitEncryptionEnabled: config.transitEncryption,
      ...(userGroupIds.length ? { userGroupIds } : {}),
      autoMinorVersionUpgrade: "true",
      maintenanceWindow: config.maintenanceWindow,
      snapshotRetentionLimit: config.snapshotRetentionDays,
      ...(config.snapshotRetentionDays > 0 ? { snapshotWindow: config.snapshotWindow } : {}),
      ...(props.finalSnapshot ? { finalSnapshotIdentifier: `${config.identifier}-final` } : {}),
      logDeliveryConfiguration: logGroups.map((logGroup, i) => ({
        destination: logGroup.name,
        destinationType: "cloudwatch-logs",
        logFormat: "json",
        logType: LOG_TYPES[i],
      })),
      ...(protect ? { lifecycle: { preventDestroy: true } } : {}),
    });
    if (!config.multiAz) suppressPolicyCheck(group, "CKV2_AWS_50", "one AZ by the environment's definition (cache.nodes, cache.multiAz)");
    this.primaryEndpoint = group.primaryEndpointAddress;
    this.readerEndpoint = group.readerEndpointAddress;
    this.replicationGroupArn = group.arn;
    props.inventory?.register({
      kind: "cache",
      replicationGroupId: config.identifier,
      // Cluster-mode-off members are named <group>-001, -002, … in creation order.
      memberClusterIds: Array.from({ length: config.nodes }, (_, i) => `${config.identifier}-${String(i + 1).padStart(3, "0")}`),
    });
  }

  /** Lets one client security group reach the cache. */
  allowConnectionsFrom(id: string, securityGroupId: string): void {
    new VpcSecurityGroupIngressRule(this, `ingress-${id}`, {
      securityGroupId: this.securityGroupId,
      description: `${this.config.engine} from ${id}`,
      referencedSecurityGroupId: securityGroupId,
      ipProtocol: "tcp",
      fromPort: REDIS_PORT,
      toPort: REDIS_PORT,
    });
  }

  /**
   * Endpoints as plain settings (they hold no credential). With IAM access control the
   * application signs an IAM token as REDIS_USER for REDIS_CACHE_NAME; its task role may connect.
   */
  get access(): DataStoreAccess {
    const user = this.appUser;
    return {
      description: this.config.engine,
      securityGroupId: this.securityGroupId,
      port: REDIS_PORT,
      secrets: {},
      environment: {
        REDIS_HOST: this.primaryEndpoint,
        REDIS_READER_HOST: this.readerEndpoint,
        REDIS_PORT: String(REDIS_PORT),
        REDIS_TLS: String(this.config.transitEncryption),
        ...(user ? { REDIS_USER: user.userName, REDIS_CACHE_NAME: this.config.identifier } : {}),
      },
      executionStatements: [],
      taskStatements: user
        ? [{ Sid: "ConnectToCache", Effect: "Allow", Action: "elasticache:Connect", Resource: [this.replicationGroupArn, user.arn] }]
        : [],
    };
  }
}
