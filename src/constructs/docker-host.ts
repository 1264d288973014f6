import type { JobDefinition } from "../config/jobs-schema";
import type { MigrationDefinition } from "../config/release-schema";
import { renderHostJobs } from "../host/jobs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { ServiceConfig, SingleHostConfig } from "../config/environment";
import { DATABASE_CONTAINER, PROXY_CONTAINER } from "../config/single-host-schema";
import { renderCaddyfile } from "../host/caddyfile";
import { HOST_SETTINGS_FILE, renderCloudInit, RUN_JOB_SCRIPT } from "../host/cloud-init";
import { renderCompose, type DatabaseContainer, type HostDatabase } from "../host/compose";
import { LOG_RETENTION_REASON, suppressPolicyCheck } from "../policy-suppressions";
import type { DataVolume } from "./data-volume";
import type { ImageRepositoryRef } from "./image-lookup";
import { appBucketStatements, namedSecretStatements, policyDocument, type PolicyStatement } from "./iam-policy";
import type { MonitoringInventory } from "./monitoring-inventory";

/**
 * docker compose 2.33.0, pinned by digest. Amazon Linux 2023 packages Docker but not the compose
 * plugin. Digests as published with the release and pinned by Docker's official `docker` image.
 */
export const COMPOSE_PLUGIN = {
  version: "2.33.0",
  sha256: {
    x86_64: "6395dbb256db6ea28d5c6695bc9bc33866c07ad1c93792f8d85857f1c21c34ee",
    aarch64: "03a42a0fc0614ffc3c9ebca521cab75e02c427b68e45e3f6867d9510b9a28818",
  },
} as const;

/** Where the data volume is mounted on the host. */
export const DATA_MOUNT = "/srv/data";

export interface DockerHostProps {
  /** The environment's name, for errors about its definition. */
  readonly environment: string;
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
  /** A public subnet: the host is reached through its Elastic IP. */
  readonly subnetId: string;
  /** What must exist before the host's address works and its first boot can pull: the route out. */
  readonly internetReady: readonly ITerraformDependable[];
  readonly host: SingleHostConfig;
  readonly services: readonly ServiceConfig[];
  /** The project's ECR repositories the services run from, by the services' repository name. */
  readonly repositories: ReadonlyMap<string, Pick<ImageRepositoryRef, "repositoryName" | "repositoryArn">>;
  /** Encrypts the root volume. */
  readonly kmsKeyArn: string;
  /** Encrypts the host's log groups. */
  readonly logsKmsKeyArn: string;
  /**
   * The database the services that connect to it use, with what reading its secrets takes; with
   * `container`, PostgreSQL runs on the host (its files on `dataVolume`).
   * @default no database
   */
  readonly database?: HostDatabase & {
    readonly statements: readonly PolicyStatement[];
    readonly container?: DatabaseContainer;
    /** An external database: where it listens, the only place the host may connect to for it. */
    readonly external?: { readonly cidrs: readonly string[]; readonly port: number };
  };
  /**
   * Mounted at DATA_MOUNT before the containers start.
   * @default no data volume
   */
  readonly dataVolume?: DataVolume;
  /**
   * The application bucket, for services that declare storage access.
   * @default no bucket access
   */
  readonly storageBucketArn?: string;
  /**
   * Release parameters under `path` (`/<prefix>/release/<repository>`) that a pipeline writes: the
   * host runs the released tag of each repository in `repositories`, and reads them at every start.
   * @default none: the definitions' tags
   */
  readonly releases?: { readonly path: string; readonly repositories: ReadonlySet<string> };
  /**
   * Registers the host and its containers for alarms and the dashboard.
   * @default not watched
   */
  readonly inventory?: MonitoringInventory;
  /** Commands run on a schedule with a service's container settings (systemd timers). @default none */
  readonly jobs?: readonly JobDefinition[];
  /** The release's migration, run before the containers move or start. @default none */
  readonly migration?: MigrationDefinition;
}

/**
 * One EC2 instance that runs the environment's services with docker compose: Amazon Linux 2023
 * (latest AMI at creation), IMDSv2 only with a hop limit of 2 (containers use the instance
 * role), an encrypted gp3 root volume, an Elastic IP, Session Manager instead of SSH keys, and a
 * security group that opens only the proxy's ports (and SSH from one range, when configured).
 * A change to the generated user data replaces the instance.
 */
export class DockerHost extends Construct {
  readonly instanceId: string;
  readonly publicIp: string;
  readonly healthParameterName: string;

  constructor(scope: Construct, id: string, props: DockerHostProps) {
    super(scope, id);
    const { namePrefix, host } = props;
    const https = host.domain !== undefined;
    const metricNamespace = `${namePrefix}/host`;

    // Names written as text, not references: the files that use them stay free of Terraform references.
    const logGroupName = (container: string) => `/host/${namePrefix}/${container}`;
    const logGroup = (name: string) => {
      const group = new CloudwatchLogGroup(this, `logs-${name}`, {
        name: logGroupName(name),
        retentionInDays: host.logRetentionDays,
        kmsKeyId: props.logsKmsKeyArn,
      });
      if (host.logRetentionDays < 365) suppressPolicyCheck(group, "CKV_AWS_338", LOG_RETENTION_REASON);
      return group;
    };
    const systemLogs = logGroup("system");
    const containers = [...props.services.map((s) => s.name), PROXY_CONTAINER, ...(props.database?.container ? [DATABASE_CONTAINER] : [])];
    const containerLogs = new Map(containers.map((name) => [name, logGroup(name)]));

    const healthParameter = new SsmParameter(this, "health", {
      name: `/${namePrefix}/host/health`,
      type: "String",
      value: "pending: the host has not reported yet",
      description: "The host's latest health report (JSON), written every minute",
      // The host writes it; Terraform only creates it.
      lifecycle: { ignoreChanges: ["value"] },
    });
    suppressPolicyCheck(healthParameter, "CKV2_AWS_34", "a health report: container states, never a secret");
    this.healthParameterName = healthParameter.name;

    const compose = renderCompose({
      project: namePrefix,
      region: props.region,
      services: props.services,
      repositoryOf: (svc) => props.repositories.get(svc.image.repository)!.repositoryName,
      ...(props.releases ? { released: props.releases.repositories } : {}),
      logGroupOf: logGroupName,
      ...(props.database ? { database: props.database } : {}),
      proxyPorts: https ? [80, 443] : [80],
    });
    const composeArch = host.architecture === "arm64" ? "aarch64" : "x86_64";
    const userData = renderCloudInit({
      environment: props.environment,
      settings: {
        APP_NAME: namePrefix,
        APP_REGION: props.region,
        APP_REGISTRY: `${props.accountId}.dkr.ecr.${props.region}.amazonaws.com`,
        APP_HEALTH_PARAMETER: healthParameter.name,
        APP_METRIC_NAMESPACE: metricNamespace,
        APP_COMPOSE_URL: `https://github.com/docker/compose/releases/download/v${COMPOSE_PLUGIN.version}/docker-compose-linux-${composeArch}`,
        APP_COMPOSE_SHA256: COMPOSE_PLUGIN.sha256[composeArch],
        ...(props.releases ? { APP_RELEASE_PATH: props.releases.path } : {}),
        ...(props.dataVolume ? { APP_DATA_VOLUME_ID: props.dataVolume.volumeId, APP_DATA_MOUNT: DATA_MOUNT } : {}),
      },
      compose,
      caddyfile: renderCaddyfile({ services: props.services, ...(host.domain ? { domain: host.domain.name } : {}) }),
      cloudWatchAgent: cloudWatchAgentConfig(logGroupName("system"), props.dataVolume ? [DATA_MOUNT] : []),
      ...(props.dataVolume ? { dataMount: DATA_MOUNT } : {}),
      ...(props.jobs?.length ? { jobs: renderHostJobs(props.jobs, RUN_JOB_SCRIPT, HOST_SETTINGS_FILE) } : {}),
      ...(props.migration ? { migration: { ...props.migration, logGroup: logGroupName(props.migration.service) } } : {}),
    });

    // A role replaced under the same name leaves the instance profile without it until another
    // apply, and a replaced profile is no longer the running instance's. A generated name, made
    // before the old role goes, turns a replacement into an in-place update of the profile.
    const role = new IamRole(this, "role", {
      namePrefix: `${namePrefix}-host-`,
      lifecycle: { createBeforeDestroy: true },
      // EC2 gives an instance profile's role only to instances launched in this account (iam:PassRole
      // cannot cross accounts), and sends no aws:SourceAccount to condition on.
      assumeRolePolicy: policyDocument([
        { Sid: "Ec2AssumesTheInstanceRole", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]),
    });
    new IamRolePolicyAttachment(this, "session-manager", {
      role: role.name,
      policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    });
    new IamRolePolicy(this, "policy", {
      role: role.id,
      name: "host",
      policy: policyDocument(
        hostStatements(props, {
          logGroupArns: [systemLogs.arn, ...[...containerLogs.values()].map((g) => g.arn)],
          healthParameterArn: healthParameter.arn,
          metricNamespace,
        }),
      ),
    });
    const profile = new IamInstanceProfile(this, "profile", { name: `${namePrefix}-host`, role: role.name });

    const securityGroup = new SecurityGroup(this, "sg", {
      name: `${namePrefix}-host`,
      description: "single host: reverse proxy ports only",
      vpcId: props.vpcId,
      tags: { Name: `${namePrefix}-host` },
    });
    const ingress = (port: number, cidr: string, description: string) =>
      new VpcSecurityGroupIngressRule(this, `ingress-${port}`, {
        securityGroupId: securityGroup.id,
        description,
        cidrIpv4: cidr,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
      });
    const http = ingress(80, "0.0.0.0/0", https ? "HTTP: certificate challenges and the redirect to HTTPS" : "HTTP to the reverse proxy");
    suppressPolicyCheck(
      http,
      "CKV_AWS_260",
      "port 80 is the public entry of a web product; with a domain the proxy only redirects to HTTPS",
    );
    if (https) ingress(443, "0.0.0.0/0", "HTTPS to the reverse proxy");
    if (host.sshCidr) ingress(22, host.sshCidr, "SSH from the configured range");
    new VpcSecurityGroupEgressRule(this, "egress-443", {
      securityGroupId: securityGroup.id,
      description: "HTTPS: AWS APIs, ECR, package and image registries, certificate authority",
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
    });
    const external = props.database?.external;
    external?.cidrs.forEach(
      (cidr, i) =>
        new VpcSecurityGroupEgressRule(this, `egress-database-${i}`, {
          securityGroupId: securityGroup.id,
          description: `PostgreSQL: the external database at ${cidr}`,
          cidrIpv4: cidr,
          ipProtocol: "tcp",
          fromPort: external.port,
          toPort: external.port,
        }),
    );

    const ami = new DataAwsSsmParameter(this, "ami", {
      name: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${host.architecture}`,
    });
    const instance = new Instance(this, "instance", {
      ami: ami.insecureValue,
      instanceType: host.instanceType,
      subnetId: props.subnetId,
      vpcSecurityGroupIds: [securityGroup.id],
      iamInstanceProfile: profile.name,
      // Reaches the internet at once; the Elastic IP then replaces this address.
      associatePublicIpAddress: true,
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2, instanceMetadataTags: "disabled" },
      rootBlockDevice: {
        volumeType: "gp3",
        volumeSize: host.rootVolumeGb,
        encrypted: true,
        kmsKeyId: props.kmsKeyArn,
        deleteOnTermination: true,
      },
      ebsOptimized: true,
      monitoring: host.detailedMonitoring,
      userData,
      userDataReplaceOnChange: true,
      tags: { Name: `${namePrefix}-host` },
      // A newer AMI must not replace the host on an unrelated apply; roll it with -replace.
      lifecycle: { ignoreChanges: ["ami"] },
      // Docker's log driver and the CloudWatch agent write into these from the first boot, which
      // pulls images through the internet gateway.
      dependsOn: [systemLogs, ...containerLogs.values(), ...props.internetReady],
    });
    suppressPolicyCheck(
      instance,
      "CKV_AWS_88",
      "a single host serves the internet itself; its security group opens only the proxy's ports",
    );
    if (!host.detailedMonitoring)
      suppressPolicyCheck(instance, "CKV_AWS_126", "one-minute metrics are charged; singleHost.detailedMonitoring turns them on");
    this.instanceId = instance.id;
    props.dataVolume?.attachTo(instance.id);

    // Associating an address needs the internet gateway attached.
    const eip = new Eip(this, "eip", {
      domain: "vpc",
      instance: instance.id,
      tags: { Name: `${namePrefix}-host` },
      dependsOn: [...props.internetReady],
    });
    this.publicIp = eip.publicIp;

    props.inventory?.register({
      kind: "host",
      name: `${namePrefix}-host`,
      instanceId: instance.id,
      region: props.region,
      burstable: host.burstable,
      diskPaths: ["/", ...(props.dataVolume ? [DATA_MOUNT] : [])],
      metricNamespace,
      jobs: (props.jobs ?? []).map((job) => job.name),
    });
    for (const svc of props.services)
      props.inventory?.register({ kind: "container", name: svc.name, logGroupName: logGroupName(svc.name) });
  }
}

/** The instance role's rights: its images, logs, health report and metrics, the secrets its services name, the app bucket. */
function hostStatements(
  props: DockerHostProps,
  own: { logGroupArns: string[]; healthParameterArn: string; metricNamespace: string },
): PolicyStatement[] {
  // The definitions' own secret ARNs; the database's statements cover the secrets it creates.
  const named = [...props.services.flatMap((s) => Object.values(s.secrets)), ...Object.values(props.database?.secrets ?? {})].filter(
    (v) => !Token.isUnresolved(v),
  );
  const repositoryArns = [...new Set(props.services.map((s) => props.repositories.get(s.image.repository)!.repositoryArn))];
  const storage = props.services.map((s) => s.storage).filter((s) => s !== undefined);
  return [
    { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "PullOwnImages",
      Effect: "Allow",
      // DescribeImages: prepare pins each image by the digest its tag names.
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:DescribeImages"],
      Resource: repositoryArns,
    },
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: own.logGroupArns.map((arn) => `${arn}:*`),
    },
    { Sid: "ReportHealth", Effect: "Allow", Action: "ssm:PutParameter", Resource: own.healthParameterArn },
    ...(props.releases
      ? [
          {
            Sid: "ReadReleases",
            Effect: "Allow" as const,
            Action: "ssm:GetParametersByPath",
            Resource: `arn:aws:ssm:${props.region}:${props.accountId}:parameter${props.releases.path}`,
          },
        ]
      : []),
    {
      // PutMetricData has no resource-level permissions; the namespace condition scopes it.
      Sid: "PublishHostMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": ["CWAgent", own.metricNamespace] } },
    },
    // render-env reads parameters one at a time with the AWS CLI.
    ...namedSecretStatements(named, "ssm:GetParameter"),
    ...(props.database?.statements ?? []),
    ...(props.storageBucketArn && storage.length
      ? appBucketStatements(props.storageBucketArn, storage.includes("readWrite") ? "readWrite" : "read")
      : []),
  ];
}

/** Memory and disk use (the alarms' metrics) and the host's own logs. */
function cloudWatchAgentConfig(logGroupName: string, extraDisks: readonly string[]): unknown {
  return {
    agent: { metrics_collection_interval: 60, omit_hostname: true },
    metrics: {
      namespace: "CWAgent",
      append_dimensions: { InstanceId: "${aws:InstanceId}" },
      metrics_collected: {
        mem: { measurement: ["mem_used_percent"] },
        disk: { measurement: ["used_percent"], resources: ["/", ...extraDisks], drop_device: true },
      },
    },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            { file_path: "/var/log/cloud-init-output.log", log_group_name: logGroupName, log_stream_name: "{instance_id}/cloud-init" },
            { file_path: "/var/log/app-host/health.log", log_group_name: logGroupName, log_stream_name: "{instance_id}/health" },
            { file_path: "/var/log/app-host/jobs.log", log_group_name: logGroupName, log_stream_name: "{instance_id}/jobs" },
          ],
        },
      },
    },
  };
}
