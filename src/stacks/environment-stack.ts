import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/environment";
import type { AppSettings } from "../config/settings";
import { AlarmPack } from "../constructs/alarm-pack";
import { AlarmTopic } from "../constructs/alarm-topic";
import { CacheCluster } from "../constructs/cache-cluster";
import { OperationsDashboard } from "../constructs/dashboard";
import type { DataStoreAccess } from "../constructs/data-store-access";
import { ImageRepository } from "../constructs/ecr-repository";
import { ServiceCluster } from "../constructs/ecs-cluster";
import { FargateService } from "../constructs/fargate-service";
import { LoadBalancer } from "../constructs/load-balancer";
import { EncryptionKey } from "../constructs/encryption-key";
import { MonitoringInventory } from "../constructs/monitoring-inventory";
import { Network } from "../constructs/network";
import { PostgresDatabase } from "../constructs/postgres-database";
import { SecureBucket } from "../constructs/secure-bucket";
import { addAwsProvider, addStateBackend } from "./aws-context";

/** What every construct that creates something watchable or a log group is handed. */
interface Telemetry {
  readonly inventory: MonitoringInventory;
  /** Every log group is encrypted with the telemetry key. */
  readonly logsKmsKeyArn: string;
}

interface DataStores {
  database?: PostgresDatabase;
  cache?: CacheCluster;
}

/** One environment's infrastructure; the stack is named after the environment. */
export class EnvironmentStack extends TerraformStack {
  readonly network: Network;

  constructor(scope: Construct, env: EnvironmentConfig, settings: AppSettings) {
    super(scope, env.name);
    addAwsProvider(this, { region: env.region, tags: { ...env.tags }, localAwsEndpoint: settings.localAwsEndpoint });
    addStateBackend(this, settings.state, `${env.name}/terraform.tfstate`, settings.localAwsEndpoint);
    const accountId = new DataAwsCallerIdentity(this, "account").accountId;
    const protect = env.production && !settings.allowDestroy;
    const telemetryKey = this.addTelemetryKey(env, accountId, protect);
    const telemetry: Telemetry = { inventory: new MonitoringInventory(), logsKmsKeyArn: telemetryKey.keyArn };

    this.network = new Network(this, "network", {
      namePrefix: env.namePrefix,
      region: env.region,
      accountId,
      vpcCidr: env.network.vpcCidr,
      subnets: env.network.subnets,
      natStrategy: env.network.natStrategy,
      flowLogs: env.network.flowLogs.enabled
        ? { retentionDays: env.network.flowLogs.retentionDays, kmsKeyArn: telemetry.logsKmsKeyArn }
        : false,
    });
    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId });
    new TerraformOutput(this, "public_subnet_ids", { value: this.network.publicSubnetIds });
    new TerraformOutput(this, "private_subnet_ids", { value: this.network.privateSubnetIds });
    new TerraformOutput(this, "isolated_subnet_ids", { value: this.network.isolatedSubnetIds });

    const dataStores = this.addDataStores(env, accountId, protect, telemetry);
    if (env.services.length > 0) this.addServices(env, accountId, protect, dataStores, telemetry);
    if (telemetry.inventory.size > 0) this.addObservability(env, accountId, telemetryKey.keyArn, telemetry.inventory);
  }

  /** Encrypts the alarm topic and every log group. */
  private addTelemetryKey(env: EnvironmentConfig, accountId: string, protect: boolean): EncryptionKey {
    return new EncryptionKey(this, "telemetry-key", {
      alias: `${env.namePrefix}-telemetry`,
      description: `${env.namePrefix}: alarm notifications and logs`,
      accountId,
      preventDestroy: protect,
      serviceStatements: [
        {
          Sid: "CloudWatchPublishesToTheEncryptedAlarmTopic",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: "*",
        },
        {
          Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
          Effect: "Allow",
          Principal: { Service: `logs.${env.region}.amazonaws.com` },
          Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          Resource: "*",
          Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${env.region}:${accountId}:log-group:*` } },
        },
      ],
    });
  }

  /** The alarm topic, the alarm pack and the dashboard, all generated from the inventory. */
  private addObservability(env: EnvironmentConfig, accountId: string, keyArn: string, inventory: MonitoringInventory): void {
    const topic = new AlarmTopic(this, "alarm-topic", {
      topicName: `${env.namePrefix}-alarms`,
      region: env.region,
      accountId,
      kmsKeyArn: keyArn,
      emails: env.observability.alarmEmails,
      httpsEndpoints: env.observability.alarmHttpsEndpoints,
    });
    const alarms = new AlarmPack(this, "alarms", {
      namePrefix: env.namePrefix,
      inventory,
      thresholds: env.observability.thresholds,
      topicArn: topic.topicArn,
    });
    const dashboard = new OperationsDashboard(this, "dashboard", {
      namePrefix: env.namePrefix,
      region: env.region,
      inventory,
      alarms: alarms.specs,
      alarmArns: [alarms.healthAlarmArn, ...alarms.alarmArns],
    });
    new TerraformOutput(this, "alarm_topic_arn", { value: topic.topicArn });
    new TerraformOutput(this, "dashboard_urls", {
      value: dashboard.dashboardNames.map(
        (name) => `https://${env.region}.console.aws.amazon.com/cloudwatch/home?region=${env.region}#dashboards/dashboard/${name}`,
      ),
    });
  }

  private addDataStores(env: EnvironmentConfig, accountId: string, protect: boolean, telemetry: Telemetry): DataStores {
    if (!env.database && !env.cache) return {};
    const key = new EncryptionKey(this, "data-key", {
      alias: `${env.namePrefix}-data`,
      description: `${env.namePrefix}: database, cache, their snapshots and secrets`,
      accountId,
      preventDestroy: protect,
    });
    const common = {
      namePrefix: env.namePrefix,
      vpcId: this.network.vpcId,
      subnetIds: this.network.isolatedSubnetIds,
      kmsKeyArn: key.keyArn,
      protect,
      ...telemetry,
    };
    const database = env.database && new PostgresDatabase(this, "database", { ...common, config: env.database, accountId });
    if (database) {
      new TerraformOutput(this, "database_writer_address", { value: database.writerAddress });
      new TerraformOutput(this, "database_reader_addresses", { value: database.readerAddresses });
      new TerraformOutput(this, "database_connection_parameter_arns", { value: database.connectionParameterArns });
      new TerraformOutput(this, "database_credentials_secret_arn", { value: database.credentialsSecretArn });
    }
    const cache = env.cache && new CacheCluster(this, "cache", { ...common, config: env.cache, finalSnapshot: env.production });
    if (cache) {
      new TerraformOutput(this, "cache_primary_endpoint", { value: cache.primaryEndpoint });
      new TerraformOutput(this, "cache_reader_endpoint", { value: cache.readerEndpoint });
    }
    return { ...(database ? { database } : {}), ...(cache ? { cache } : {}) };
  }

  /** `protect`: deletion protection and prevent_destroy on what holds data or serves users. */
  private addServices(env: EnvironmentConfig, accountId: string, protect: boolean, dataStores: DataStores, telemetry: Telemetry): void {
    const { namePrefix } = env;
    const repositories = new Map<string, ImageRepository>();
    for (const service of env.services) {
      const name = service.image.repository;
      if (!repositories.has(name)) {
        repositories.set(
          name,
          new ImageRepository(this, `ecr-${name}`, { repositoryName: `${namePrefix}/${name}`, forceDelete: !protect }),
        );
      }
    }
    const cluster = new ServiceCluster(this, "cluster", { clusterName: namePrefix });
    const storage = env.services.some((s) => s.storage)
      ? new SecureBucket(this, "app-bucket", { bucketName: `${namePrefix}-app-${accountId}`, preventDestroy: protect })
      : undefined;
    const webServices = env.services.filter((s) => s.role === "web");
    const loadBalancer = webServices.length
      ? new LoadBalancer(this, "alb", {
          namePrefix,
          vpcId: this.network.vpcId,
          publicSubnetIds: this.network.publicSubnetIds,
          idleTimeoutSeconds: env.alb.idleTimeoutSeconds,
          deletionProtection: protect,
          ...(env.production ? { accessLogs: { accountId } } : {}),
          ...(env.alb.domain ? { domain: env.alb.domain } : {}),
          ...(webServices.some((s) => s.deployment === "blueGreen") ? { testListenerPort: env.alb.testListenerPort } : {}),
          inventory: telemetry.inventory,
        })
      : undefined;

    for (const service of env.services) {
      const repository = repositories.get(service.image.repository)!;
      const stores = service.connectsTo.map((name) => dataStores[name]!);
      const fargate = new FargateService(this, `service-${service.name}`, {
        namePrefix,
        region: env.region,
        accountId,
        service,
        cluster: { arn: cluster.clusterArn, name: cluster.clusterName, ready: cluster.capacityProviders },
        vpcId: this.network.vpcId,
        subnetIds: this.network.privateSubnetIds,
        image: { repositoryUrl: repository.repositoryUrl, repositoryArn: repository.repositoryArn },
        ...(service.role === "web" && loadBalancer
          ? {
              loadBalancer: {
                listenerArn: loadBalancer.listenerArn,
                testListenerArn: loadBalancer.testListenerArn,
                securityGroupId: loadBalancer.securityGroupId,
                arnSuffix: loadBalancer.arnSuffix,
              },
            }
          : {}),
        ...(storage ? { storageBucketArn: storage.bucketArn } : {}),
        dataStores: stores.map((store): DataStoreAccess => store.access),
        ...telemetry,
      });
      for (const store of stores) store.allowConnectionsFrom(service.name, fargate.securityGroupId);
      if (service.role === "web" && loadBalancer && service.port)
        loadBalancer.allowTrafficTo(service.name, fargate.securityGroupId, service.port);
      new TerraformOutput(this, `service_${service.name.replace(/-/g, "_")}`, { value: fargate.serviceName });
    }

    new TerraformOutput(this, "cluster_name", { value: cluster.clusterName });
    new TerraformOutput(this, "repository_urls", {
      value: Object.fromEntries([...repositories].map(([name, repo]) => [name, repo.repositoryUrl])),
    });
    if (loadBalancer) {
      new TerraformOutput(this, "service_url", { value: loadBalancer.url });
      new TerraformOutput(this, "alb_dns_name", { value: loadBalancer.dnsName });
    }
    if (storage) new TerraformOutput(this, "app_bucket", { value: storage.bucketName });
  }
}
