import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { OfficeHoursSchedule } from "../constructs/office-hours";
import { WebAcl } from "../constructs/web-acl";
import type { ScalableCapacity } from "../constructs/service-autoscaling";
import { runningHoursTag } from "../config/office-hours";
import { Annotations, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import type { DeliveryConfig, EnvironmentConfig, ResolvedConnection, SingleHostConfig } from "../config/environment";
import { repositoryName } from "../config/image-stacks";
import { BUDGET_ACTUAL_PERCENT, BUDGET_FORECAST_PERCENT, BUDGET_MARGIN_PERCENT } from "../config/observability-schema";
import { UNSET_STATE_BUCKET, type AppSettings } from "../config/settings";
import { estimate, pricedResources, total } from "../cost/estimate";
import { AlarmPack, GLOBAL_METRICS_REGION } from "../constructs/alarm-pack";
import { AlarmTopic } from "../constructs/alarm-topic";
import { CostBudget } from "../constructs/cost-budget";
import { CacheCluster } from "../constructs/cache-cluster";
import { ContainerDatabase } from "../constructs/container-database";
import { OperationsDashboard } from "../constructs/dashboard";
import type { DataStoreAccess } from "../constructs/data-store-access";
import { DataVolume } from "../constructs/data-volume";
import {
  DeliveryPipeline,
  failedReleaseRuleName,
  migrationEnvironment,
  type PipelineHost,
  type PipelineMigration,
} from "../constructs/delivery-pipeline";
import { DeployDocument } from "../constructs/deploy-document";
import { DriftCheck, failedDriftCheckRuleName, type StackSecret } from "../constructs/drift-check";
import { DATA_MOUNT, DockerHost } from "../constructs/docker-host";
import { ImageLookup, type ImageRepositoryRef } from "../constructs/image-lookup";
import { ServiceCluster } from "../constructs/ecs-cluster";
import { FargateService, type DeployTarget } from "../constructs/fargate-service";
import { CdnDistribution } from "../constructs/cdn-distribution";
import { OriginHeader } from "../constructs/origin-header";
import { originHostName } from "../config/edge-schema";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LoadBalancer } from "../constructs/load-balancer";
import { EncryptionKey } from "../constructs/encryption-key";
import { EventNotification } from "../constructs/event-notification";
import { MonitoringInventory } from "../constructs/monitoring-inventory";
import { Network } from "../constructs/network";
import { PostgresDatabase } from "../constructs/postgres-database";
import { ScheduledJobs } from "../constructs/scheduled-jobs";
import { releaseRecordsBucket } from "../constructs/release-records";
import { ReleaseTag } from "../constructs/release-tag";
import { SecureBucket } from "../constructs/secure-bucket";
import { DEPLOY_SCRIPT } from "../host/cloud-init";
import { addAwsProvider, addStateBackend } from "./aws-context";

/** What every construct that creates something watchable or a log group is handed. */
interface Telemetry {
  readonly inventory: MonitoringInventory;
  /** Every log group is encrypted with the telemetry key. */
  readonly logsKmsKeyArn: string;
  /** The edge's region (CloudFront, its certificate, logs and alarms), when the stack's is another: its provider and telemetry key. */
  readonly usEast1?: { readonly provider: AwsProvider; readonly logsKmsKeyArn: string };
}

interface DataStores {
  database?: PostgresDatabase;
  cache?: CacheCluster;
}

/** What a pipeline deploys to: the images' repositories, and the ECS services or the host that run them. */
interface ReleaseTargets {
  readonly repositories: ReadonlyMap<string, ImageRepositoryRef>;
  readonly services: ReadonlyMap<string, DeployTarget>;
  readonly host?: PipelineHost;
}

/** One environment's infrastructure; the stack is named after the environment. */
export class EnvironmentStack extends TerraformStack {
  readonly network: Network;
  /** Secrets whose versions this stack writes: a plan reads them back (the drift check needs to). */
  private readonly planReadSecrets: StackSecret[] = [];
  /** What office hours stop and start, gathered as the stack is built. */
  private readonly officeHoursTargets: {
    services: { name: string; capacity: ScalableCapacity }[];
    database?: { identifier: string; arn: string };
  } = { services: [] };

  constructor(scope: Construct, env: EnvironmentConfig, settings: AppSettings) {
    super(scope, env.name);
    addAwsProvider(this, { region: env.region, tags: { ...env.tags }, localAwsEndpoint: settings.localAwsEndpoint, account: env.account });
    if (env.production && !env.account)
      Annotations.of(this).addWarning(
        `environment "${env.name}": account: a production definition should name its AWS account, so that credentials of another account cannot deploy it`,
      );
    addStateBackend(this, settings.state, `${env.name}/terraform.tfstate`, settings.localAwsEndpoint);
    const accountId = new DataAwsCallerIdentity(this, "account").accountId;
    const protect = env.production && !settings.allowDestroy;
    const telemetryKey = this.addTelemetryKey(env, accountId, protect, env.region);
    const usEast1 =
      env.edge?.cdn && env.region !== GLOBAL_METRICS_REGION
        ? addAwsProvider(this, {
            region: GLOBAL_METRICS_REGION,
            alias: GLOBAL_METRICS_REGION,
            tags: { ...env.tags },
            localAwsEndpoint: settings.localAwsEndpoint,
            account: env.account,
          })
        : undefined;
    const telemetry: Telemetry = {
      inventory: new MonitoringInventory(),
      logsKmsKeyArn: telemetryKey.keyArn,
      ...(usEast1
        ? {
            usEast1: {
              provider: usEast1,
              logsKmsKeyArn: this.addTelemetryKey(env, accountId, protect, GLOBAL_METRICS_REGION, usEast1).keyArn,
            },
          }
        : {}),
    };

    this.network = new Network(this, "network", {
      namePrefix: env.namePrefix,
      region: env.region,
      accountId,
      vpcCidr: env.network.vpcCidr,
      subnets: env.network.subnets,
      natStrategy: env.network.natStrategy,
      interfaceEndpoints: env.network.interfaceEndpoints,
      inventory: telemetry.inventory,
      ...(env.officeHours ? { natInstanceRunningHours: runningHoursTag(env.officeHours, "dataAndEgress") } : {}),
      flowLogs: env.network.flowLogs.enabled
        ? { retentionDays: env.network.flowLogs.retentionDays, kmsKeyArn: telemetry.logsKmsKeyArn }
        : false,
    });
    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId });
    new TerraformOutput(this, "public_subnet_ids", { value: this.network.publicSubnetIds });
    new TerraformOutput(this, "private_subnet_ids", { value: this.network.privateSubnetIds });
    new TerraformOutput(this, "isolated_subnet_ids", { value: this.network.isolatedSubnetIds });

    const releaseTags = this.addReleaseTags(env);
    let targets: ReleaseTargets | undefined;
    if (env.singleHost) targets = this.addSingleHost(env, env.singleHost, accountId, protect, telemetry, releaseTags);
    else {
      const dataStores = this.addDataStores(env, accountId, protect, telemetry);
      if (env.services.length > 0) targets = this.addServices(env, accountId, protect, dataStores, telemetry, releaseTags);
    }
    const observability = telemetry.inventory.size > 0 ? this.addObservability(env, accountId, telemetryKey.keyArn, telemetry) : undefined;
    const topicArn = observability?.topicArn;
    if (env.officeHours)
      new OfficeHoursSchedule(this, "office-hours", {
        namePrefix: env.namePrefix,
        region: env.region,
        accountId,
        hours: env.officeHours,
        ...this.officeHoursTargets,
        ...(this.network.natInstance ? { natInstance: this.network.natInstance } : {}),
        alarmNames: observability?.alarmNames ?? [],
      });
    if (env.delivery) {
      if (!targets || !topicArn) throw new Error(`environment ${env.name}: delivery needs services to deploy`);
      this.addDelivery(env, env.delivery, accountId, protect, telemetry, { ...targets, releaseTags, topicArn }, settings);
    }
    // Last: its default limit is the estimate of everything above.
    if (topicArn) this.addBudget(env, topicArn);
  }

  /** The monthly cost budget of what carries this environment's tag, notifying the alarm topic. */
  private addBudget(env: EnvironmentConfig, topicArn: string): void {
    const limit =
      env.observability.monthlyBudgetUsd ?? Math.ceil(total(estimate(pricedResources(this))) * (1 + BUDGET_MARGIN_PERCENT / 100));
    new CostBudget(this, "budget", {
      name: `${env.namePrefix}-monthly`,
      limitUsd: limit,
      tag: { key: "Environment", value: env.tags.Environment },
      topicArn,
      actualPercent: BUDGET_ACTUAL_PERCENT,
      forecastPercent: BUDGET_FORECAST_PERCENT,
    });
    new TerraformOutput(this, "budget_tag_check_command", {
      description: "The budget counts costs by the Environment tag: this prints Active once the tag is a cost allocation tag",
      value: "aws ce list-cost-allocation-tags --tag-keys Environment --query 'CostAllocationTags[].Status' --output text",
    });
  }

  /** The release parameter of each image a pipeline builds: what its services run until the next release. */
  private addReleaseTags(env: EnvironmentConfig): ReadonlyMap<string, ReleaseTag> {
    return new Map(
      (env.delivery?.builds ?? []).map((build) => [
        build.repository,
        new ReleaseTag(this, `release-${build.repository}`, {
          parameterName: `${releasePath(env)}/${build.repository}`,
          initialTag: build.services[0].image.tag,
        }),
      ]),
    );
  }

  /** The pipeline, and on a single host the SSM document it deploys with. */
  private addDelivery(
    env: EnvironmentConfig,
    delivery: DeliveryConfig,
    accountId: string,
    protect: boolean,
    telemetry: Telemetry,
    targets: ReleaseTargets & { releaseTags: ReadonlyMap<string, ReleaseTag>; topicArn: string },
    settings: AppSettings,
  ): void {
    const images = delivery.builds.map((build) => {
      const repository = targets.repositories.get(build.repository)!;
      const release = targets.releaseTags.get(build.repository)!;
      return {
        repository: build.repository,
        repositoryName: repository.repositoryName,
        repositoryUrl: repository.repositoryUrl,
        repositoryArn: repository.repositoryArn,
        context: build.context,
        dockerfile: build.dockerfile,
        release: { parameterName: release.parameterName, parameterArn: release.parameterArn },
        services: targets.host ? [] : build.services.map((s) => targets.services.get(s.name)!),
      };
    });
    // On ECS, the migration runs with the image of the build that releases its service.
    const migrated = images
      .flatMap((image) => image.services.map((service) => ({ image, service })))
      .find(({ service }) => service.container === env.migration?.service);
    const migration: PipelineMigration | undefined = migrated && {
      ...env.migration!,
      service: migrated.service,
      repositoryUrl: migrated.image.repositoryUrl,
    };
    if (delivery.via === "github-actions") {
      this.addGithubRelease(env, delivery, accountId, protect, migration);
      return;
    }
    const pipeline = new DeliveryPipeline(this, "delivery", {
      namePrefix: env.namePrefix,
      region: env.region,
      accountId,
      repository: delivery.repository,
      branch: delivery.branch,
      connection: resolvedConnection(env.name, delivery),
      images,
      ...(targets.host ? { host: targets.host } : {}),
      ...(migration ? { migration } : {}),
      architecture: env.architecture,
      manualApproval: delivery.manualApproval,
      computeType: delivery.computeType,
      logRetentionDays: delivery.logRetentionDays,
      logsKmsKeyArn: telemetry.logsKmsKeyArn,
      artifactRetentionDays: delivery.artifactRetentionDays,
      notificationTopicArn: targets.topicArn,
      protect,
      ...(delivery.promotion ? { promotion: { fromNamePrefix: promotedNamePrefix(env.name, delivery) } } : {}),
      recordsPromotions: delivery.promotedTo.length > 0,
    });
    new TerraformOutput(this, "pipeline_name", { value: pipeline.pipelineName });
    new TerraformOutput(this, "pipeline_connection_arn", { value: pipeline.connectionArn });
    // A new connection is PENDING until approved in the console; until then runs stop in Source.
    new TerraformOutput(this, "pipeline_status_command", {
      value:
        `aws codepipeline get-pipeline-state --region ${env.region} --name ${pipeline.pipelineName} ` +
        "--query 'stageStates[].[stageName,latestExecution.status]' --output text",
    });
    if (!delivery.driftCheck) return;
    const drift = new DriftCheck(this, "drift-check", {
      namePrefix: env.namePrefix,
      region: env.region,
      accountId,
      stack: env.name,
      repository: delivery.driftCheck.repository,
      branch: delivery.driftCheck.branch,
      connectionArn: pipeline.connectionArn,
      schedule: delivery.driftCheck.schedule,
      state: { bucket: settings.state.bucket ?? UNSET_STATE_BUCKET, region: settings.state.region },
      artifacts: pipeline.artifacts,
      topicArn: targets.topicArn,
      topicKeyArn: telemetry.logsKmsKeyArn,
      secrets: this.planReadSecrets,
      logRetentionDays: delivery.logRetentionDays,
      logsKmsKeyArn: telemetry.logsKmsKeyArn,
    });
    new TerraformOutput(this, "drift_check_command", {
      value: `aws codepipeline start-pipeline-execution --region ${env.region} --name ${drift.pipelineName}`,
    });
  }

  /**
   * Releases through GitHub Actions (`npm run release` in release.yml): no pipeline here, only the
   * release record bucket when other environments promote this one's releases, and what the
   * release command reads that only Terraform knows, as the output `release_settings`.
   */
  private addGithubRelease(
    env: EnvironmentConfig,
    delivery: DeliveryConfig,
    accountId: string,
    protect: boolean,
    migration: PipelineMigration | undefined,
  ): void {
    const records =
      delivery.promotedTo.length > 0
        ? releaseRecordsBucket(this, "release-records", { namePrefix: env.namePrefix, accountId, protect })
        : undefined;
    new TerraformOutput(this, "release_settings", {
      description: "What npm run release reads: the account, where releases are recorded for promotion, and the migration's task settings",
      value: {
        account_id: accountId,
        ...(records ? { promotions_bucket: records.bucketName } : {}),
        ...(migration ? { migration: migrationEnvironment(migration) } : {}),
      },
    });
  }

  /** Encrypts the alarm topic and every log group of a region (the stack's, or the edge's us-east-1). */
  private addTelemetryKey(
    env: EnvironmentConfig,
    accountId: string,
    protect: boolean,
    region: string,
    provider?: AwsProvider,
  ): EncryptionKey {
    return new EncryptionKey(this, provider ? `telemetry-key-${region}` : "telemetry-key", {
      ...(provider ? { provider } : {}),
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
          Principal: { Service: `logs.${region}.amazonaws.com` },
          Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          Resource: "*",
          Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${accountId}:log-group:*` } },
        },
        // Every environment's budget notifies the alarm topic.
        {
          Sid: "BudgetsPublishToTheEncryptedAlarmTopic",
          Effect: "Allow",
          Principal: { Service: "budgets.amazonaws.com" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        },
        ...(eventsPublishToTheTopic(env)
          ? [
              {
                Sid: "EventBridgePublishesToTheEncryptedAlarmTopic",
                Effect: "Allow" as const,
                Principal: { Service: "events.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
              },
            ]
          : []),
      ],
    });
  }

  /** The alarm topic, the alarm pack and the dashboard, all generated from the inventory. */
  private addObservability(
    env: EnvironmentConfig,
    accountId: string,
    keyArn: string,
    telemetry: Telemetry,
  ): { topicArn: string; alarmNames: readonly string[] } {
    const { inventory } = telemetry;
    const snapshotPolicies = inventory.of("snapshotPolicy");
    const snapshotRule = `${env.namePrefix}-snapshots-failed`;
    const jobs = inventory.of("job");
    const jobsRule = `${env.namePrefix}-jobs-failed`;
    const eventRuleNames = [
      ...(env.delivery?.via === "codepipeline" ? [failedReleaseRuleName(env.namePrefix)] : []),
      ...(env.delivery?.driftCheck ? [failedDriftCheckRuleName(env.namePrefix)] : []),
      ...(snapshotPolicies.length ? [snapshotRule] : []),
      ...(jobs.length ? [jobsRule] : []),
    ];
    const topic = new AlarmTopic(this, "alarm-topic", {
      topicName: `${env.namePrefix}-alarms`,
      region: env.region,
      accountId,
      kmsKeyArn: keyArn,
      emails: env.observability.alarmEmails,
      httpsEndpoints: env.observability.alarmHttpsEndpoints,
      ...(eventRuleNames.length ? { eventRuleNames } : {}),
      budgets: true,
    });
    if (snapshotPolicies.length)
      // DLM reports a broken policy (a role it cannot use, a quota) only as this event; without it snapshots silently stop.
      new EventNotification(this, "snapshots-failed", {
        ruleName: snapshotRule,
        description: `Snapshot policies of ${env.namePrefix} in ERROR`,
        eventPattern: {
          source: ["aws.dlm"],
          "detail-type": ["DLM Policy State Change"],
          resources: snapshotPolicies.map((p) => p.policyArn),
          detail: { state: ["ERROR"] },
        },
        topicArn: topic.topicArn,
        inputPaths: { policy: "$.detail.policy_id", cause: "$.detail.cause" },
        message: `Snapshot policy <policy> of ${env.namePrefix} stopped taking snapshots: <cause>`,
      });
    if (jobs.length)
      // A run that started and failed (exit code other than 0) is an ECS event, no metric.
      new EventNotification(this, "jobs-failed", {
        ruleName: jobsRule,
        description: `Scheduled jobs of ${env.namePrefix} that exited with an error`,
        eventPattern: {
          source: ["aws.ecs"],
          "detail-type": ["ECS Task State Change"],
          detail: {
            clusterArn: [...new Set(jobs.map((job) => job.clusterArn))],
            group: jobs.map((job) => job.taskGroup),
            lastStatus: ["STOPPED"],
            containers: { exitCode: [{ "anything-but": 0 }] },
          },
        },
        topicArn: topic.topicArn,
        inputPaths: { group: "$.detail.group", task: "$.detail.taskArn", reason: "$.detail.stoppedReason" },
        message: `Scheduled <group> of ${env.namePrefix} exited with an error (task <task>: <reason>); its output is in the service's log group.`,
      });
    // An alarm notifies only a topic of its own region: the edge's alarms get one in us-east-1.
    const usEast1 = telemetry.usEast1
      ? {
          provider: telemetry.usEast1.provider,
          topicArn: new AlarmTopic(this, `alarm-topic-${GLOBAL_METRICS_REGION}`, {
            provider: telemetry.usEast1.provider,
            topicName: `${env.namePrefix}-alarms`,
            region: GLOBAL_METRICS_REGION,
            accountId,
            kmsKeyArn: telemetry.usEast1.logsKmsKeyArn,
            emails: env.observability.alarmEmails,
            httpsEndpoints: env.observability.alarmHttpsEndpoints,
          }).topicArn,
        }
      : undefined;
    const alarms = new AlarmPack(this, "alarms", {
      namePrefix: env.namePrefix,
      inventory,
      thresholds: env.observability.thresholds,
      region: env.region,
      topicArn: topic.topicArn,
      ...(usEast1 ? { otherRegions: { [GLOBAL_METRICS_REGION]: usEast1 } } : {}),
      actionsScheduled: env.officeHours !== undefined,
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
    return { topicArn: topic.topicArn, alarmNames: alarms.alarmNames };
  }

  /**
   * What stands in front of the load balancer: the web ACL (on the distribution when there is
   * one, else on the load balancer) and the CloudFront distribution; returns the header the
   * services' listener rules then require.
   */
  private addEdge(env: EnvironmentConfig, loadBalancer: LoadBalancer, telemetry: Telemetry, protect: boolean): OriginHeader | undefined {
    const { namePrefix, edge } = env;
    const cdn = edge?.cdn;
    const edgeRegion = cdn ? GLOBAL_METRICS_REGION : env.region;
    // The us-east-1 key exists only with a CDN outside us-east-1; everything else logs under the stack's.
    const edgeLogsKey = telemetry.usEast1?.logsKmsKeyArn ?? telemetry.logsKmsKeyArn;
    const acl = edge?.waf
      ? new WebAcl(this, "waf", {
          namePrefix,
          region: edgeRegion,
          waf: edge.waf,
          protects: cdn ? { distribution: true } : { loadBalancerArn: loadBalancer.arn },
          ...(telemetry.usEast1 ? { usEast1: telemetry.usEast1.provider } : {}),
          logsKmsKeyArn: edgeLogsKey,
          inventory: telemetry.inventory,
        })
      : undefined;
    if (!cdn || !env.alb.domain || !loadBalancer.zoneId) return undefined;
    const header = new OriginHeader(this, "origin-header", {
      namePrefix,
      kmsKeyArn: telemetry.logsKmsKeyArn,
      protect,
      version: cdn.originHeaderVersion,
    });
    // Every plan reads it (a data source): the drift check must be able to.
    this.planReadSecrets.push({ secretArn: header.secretArn, kmsKeyArn: header.kmsKeyArn });
    new CdnDistribution(this, "cdn", {
      namePrefix,
      cdn,
      domain: { name: env.alb.domain.name, zoneId: loadBalancer.zoneId },
      originHostName: originHostName(env.alb.domain.name),
      routedPaths: env.services.flatMap((svc) => svc.routing?.paths ?? []),
      originHeader: header,
      // CloudFront takes certificates from us-east-1 only: the load balancer's when it is there.
      ...(telemetry.usEast1 ? { usEast1: telemetry.usEast1.provider } : { certificateArn: loadBalancer.certificateArn }),
      ...(acl ? { webAclArn: acl.webAclArn } : {}),
      ipv6: !edge?.waf || (edge.waf.allowCidrs.length === 0 && edge.waf.denyCidrs.length === 0),
      ...(loadBalancer.aliasRecord ? { recordsAfter: [loadBalancer.aliasRecord] } : {}),
      logsKmsKeyArn: edgeLogsKey,
      inventory: telemetry.inventory,
    });
    return header;
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
    const database =
      env.database &&
      new PostgresDatabase(this, "database", {
        ...common,
        config: env.database,
        accountId,
        ...(env.officeHours ? { runningHours: runningHoursTag(env.officeHours, "dataAndEgress") } : {}),
      });
    if (database && env.officeHours)
      this.officeHoursTargets.database = { identifier: database.primaryIdentifier, arn: database.primaryArn };
    if (database && env.database?.passwordManagement === "writeOnly")
      this.planReadSecrets.push({ secretArn: database.credentialsSecretArn, kmsKeyArn: key.keyArn });
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

  /** One ECR repository per repository name the services use; services may share one. */
  /**
   * The project's repositories (its images stack owns them) and, in each, the tag every service
   * deploys: its release's when a pipeline delivers it, else its definition's. The plan fails
   * before any change when one is missing.
   */
  private lookUpImages(env: EnvironmentConfig, releaseTags: ReadonlyMap<string, ReleaseTag>): Map<string, ImageLookup> {
    const repositories = new Map<string, ImageLookup>();
    for (const service of env.services) {
      const name = service.image.repository;
      const lookup =
        repositories.get(name) ?? new ImageLookup(this, `image-${name}`, { repositoryName: repositoryName(env.project, name) });
      repositories.set(name, lookup);
      // Read at plan time: the plan fails before any change when the image is missing.
      lookup.imageUri(releaseTags.get(name)?.tag ?? service.image.tag);
    }
    new TerraformOutput(this, "repository_urls", {
      value: Object.fromEntries([...repositories].map(([name, repo]) => [name, repo.repositoryUrl])),
    });
    return repositories;
  }

  /** The application bucket, when a service declares storage access. */
  private addStorage(env: EnvironmentConfig, accountId: string, protect: boolean): SecureBucket | undefined {
    if (!env.services.some((s) => s.storage)) return undefined;
    const storage = new SecureBucket(this, "app-bucket", { bucketName: `${env.namePrefix}-app-${accountId}`, preventDestroy: protect });
    new TerraformOutput(this, "app_bucket", { value: storage.bucketName });
    return storage;
  }

  /** The services on one EC2 instance with docker compose, with its database, data volume and DNS name. */
  private addSingleHost(
    env: EnvironmentConfig,
    host: SingleHostConfig,
    accountId: string,
    protect: boolean,
    telemetry: Telemetry,
    releaseTags: ReadonlyMap<string, ReleaseTag>,
  ): ReleaseTargets {
    const { namePrefix } = env;
    const key = new EncryptionKey(this, "data-key", {
      alias: `${namePrefix}-data`,
      description: `${namePrefix}: the host's volumes, their snapshots, and secrets`,
      accountId,
      preventDestroy: protect,
    });
    const repositories = this.lookUpImages(env, releaseTags);
    const storage = this.addStorage(env, accountId, protect);
    const db = host.database;
    let dataVolume: DataVolume | undefined;
    let containerDb: ContainerDatabase | undefined;
    if (db?.mode === "container") {
      dataVolume = new DataVolume(this, "data-volume", {
        namePrefix,
        accountId,
        availabilityZone: env.network.subnets.public[0].availabilityZone,
        sizeGb: db.volumeGb,
        kmsKeyArn: key.keyArn,
        snapshotRetentionDays: db.snapshotRetentionDays,
        preventDestroy: protect,
        inventory: telemetry.inventory,
      });
      containerDb = new ContainerDatabase(this, "database", {
        namePrefix,
        config: db,
        kmsKeyArn: key.keyArn,
        dataDirectory: `${DATA_MOUNT}/postgres`,
        protect,
      });
    }
    const database =
      containerDb?.access ??
      (db?.mode === "external"
        ? { environment: {}, secrets: { DATABASE_URL: db.urlSecretArn }, statements: [], external: { cidrs: db.cidrs, port: db.port } }
        : undefined);
    const dockerHost = new DockerHost(this, "host", {
      environment: env.name,
      namePrefix,
      region: env.region,
      accountId,
      vpcId: this.network.vpcId,
      subnetId: this.network.publicSubnetIds[0],
      internetReady: this.network.internetReady,
      host,
      services: env.services,
      repositories,
      kmsKeyArn: key.keyArn,
      logsKmsKeyArn: telemetry.logsKmsKeyArn,
      ...(database ? { database } : {}),
      ...(dataVolume ? { dataVolume } : {}),
      ...(storage ? { storageBucketArn: storage.bucketArn } : {}),
      ...(releaseTags.size ? { releases: { path: releasePath(env), repositories: new Set(releaseTags.keys()) } } : {}),
      inventory: telemetry.inventory,
      jobs: env.jobs,
      ...(env.migration ? { migration: env.migration } : {}),
    });
    if (host.domain) {
      const zone = new DataAwsRoute53Zone(this, "zone", { name: host.domain.hostedZone, privateZone: false });
      new Route53Record(this, "host-record", {
        zoneId: zone.zoneId,
        name: host.domain.name,
        type: "A",
        ttl: 300,
        records: [dockerHost.publicIp],
      });
    }
    new TerraformOutput(this, "service_url", { value: host.domain ? `https://${host.domain.name}` : `http://${dockerHost.publicIp}` });
    new TerraformOutput(this, "host_instance_id", { value: dockerHost.instanceId });
    new TerraformOutput(this, "host_public_ip", { value: dockerHost.publicIp });
    new TerraformOutput(this, "host_session_command", {
      value: `aws ssm start-session --region ${env.region} --target ${dockerHost.instanceId}`,
    });
    new TerraformOutput(this, "host_health_command", {
      value: `aws ssm get-parameter --region ${env.region} --name ${dockerHost.healthParameterName} --query Parameter.Value --output text`,
    });
    if (containerDb) {
      new TerraformOutput(this, "database_credentials_secret_arn", { value: containerDb.credentialsSecretArn });
      this.planReadSecrets.push({ secretArn: containerDb.credentialsSecretArn, kmsKeyArn: key.keyArn });
    }
    if (!env.delivery) return { repositories, services: new Map() };
    const document = new DeployDocument(this, "deploy-document", { documentName: `${namePrefix}-deploy`, deployScript: DEPLOY_SCRIPT });
    return {
      repositories,
      services: new Map(),
      host: { instanceId: dockerHost.instanceId, documentName: document.documentName, documentArn: document.documentArn },
    };
  }

  /** `protect`: deletion protection and prevent_destroy on what holds data or serves users. */
  private addServices(
    env: EnvironmentConfig,
    accountId: string,
    protect: boolean,
    dataStores: DataStores,
    telemetry: Telemetry,
    releaseTags: ReadonlyMap<string, ReleaseTag>,
  ): ReleaseTargets {
    const deployTargets = new Map<string, DeployTarget>();
    const { namePrefix } = env;
    const repositories = this.lookUpImages(env, releaseTags);
    const cluster = new ServiceCluster(this, "cluster", { clusterName: namePrefix });
    const storage = this.addStorage(env, accountId, protect);
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
          ...(webServices.some((s) => s.deployment === "blueGreen")
            ? { testListener: { port: env.alb.testListenerPort, sources: [env.network.vpcCidr, ...env.alb.testListenerCidrs] } }
            : {}),
          webAclProtected: env.edge?.waf !== undefined,
          ...(env.edge?.cdn && env.alb.domain ? { frontedBy: { originHostName: originHostName(env.alb.domain.name) } } : {}),
          inventory: telemetry.inventory,
        })
      : undefined;
    const originHeader = loadBalancer ? this.addEdge(env, loadBalancer, telemetry, protect) : undefined;

    for (const service of env.services) {
      const repository = repositories.get(service.image.repository)!;
      const stores = service.connectsTo.map((name) => dataStores[name]!);
      const fargate = new FargateService(this, `service-${service.name}`, {
        namePrefix,
        environment: env.name,
        region: env.region,
        accountId,
        service,
        architecture: env.architecture,
        ...(env.officeHours ? { runningHours: runningHoursTag(env.officeHours, "services") } : {}),
        cluster: { arn: cluster.clusterArn, name: cluster.clusterName, ready: cluster.capacityProviders },
        vpcId: this.network.vpcId,
        subnetIds: this.network.privateSubnetIds,
        image: {
          uri: repository.imageUri(releaseTags.get(service.image.repository)?.tag ?? service.image.tag),
          repositoryArn: repository.repositoryArn,
        },
        ...(service.role === "web" && loadBalancer
          ? {
              loadBalancer: {
                listenerArn: loadBalancer.listenerArn,
                testListenerArn: loadBalancer.testListenerArn,
                ...(originHeader ? { requiredHeader: { name: originHeader.name, value: originHeader.value } } : {}),
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
      deployTargets.set(service.name, fargate.deployTarget);
      if (env.officeHours && fargate.capacity) this.officeHoursTargets.services.push({ name: service.name, capacity: fargate.capacity });
    }
    if (env.jobs.length > 0)
      new ScheduledJobs(this, "jobs", {
        namePrefix,
        region: env.region,
        accountId,
        jobs: env.jobs,
        services: deployTargets,
        clusterArn: cluster.clusterArn,
        subnetIds: this.network.privateSubnetIds,
        inventory: telemetry.inventory,
      });

    new TerraformOutput(this, "cluster_name", { value: cluster.clusterName });
    if (loadBalancer) {
      new TerraformOutput(this, "service_url", { value: loadBalancer.url });
      new TerraformOutput(this, "alb_dns_name", { value: loadBalancer.dnsName });
    }
    return { repositories, services: deployTargets };
  }
}

/** Where an environment's release parameters live: `/<project>-<environment>/release`. */
function releasePath(env: EnvironmentConfig): string {
  return `/${env.namePrefix}/release`;
}

/** loadEnvironments resolves the environment a pipeline promotes. */
function promotedNamePrefix(name: string, delivery: DeliveryConfig): string {
  const from = delivery.promotion?.fromNamePrefix;
  if (!from) throw new Error(`environment ${name}: delivery.promoteFrom was not resolved (load definitions with loadEnvironments)`);
  return from;
}

/** loadEnvironments resolves a connection shared by another environment into the name to look up. */
function resolvedConnection(name: string, delivery: DeliveryConfig): ResolvedConnection {
  const source = delivery.connection;
  if ("from" in source)
    throw new Error(`environment ${name}: delivery.connectionFrom was not resolved (load definitions with loadEnvironments)`);
  return source;
}

/**
 * Whether an EventBridge rule publishes to the alarm topic (failed releases and drift checks,
 * a single host's snapshot policy, failed jobs): EventBridge then needs the topic's key, or
 * every such notification fails silently.
 */
function eventsPublishToTheTopic(env: EnvironmentConfig): boolean {
  return env.delivery?.via === "codepipeline" || env.singleHost?.database?.mode === "container" || (env.jobs.length > 0 && !env.singleHost);
}
