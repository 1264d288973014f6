import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CodedeployApp } from "@cdktf/provider-aws/lib/codedeploy-app";
import { CodedeployDeploymentGroup } from "@cdktf/provider-aws/lib/codedeploy-deployment-group";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_REASON, suppressPolicyCheck } from "../policy-suppressions";
import { targetGroupNames, type ServiceConfig } from "../config/environment";
import { terraformLiteral } from "../terraform-text";
import type { DataStoreAccess } from "./data-store-access";
import { appBucketStatements, namedSecretStatements, policyDocument, serviceTrustPolicy, type PolicyStatement } from "./iam-policy";
import type { MonitoringInventory } from "./monitoring-inventory";
import { ServiceAutoscaling } from "./service-autoscaling";

/** What a web service needs of the load balancer in front of it. */
export interface LoadBalancerAttachment {
  readonly listenerArn: string;
  readonly testListenerArn?: string;
  readonly securityGroupId: string;
  readonly arnSuffix: string;
}

export interface FargateServiceProps {
  readonly namePrefix: string;
  readonly region: string;
  /** Account id, for the trust policy's source-account condition. */
  readonly accountId: string;
  readonly service: ServiceConfig;
  readonly cluster: { readonly arn: string; readonly name: string; readonly ready: ITerraformDependable };
  readonly vpcId: string;
  /** Private subnets: tasks get no public IP. */
  readonly subnetIds: string[];
  /** `tag` defaults to the definition's `image.tag`; a delivered service takes its repository's release tag. */
  readonly image: { readonly repositoryUrl: string; readonly repositoryArn: string; readonly tag?: string };
  /** Required for web services. */
  readonly loadBalancer?: LoadBalancerAttachment;
  /**
   * The application bucket, when the service declares storage access.
   * @default no bucket access
   */
  readonly storageBucketArn?: string;
  /**
   * Data stores the service uses: egress to each, their settings and secrets in the container,
   * and the rights to read them.
   * @default none
   */
  readonly dataStores?: readonly DataStoreAccess[];
  /**
   * Encrypts its log groups.
   * @default CloudWatch Logs' own encryption
   */
  readonly logsKmsKeyArn?: string;
  /**
   * Where to register the service, its log group and its target groups for alarms and the dashboard.
   * @default not watched
   */
  readonly inventory?: MonitoringInventory;
  /**
   * Seconds the ALB waits before deregistering a target.
   * @default 30
   */
  readonly deregistrationDelaySeconds?: number;
}

const ECS_EXEC_ACTIONS = [
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
];

/** What a pipeline needs to deploy a service. */
export interface DeployTarget {
  readonly clusterName: string;
  readonly serviceName: string;
  readonly serviceArn: string;
  readonly container: string;
  readonly port?: number;
  /** Task definition family. */
  readonly family: string;
  /** The roles its task definitions name, which a deployer must be allowed to pass to ECS. */
  readonly roleArns: readonly string[];
  /** Blue/green services: the CodeDeploy application and deployment group that shift their traffic. */
  readonly codeDeploy?: { readonly applicationName: string; readonly deploymentGroupName: string };
}

/**
 * One service on Fargate: its log group, least-privilege roles, task definition, security group,
 * ECS service (private subnets, circuit breaker with rollback) and, by role, its load-balancer
 * target group and listener rule, autoscaling, and CodeDeploy blue/green deployment.
 */
export class FargateService extends Construct {
  readonly serviceName: string;
  readonly securityGroupId: string;
  readonly deployTarget: DeployTarget;

  constructor(scope: Construct, id: string, props: FargateServiceProps) {
    super(scope, id);
    const { service, namePrefix } = props;
    const name = `${namePrefix}-${service.name}`;
    const web = service.role === "web" ? props.loadBalancer : undefined;
    if (service.role === "web" && !web) throw new Error(`web service ${service.name} needs a load balancer`);
    const blueGreen = service.deployment === "blueGreen";

    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/ecs/${namePrefix}/${service.name}`,
      retentionInDays: service.logRetentionDays,
      ...(props.logsKmsKeyArn ? { kmsKeyId: props.logsKmsKeyArn } : {}),
    });
    if (service.logRetentionDays < 365) suppressPolicyCheck(logGroup, "CKV_AWS_338", LOG_RETENTION_REASON);

    const trust = serviceTrustPolicy("ecs-tasks.amazonaws.com", props.accountId);
    const executionRole = new IamRole(this, "execution-role", { name: `${name}-execution`, assumeRolePolicy: trust });
    new IamRolePolicy(this, "execution-policy", {
      role: executionRole.id,
      name: "pull-log-read-secrets",
      policy: policyDocument(this.executionStatements(props, logGroup.arn)),
    });
    const taskRole = new IamRole(this, "task-role", { name: `${name}-task`, assumeRolePolicy: trust });
    const taskStatements = this.taskStatements(props);
    if (taskStatements.length > 0)
      new IamRolePolicy(this, "task-policy", { role: taskRole.id, name: "declared-access", policy: policyDocument(taskStatements) });

    const securityGroup = new SecurityGroup(this, "sg", {
      name,
      description: `${service.role} service ${service.name}`,
      vpcId: props.vpcId,
      tags: { Name: name },
    });
    this.securityGroupId = securityGroup.id;
    // Tasks reach AWS APIs (ECR, Logs, Secrets Manager) and the internet through NAT, over TLS only.
    new VpcSecurityGroupEgressRule(this, "egress-https", {
      securityGroupId: securityGroup.id,
      description: "HTTPS to AWS APIs and the internet",
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
    });
    const dataStores = props.dataStores ?? [];
    for (const store of dataStores) {
      new VpcSecurityGroupEgressRule(this, `egress-${store.description.toLowerCase()}`, {
        securityGroupId: securityGroup.id,
        description: `${store.description} in the isolated subnets`,
        referencedSecurityGroupId: store.securityGroupId,
        ipProtocol: "tcp",
        fromPort: store.port,
        toPort: store.port,
      });
    }
    // The definition's own values are text: Terraform must not read `${` in them as a reference.
    const ownEnvironment = Object.fromEntries(Object.entries(service.environment).map(([n, value]) => [n, terraformLiteral(value)]));
    const environment = Object.assign(ownEnvironment, ...dataStores.map((store) => store.environment)) as Record<string, string>;
    const secrets = Object.assign({}, service.secrets, ...dataStores.map((store) => store.secrets)) as Record<string, string>;

    const port = service.port;
    const container = {
      name: service.name,
      image: `${props.image.repositoryUrl}:${props.image.tag ?? service.image.tag}`,
      essential: true,
      ...(service.command ? { command: service.command.map(terraformLiteral) } : {}),
      ...(port ? { portMappings: [{ containerPort: port, protocol: "tcp" }] } : {}),
      environment: Object.entries(environment).map(([n, value]) => ({ name: n, value })),
      secrets: Object.entries(secrets).map(([n, valueFrom]) => ({ name: n, valueFrom })),
      readonlyRootFilesystem: service.readonlyRootFilesystem,
      // A writable /tmp keeps read-only root filesystems usable by ordinary runtimes.
      mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
      ...(service.exec ? { linuxParameters: { initProcessEnabled: true } } : {}),
      ...(service.containerHealthCheck
        ? {
            healthCheck: {
              command: ["CMD", ...service.containerHealthCheck.command.map(terraformLiteral)],
              interval: service.containerHealthCheck.intervalSeconds,
              timeout: service.containerHealthCheck.timeoutSeconds,
              retries: service.containerHealthCheck.retries,
              startPeriod: service.containerHealthCheck.startPeriodSeconds,
            },
          }
        : {}),
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": logGroup.name, "awslogs-region": props.region, "awslogs-stream-prefix": service.name },
      },
    };
    const taskDefinition = new EcsTaskDefinition(this, "task", {
      family: name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(service.cpu),
      memory: String(service.memory),
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      volume: [{ name: "tmp" }],
      containerDefinitions: JSON.stringify([container]),
    });

    let targetGroups: LbTargetGroup[] = [];
    if (web && port) {
      const fromAlb = new VpcSecurityGroupIngressRule(this, "ingress-alb", {
        securityGroupId: securityGroup.id,
        description: `port ${port} from the load balancer`,
        referencedSecurityGroupId: web.securityGroupId,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
      });
      if (port === 80)
        suppressPolicyCheck(
          fromAlb,
          "CKV_AWS_260",
          "only the load balancer's security group may reach the container's port 80; checkov reads every port-80 ingress as world-open",
        );
      targetGroups = targetGroupNames(namePrefix, service).map(
        (tgName, i) =>
          new LbTargetGroup(this, i === 0 ? "target-group" : "target-group-green", {
            name: tgName,
            port,
            protocol: "HTTP",
            targetType: "ip",
            vpcId: props.vpcId,
            deregistrationDelay: String(props.deregistrationDelaySeconds ?? 30),
            stickiness: { type: "lb_cookie", enabled: false },
            healthCheck: {
              path: service.healthCheckPath,
              matcher: "200-399",
              interval: 15,
              healthyThreshold: 2,
              unhealthyThreshold: 3,
              timeout: 5,
            },
          }),
      );
      for (const group of targetGroups)
        suppressPolicyCheck(
          group,
          "CKV_AWS_378",
          "TLS ends at the load balancer; targets are reached inside the VPC, from its security group only",
        );
      const routing = service.routing!;
      const conditions = [
        ...(routing.paths.length ? [{ pathPattern: { values: routing.paths } }] : []),
        ...(routing.hosts.length ? [{ hostHeader: { values: routing.hosts } }] : []),
      ];
      const rule = (ruleId: string, listenerArn: string, priority: number) =>
        new LbListenerRule(this, ruleId, {
          listenerArn,
          priority,
          condition: conditions,
          action: [{ type: "forward", targetGroupArn: targetGroups[0].arn }],
          // CodeDeploy moves these rules between blue and green; Terraform must not move them back.
          ...(blueGreen ? { lifecycle: { ignoreChanges: ["action"] } } : {}),
        });
      rule("rule", web.listenerArn, routing.priority);
      if (blueGreen && web.testListenerArn) rule("test-rule", web.testListenerArn, routing.priority);
    }

    const autoscaled = service.scaling !== undefined;
    const ignoreChanges = [...(autoscaled ? ["desired_count"] : []), ...(blueGreen ? ["task_definition", "load_balancer"] : [])];
    const ecsService = new EcsService(this, "service", {
      name,
      cluster: props.cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: service.desiredCount,
      ...(service.spotPercent > 0
        ? {
            capacityProviderStrategy: [
              { capacityProvider: "FARGATE", weight: 100 - service.spotPercent, base: 1 },
              { capacityProvider: "FARGATE_SPOT", weight: service.spotPercent },
            ],
          }
        : { launchType: "FARGATE" }),
      platformVersion: "LATEST",
      networkConfiguration: { subnets: props.subnetIds, securityGroups: [securityGroup.id], assignPublicIp: false },
      enableExecuteCommand: service.exec,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      ...(blueGreen
        ? { deploymentController: { type: "CODE_DEPLOY" } }
        : {
            deploymentCircuitBreaker: { enable: true, rollback: true },
            // A scheduler must never run twice: stop the old task before starting the new one.
            deploymentMinimumHealthyPercent: service.role === "scheduler" ? 0 : 100,
            deploymentMaximumPercent: service.role === "scheduler" ? 100 : 200,
          }),
      ...(targetGroups.length
        ? {
            loadBalancer: [{ targetGroupArn: targetGroups[0].arn, containerName: service.name, containerPort: port! }],
            healthCheckGracePeriodSeconds: 60,
          }
        : {}),
      ...(ignoreChanges.length ? { lifecycle: { ignoreChanges } } : {}),
      dependsOn: [props.cluster.ready],
    });
    this.serviceName = ecsService.name;
    props.inventory?.register({
      kind: "service",
      name: service.name,
      role: service.role,
      clusterName: props.cluster.name,
      serviceName: ecsService.name,
      logGroupName: logGroup.name,
    });
    targetGroups.forEach((group, i) =>
      props.inventory?.register({
        kind: "targetGroup",
        label: i === 0 ? service.name : `${service.name} (green)`,
        arnSuffix: group.arnSuffix,
        loadBalancerArnSuffix: web!.arnSuffix,
      }),
    );

    if (service.scaling) {
      new ServiceAutoscaling(this, "autoscaling", {
        clusterName: props.cluster.name,
        serviceName: ecsService.name,
        minCapacity: service.scaling.min,
        maxCapacity: service.scaling.max,
        cpuTarget: service.scaling.cpuTarget,
        memoryTarget: service.scaling.memoryTarget,
        scaleInCooldownSeconds: service.scaling.scaleInCooldownSeconds,
        scaleOutCooldownSeconds: service.scaling.scaleOutCooldownSeconds,
        ...(web && service.scaling.requestsPerTarget
          ? {
              requestsPerTarget: {
                target: service.scaling.requestsPerTarget,
                resourceLabel: `${web.arnSuffix}/${targetGroups[0].arnSuffix}`,
              },
            }
          : {}),
      });
    }

    const codeDeploy = blueGreen && web ? this.addBlueGreen(name, props, web, targetGroups, ecsService) : undefined;
    this.deployTarget = {
      clusterName: props.cluster.name,
      serviceName: ecsService.name,
      serviceArn: ecsService.id,
      container: service.name,
      ...(port ? { port } : {}),
      family: name,
      roleArns: [executionRole.arn, taskRole.arn],
      ...(codeDeploy ? { codeDeploy } : {}),
    };
  }

  private executionStatements(props: FargateServiceProps, logGroupArn: string): PolicyStatement[] {
    return [
      {
        Sid: "PullOwnImage",
        Effect: "Allow",
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        Resource: props.image.repositoryArn,
      },
      // ECR issues registry tokens account-wide: this action has no resource-level permissions.
      { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn}:*` },
      ...namedSecretStatements(Object.values(props.service.secrets), "ssm:GetParameters"),
      ...(props.dataStores ?? []).flatMap((store) => store.executionStatements),
    ];
  }

  private taskStatements(props: FargateServiceProps): PolicyStatement[] {
    const statements: PolicyStatement[] = [];
    if (props.service.storage && props.storageBucketArn)
      statements.push(...appBucketStatements(props.storageBucketArn, props.service.storage));
    statements.push(...(props.dataStores ?? []).flatMap((store) => store.taskStatements));
    // ECS Exec's session channels have no resource-level permissions.
    if (props.service.exec) statements.push({ Sid: "EcsExec", Effect: "Allow", Action: ECS_EXEC_ACTIONS, Resource: "*" });
    return statements;
  }

  private addBlueGreen(
    name: string,
    props: FargateServiceProps,
    web: LoadBalancerAttachment,
    targetGroups: LbTargetGroup[],
    service: EcsService,
  ): DeployTarget["codeDeploy"] {
    const role = new IamRole(this, "codedeploy-role", {
      name: `${name}-codedeploy`,
      assumeRolePolicy: serviceTrustPolicy("codedeploy.amazonaws.com", props.accountId),
    });
    new IamRolePolicyAttachment(this, "codedeploy-ecs", { role: role.name, policyArn: "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS" });
    const app = new CodedeployApp(this, "codedeploy-app", { name, computePlatform: "ECS" });
    const group = new CodedeployDeploymentGroup(this, "deployment-group", {
      appName: app.name,
      deploymentGroupName: name,
      serviceRoleArn: role.arn,
      deploymentConfigName: "CodeDeployDefault.ECSAllAtOnce",
      deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" },
      blueGreenDeploymentConfig: {
        deploymentReadyOption: { actionOnTimeout: "CONTINUE_DEPLOYMENT" },
        terminateBlueInstancesOnDeploymentSuccess: { action: "TERMINATE", terminationWaitTimeInMinutes: 5 },
      },
      autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
      ecsService: { clusterName: props.cluster.name, serviceName: service.name },
      loadBalancerInfo: {
        targetGroupPairInfo: {
          prodTrafficRoute: { listenerArns: [web.listenerArn] },
          ...(web.testListenerArn ? { testTrafficRoute: { listenerArns: [web.testListenerArn] } } : {}),
          targetGroup: targetGroups.map((tg) => ({ name: tg.name })),
        },
      },
    });
    return { applicationName: app.name, deploymentGroupName: group.deploymentGroupName };
  }
}
