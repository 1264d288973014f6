import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_REASON, suppressPolicyCheck, UNPROTECTED_REASON } from "../policy-suppressions";
import { credentialsSecretName, replicaIdentifiers, type DatabaseConfig } from "../config/environment";
import { addEphemeralResource } from "../escape-hatches";
import type { DataStoreAccess } from "./data-store-access";
import { readSecretStatements, serviceTrustPolicy } from "./iam-policy";
import type { MonitoringInventory } from "./monitoring-inventory";
import { RUNNING_HOURS_TAG } from "../config/office-hours";

const POSTGRES_PORT = 5432;
/** Logs RDS exports to CloudWatch for PostgreSQL. */
const LOG_EXPORTS = ["postgresql", "upgrade"];
/** Performance Insights retention within the free tier. */
const PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7;

export interface PostgresDatabaseProps {
  readonly config: DatabaseConfig;
  /** Prefixes the names of the secrets and the monitoring role. */
  readonly namePrefix: string;
  readonly accountId: string;
  readonly vpcId: string;
  /** Isolated subnets: no route to or from the internet. */
  readonly subnetIds: string[];
  /** Encrypts storage, Performance Insights, snapshots and the credentials secret. */
  readonly kmsKeyArn: string;
  /**
   * Deletion protection on the instances and prevent_destroy on them and the credentials secret.
   * @default false
   */
  readonly protect?: boolean;
  /**
   * Encrypts its log groups.
   * @default CloudWatch Logs' own encryption
   */
  readonly logsKmsKeyArn?: string;
  /**
   * Where to register the primary and the replicas for alarms and the dashboard.
   * @default not watched
   */
  readonly inventory?: MonitoringInventory;
  /** When office hours run the primary (`RunningHours` tag); a schedule stops and starts it. @default always */
  readonly runningHours?: string;
}

/**
 * RDS PostgreSQL in the isolated subnets: a KMS-encrypted gp3 primary with storage autoscaling,
 * a hardened parameter group (TLS only, slow-query and connection logging), backups, Performance
 * Insights, enhanced monitoring, log exports with retention and, by config, read replicas of the
 * primary with the same setup. Where to connect is published as SSM parameters. No one reaches
 * it until `allowConnectionsFrom` lets a security group in.
 *
 * The master password never appears in the Terraform JSON, the plan or the state: with
 * `writeOnly` an ephemeral resource generates it and Terraform hands it, write-only, to RDS and to
 * the credentials secret; with `rdsManaged` RDS keeps it in its own secret.
 */
export class PostgresDatabase extends Construct {
  readonly writerAddress: string;
  readonly readerAddresses: string[];
  readonly primaryIdentifier: string;
  readonly primaryArn: string;
  /** JSON `{username, password}`. */
  readonly credentialsSecretArn: string;
  /** SSM parameters `/<namePrefix>/database/{host,port,name}` and, with replicas, `replica-hosts` (comma-separated). */
  readonly connectionParameterArns: Readonly<Record<string, string>>;
  private readonly securityGroupId: string;
  private readonly kmsKeyArn: string;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const { config } = props;
    const protect = props.protect ?? false;
    this.kmsKeyArn = props.kmsKeyArn;
    const major = config.engineVersion.split(".")[0];

    const subnetGroup = new DbSubnetGroup(this, "subnets", {
      name: config.identifier,
      description: `isolated subnets of ${config.identifier}`,
      subnetIds: props.subnetIds,
    });
    const securityGroup = new SecurityGroup(this, "sg", {
      name: config.identifier,
      description: `PostgreSQL ${config.identifier}: clients let in by rule`,
      vpcId: props.vpcId,
      tags: { Name: config.identifier },
    });
    this.securityGroupId = securityGroup.id;

    const parameters = new DbParameterGroup(this, "parameters", {
      name: `${config.identifier}-postgres${major}`,
      family: `postgres${major}`,
      description: `${config.identifier}: TLS only, slow-query and connection logging`,
      parameter: Object.entries({
        "rds.force_ssl": "1",
        log_min_duration_statement: String(config.slowQueryMs),
        log_statement: "ddl",
        log_connections: "1",
        log_disconnections: "1",
        log_lock_waits: "1",
        log_temp_files: "10240",
        log_autovacuum_min_duration: "10000",
      }).map(([name, value]) => ({ name, value, applyMethod: "immediate" })),
      lifecycle: { createBeforeDestroy: true },
    });

    const monitoringRole =
      config.monitoringIntervalSeconds > 0
        ? new IamRole(this, "monitoring-role", {
            name: `${props.namePrefix}-rds-monitoring`,
            assumeRolePolicy: serviceTrustPolicy("monitoring.rds.amazonaws.com", props.accountId),
          })
        : undefined;
    if (monitoringRole) {
      new IamRolePolicyAttachment(this, "monitoring-policy", {
        role: monitoringRole.name,
        policyArn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
      });
    }

    const instances = [["primary", config.identifier], ...replicaIdentifiers(config).map((id, i) => [`replica-${i + 1}`, id])];
    // RDS would create these log groups itself, without retention; owning them sets it.
    const logGroups = instances.flatMap(([role, instance]) =>
      LOG_EXPORTS.map((log) => {
        const logGroup = new CloudwatchLogGroup(this, `logs-${role}-${log}`, {
          name: `/aws/rds/instance/${instance}/${log}`,
          retentionInDays: config.logRetentionDays,
          ...(props.logsKmsKeyArn ? { kmsKeyId: props.logsKmsKeyArn } : {}),
        });
        if (config.logRetentionDays < 365) suppressPolicyCheck(logGroup, "CKV_AWS_338", LOG_RETENTION_REASON);
        return logGroup;
      }),
    );

    const common = {
      instanceClass: config.instanceClass,
      storageType: "gp3",
      maxAllocatedStorage: config.maxAllocatedStorageGb,
      storageEncrypted: true,
      kmsKeyId: props.kmsKeyArn,
      port: POSTGRES_PORT,
      vpcSecurityGroupIds: [securityGroup.id],
      parameterGroupName: parameters.name,
      publiclyAccessible: false,
      iamDatabaseAuthenticationEnabled: true,
      autoMinorVersionUpgrade: true,
      // A definition's engineVersion 16 → 17 is applied by the apply that asks for it: RDS refuses
      // a major version without this, and would otherwise defer it (and the parameter group the
      // new version needs) to the maintenance window, leaving the old group attached.
      allowMajorVersionUpgrade: true,
      applyImmediately: true,
      copyTagsToSnapshot: true,
      maintenanceWindow: config.maintenanceWindow,
      enabledCloudwatchLogsExports: LOG_EXPORTS,
      performanceInsightsEnabled: config.performanceInsights,
      ...(config.performanceInsights
        ? { performanceInsightsKmsKeyId: props.kmsKeyArn, performanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_RETENTION_DAYS }
        : {}),
      monitoringInterval: config.monitoringIntervalSeconds,
      ...(monitoringRole ? { monitoringRoleArn: monitoringRole.arn } : {}),
      deletionProtection: protect,
      dependsOn: logGroups,
      ...(protect ? { lifecycle: { preventDestroy: true } } : {}),
    };

    const writeOnly = config.passwordManagement === "writeOnly";
    const password = writeOnly
      ? addEphemeralResource(this, "master-password", "aws_secretsmanager_random_password", {
          password_length: 32,
          // RDS refuses / @ " and spaces in master passwords; letters and digits keep 190 bits.
          exclude_punctuation: true,
        }).attribute("random_password")
      : undefined;

    const primary = new DbInstance(this, "primary", {
      ...common,
      identifier: config.identifier,
      engine: "postgres",
      engineVersion: config.engineVersion,
      allocatedStorage: config.allocatedStorageGb,
      dbName: config.databaseName,
      username: config.username,
      ...(password
        ? { passwordWo: password, passwordWoVersion: config.passwordVersion }
        : { manageMasterUserPassword: true, masterUserSecretKmsKeyId: props.kmsKeyArn }),
      dbSubnetGroupName: subnetGroup.name,
      multiAz: config.multiAz,
      backupRetentionPeriod: config.backupRetentionDays,
      backupWindow: config.backupWindow,
      skipFinalSnapshot: !config.production,
      ...(config.production ? { finalSnapshotIdentifier: `${config.identifier}-final` } : {}),
      ...(props.runningHours ? { tags: { [RUNNING_HOURS_TAG]: props.runningHours } } : {}),
    });
    this.writerAddress = primary.address;
    this.primaryIdentifier = primary.identifier;
    this.primaryArn = primary.arn;
    if (!config.multiAz) suppressPolicyCheck(primary, "CKV_AWS_157", "single-AZ by the environment's definition (database.multiAz)");

    const replicas = replicaIdentifiers(config).map(
      (identifier, i) =>
        new DbInstance(this, `replica-${i + 1}`, {
          ...common,
          identifier,
          replicateSourceDb: primary.identifier,
          multiAz: false,
          // Replicas are rebuilt from the primary; their own backups and final snapshots add nothing.
          backupRetentionPeriod: 0,
          skipFinalSnapshot: true,
        }),
    );
    for (const replica of replicas) {
      suppressPolicyCheck(replica, "CKV_AWS_157", "a read replica is already a second copy; a Multi-AZ replica would double it");
      suppressPolicyCheck(replica, "CKV_AWS_133", "a replica is rebuilt from the primary, whose backups are kept");
    }
    if (!protect) {
      for (const instance of [primary, ...replicas]) suppressPolicyCheck(instance, "CKV_AWS_293", UNPROTECTED_REASON);
    }
    this.readerAddresses = replicas.map((replica) => replica.address);
    const burstable = config.instanceClass.startsWith("db.t");
    for (const [i, [, identifier]] of instances.entries())
      props.inventory?.register({ kind: "database", identifier, replica: i > 0, burstable });

    if (password) {
      const credentials = new SecretsmanagerSecret(this, "credentials", {
        name: credentialsSecretName(props.namePrefix),
        description: `master user of ${config.identifier}; rotate by bumping passwordVersion`,
        kmsKeyId: props.kmsKeyArn,
        // Outside production, and in a deliberate decommission, a re-created environment must be
        // able to reuse the name at once (a scheduled deletion holds it for the recovery window).
        recoveryWindowInDays: protect ? 30 : 0,
        ...(protect ? { lifecycle: { preventDestroy: true } } : {}),
      });
      new SecretsmanagerSecretVersion(this, "credentials-value", {
        secretId: credentials.id,
        secretStringWo: Fn.jsonencode({ username: config.username, password }),
        secretStringWoVersion: config.passwordVersion,
        // A new passwordVersion writes a new version of the secret; it must be current before the
        // old version loses its labels.
        lifecycle: { createBeforeDestroy: true },
      });
      suppressPolicyCheck(
        credentials,
        "CKV2_AWS_57",
        "rotated by bumping database.passwordVersion (write-only); a rotation Lambda would handle the password itself",
      );
      this.credentialsSecretArn = credentials.arn;
    } else {
      this.credentialsSecretArn = primary.masterUserSecret.get(0).secretArn;
    }

    // Where to connect is configuration, not a secret: SSM parameters, updated whenever it changes.
    const connection: Record<string, string> = {
      host: primary.address,
      port: String(POSTGRES_PORT),
      name: config.databaseName,
      ...(replicas.length ? { "replica-hosts": Fn.join(",", this.readerAddresses) } : {}),
    };
    this.connectionParameterArns = Object.fromEntries(
      Object.entries(connection).map(([key, value]) => [
        key,
        this.connectionParameter(key, value, `/${props.namePrefix}/database/${key}`, config.identifier).arn,
      ]),
    );
  }

  private connectionParameter(key: string, value: string, name: string, identifier: string): SsmParameter {
    const parameter = new SsmParameter(this, `connection-${key}`, { name, description: `${identifier}: ${key}`, type: "String", value });
    suppressPolicyCheck(
      parameter,
      "CKV2_AWS_34",
      "where to connect (host, port, name) is not a credential; credentials are in the KMS-encrypted secret",
    );
    return parameter;
  }

  /** Lets one client security group reach PostgreSQL. */
  allowConnectionsFrom(id: string, securityGroupId: string): void {
    new VpcSecurityGroupIngressRule(this, `ingress-${id}`, {
      securityGroupId: this.securityGroupId,
      description: `PostgreSQL from ${id}`,
      referencedSecurityGroupId: securityGroupId,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
    });
  }

  /** Connection settings and credentials as container secrets, with the rights to read them. */
  get access(): DataStoreAccess {
    const parameter = this.connectionParameterArns;
    const credentials = (key: string) => `${this.credentialsSecretArn}:${key}::`;
    return {
      description: "PostgreSQL",
      securityGroupId: this.securityGroupId,
      port: POSTGRES_PORT,
      secrets: {
        DATABASE_HOST: parameter.host,
        DATABASE_PORT: parameter.port,
        DATABASE_NAME: parameter.name,
        ...(parameter["replica-hosts"] ? { DATABASE_REPLICA_HOSTS: parameter["replica-hosts"] } : {}),
        DATABASE_USER: credentials("username"),
        DATABASE_PASSWORD: credentials("password"),
      },
      environment: {},
      executionStatements: [
        { Sid: "ReadDatabaseSettings", Effect: "Allow", Action: "ssm:GetParameters", Resource: Object.values(parameter) },
        ...readSecretStatements("DatabaseCredentials", this.credentialsSecretArn, this.kmsKeyArn),
      ],
      taskStatements: [],
    };
  }
}
