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
import { Op, TerraformSelf, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_REASON, suppressPolicyCheck } from "../policy-suppressions";
import { targetGroupNames, type ServiceConfig } from "../config/environment";
import { terraformLiteral } from "../terraform-text";
import type { DataStoreAccess } from "./data-store-access";
import { appBucketStatements, namedSecretStatements, policyDocument, serviceTrustPolicy, type PolicyStatement } from "./iam-policy";
import type { MonitoringInventory } from "./monitoring-inventory";
import { type ScalableCapacity, scalableTarget, ServiceAutoscaling } from "./service-autoscaling";
import { RUNNING_HOURS_TAG } from "../config/office-hours";

/** What a web service needs of the load balancer in front of it. */
export interface LoadBalancerAttachment {
  readonly listenerArn: string;
  /** A header the production listener's rule requires (CloudFront's origin header). @default none */
  readonly requiredHeader?: { readonly name: string; readonly value: string };
  readonly testListenerArn?: string;
  readonly securityGroupId: string;
  readonly arnSuffix: string;
}

export interface FargateServiceProps {
  readonly namePrefix: string;
  /** The environment's name, for the commands an error message points to. */
  readonly environment: string;
  readonly region: string;
  /** Account id, for the trust policy's source-account condition. */
  readonly accountId: string;
  readonly service: ServiceConfig;
  /** Of the task and so of its image. @default "x86_64" */
  readonly architecture?: "x86_64" | "arm64";
  /**
   * When office hours run it (`RunningHours` tag): its count is then a scalable target's, which
   * scheduled actions set, and Terraform leaves the count alone. @default always
   */
  readonly runningHours?: string;
  readonly cluster: { readonly arn: string; readonly name: string; readonly ready: ITerraformDependable };
  readonly vpcId: string;
  /** Private subnets: tasks get no public IP. */
  readonly subnetIds: string[];
  /**
   * The image by digest (`<repository url>@sha256:…`), as the project's repository holds it under
   * the definition's `image.tag`, or the repository's release tag for a delivered service.
   */
  readonly image: { readonly uri: string; readonly repositoryArn: string };
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
  /** Where a one-off task of the service (a migration, a job) runs: its cluster, subnets, security group and log group. */
  readonly clusterArn: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
  readonly logGroupName: string;
}

/** A web service's place behind the load balancer. */
interface LoadBalancing {
  readonly targetGroups: readonly LbTargetGroup[];
  /** The listener rules that forward to its target group: ECS refuses the service until one exists. */
  readonly rules: readonly LbListenerRule[];
  readonly port: number;
}

/**
 * One service on Fargate: its log group, least-privilege roles, task definition, security group,
 * ECS service (private subnets, circuit breaker with rollback, an apply that waits for the
 * deployment and fails when it was rolled back) and, by role, its load-balancer target group and
 * listener rule, autoscaling, and CodeDeploy blue/green deployment.
 */
export class FargateService extends Construct {
  readonly serviceName: string;
  /** Present with autoscaling or office hours. */
  readonly capacity?: ScalableCapacity;
  readonly securityGroupId: string;
  readonly deployTarget: DeployTarget;

  constructor(scope: Construct, id: string, props: FargateServiceProps) {
    super(scope, id);
    const { service, namePrefix } = props;
    const name = `${namePrefix}-${service.name}`;
    const web = service.role === "web" ? props.loadBalancer : undefined;
    if (service.role === "web" && !web) throw new Error(`web service ${service.name} needs a load balancer`);

    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/ecs/${namePrefix}/${service.name}`,
      retentionInDays: service.logRetentionDays,
      ...(props.logsKmsKeyArn ? { kmsKeyId: props.logsKmsKeyArn } : {}),
    });
    if (service.logRetentionDays < 365) suppressPolicyCheck(logGroup, "CKV_AWS_338", LOG_RETENTION_REASON);
    const roles = this.addRoles(props, name, logGroup.arn);
    const securityGroup = this.addSecurityGroup(props, name);
    this.securityGroupId = securityGroup.id;
    const taskDefinition = new EcsTaskDefinition(this, "task", {
      family: name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(service.cpu),
      memory: String(service.memory),
      executionRoleArn: roles.execution.arn,
      taskRoleArn: roles.task.arn,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.architecture === "arm64" ? "ARM64" : "X86_64" },
      volume: [{ name: "tmp" }],
      containerDefinitions: JSON.stringify([this.containerDefinition(props, logGroup.name)]),
    });
    const loadBalancing = web && service.port ? this.attachToLoadBalancer(props, web, securityGroup.id, service.port) : undefined;
    const ecsService = this.addService(props, name, taskDefinition, securityGroup.id, loadBalancing);
    this.serviceName = ecsService.name;
    props.inventory?.register({
      kind: "service",
      name: service.name,
      role: service.role,
      clusterName: props.cluster.name,
      serviceName: ecsService.name,
      logGroupName: logGroup.name,
    });
    loadBalancing?.targetGroups.forEach((group, i) =>
      props.inventory?.register({
        kind: "targetGroup",
        label: i === 0 ? service.name : `${service.name} (green)`,
        arnSuffix: group.arnSuffix,
        loadBalancerArnSuffix: web!.arnSuffix,
      }),
    );
    if (service.scaling) this.capacity = this.addAutoscaling(props, ecsService.name, web, loadBalancing);
    else if (props.runningHours)
      this.capacity = scalableTarget(this, "capacity", {
        clusterName: props.cluster.name,
        serviceName: ecsService.name,
        minCapacity: service.desiredCount,
        maxCapacity: service.desiredCount,
        scheduled: true,
      });

    const codeDeploy =
      service.deployment === "blueGreen" && web && loadBalancing
        ? this.addBlueGreen(name, props, web, loadBalancing.targetGroups, ecsService)
        : undefined;
    this.deployTarget = {
      clusterName: props.cluster.name,
      serviceName: ecsService.name,
      serviceArn: ecsService.id,
      container: service.name,
      ...(service.port ? { port: service.port } : {}),
      family: name,
      roleArns: [roles.execution.arn, roles.task.arn],
      ...(codeDeploy ? { codeDeploy } : {}),
      clusterArn: props.cluster.arn,
      subnetIds: props.subnetIds,
      securityGroupId: securityGroup.id,
      logGroupName: logGroup.name,
    };
  }

  /** The execution role (pull, log, read secrets) and the task role (what the service declares). */
  private addRoles(props: FargateServiceProps, name: string, logGroupArn: string): { execution: IamRole; task: IamRole } {
    const trust = serviceTrustPolicy("ecs-tasks.amazonaws.com", props.accountId);
    const execution = new IamRole(this, "execution-role", { name: `${name}-execution`, assumeRolePolicy: trust });
    new IamRolePolicy(this, "execution-policy", {
      role: execution.id,
      name: "pull-log-read-secrets",
      policy: policyDocument(this.executionStatements(props, logGroupArn)),
    });
    const task = new IamRole(this, "task-role", { name: `${name}-task`, assumeRolePolicy: trust });
    const taskStatements = this.taskStatements(props);
    if (taskStatements.length > 0)
      new IamRolePolicy(this, "task-policy", { role: task.id, name: "declared-access", policy: policyDocument(taskStatements) });
    return { execution, task };
  }

  /** Egress to AWS APIs over TLS and to the data stores the service declares; ingress comes from the load balancer. */
  private addSecurityGroup(props: FargateServiceProps, name: string): SecurityGroup {
    const securityGroup = new SecurityGroup(this, "sg", {
      name,
      // Nothing that can change in place: a new description replaces the group, which running tasks hold.
      description: `tasks of service ${props.service.name}`,
      vpcId: props.vpcId,
      tags: { Name: name },
    });
    // Tasks reach AWS APIs (ECR, Logs, Secrets Manager) and the internet through NAT, over TLS only.
    new VpcSecurityGroupEgressRule(this, "egress-https", {
      securityGroupId: securityGroup.id,
      description: "HTTPS to AWS APIs and the internet",
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
    });
    for (const store of props.dataStores ?? []) {
      new VpcSecurityGroupEgressRule(this, `egress-${store.description.toLowerCase()}`, {
        securityGroupId: securityGroup.id,
        description: `${store.description} in the isolated subnets`,
        referencedSecurityGroupId: store.securityGroupId,
        ipProtocol: "tcp",
        fromPort: store.port,
        toPort: store.port,
      });
    }
    return securityGroup;
  }

  /** The one container of the task: image, command, variables, secrets, health check and logs. */
  private containerDefinition(props: FargateServiceProps, logGroupName: string): Record<string, unknown> {
    const { service } = props;
    const dataStores = props.dataStores ?? [];
    // The definition's own values are text: Terraform must not read `${` in them as a reference.
    const ownEnvironment = Object.fromEntries(Object.entries(service.environment).map(([n, value]) => [n, terraformLiteral(value)]));
    const environment = Object.assign(ownEnvironment, ...dataStores.map((store) => store.environment)) as Record<string, string>;
    const secrets = Object.assign({}, service.secrets, ...dataStores.map((store) => store.secrets)) as Record<string, string>;
    const health = service.containerHealthCheck;
    return {
      name: service.name,
      image: props.image.uri,
      essential: true,
      ...(service.command ? { command: service.command.map(terraformLiteral) } : {}),
      ...(service.port ? { portMappings: [{ containerPort: service.port, protocol: "tcp" }] } : {}),
      environment: Object.entries(environment).map(([n, value]) => ({ name: n, value })),
      secrets: Object.entries(secrets).map(([n, valueFrom]) => ({ name: n, valueFrom })),
      readonlyRootFilesystem: service.readonlyRootFilesystem,
      // A writable /tmp keeps read-only root filesystems usable by ordinary runtimes.
      mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
      // ECS Exec's agent runs beside the app; an init process reaps what it leaves behind.
      ...(service.exec ? { linuxParameters: { initProcessEnabled: true } } : {}),
      ...(health
        ? {
            healthCheck: {
              command: ["CMD", ...health.command.map(terraformLiteral)],
              interval: health.intervalSeconds,
              timeout: health.timeoutSeconds,
              retries: health.retries,
              startPeriod: health.startPeriodSeconds,
            },
          }
        : {}),
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": logGroupName, "awslogs-region": props.region, "awslogs-stream-prefix": service.name },
      },
    };
  }

  /** Ingress from the load balancer, the target group(s), and the listener rule(s) that route to the service. */
  private attachToLoadBalancer(
    props: FargateServiceProps,
    web: LoadBalancerAttachment,
    securityGroupId: string,
    port: number,
  ): LoadBalancing {
    const { service } = props;
    const fromAlb = new VpcSecurityGroupIngressRule(this, "ingress-alb", {
      securityGroupId,
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
    const targetGroups = targetGroupNames(props.namePrefix, service).map(
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
    const blueGreen = service.deployment === "blueGreen";
    const header = web.requiredHeader;
    // The test listener is reached from inside the VPC, not through CloudFront: no header there.
    const rule = (ruleId: string, listenerArn: string, withHeader: boolean) =>
      new LbListenerRule(this, ruleId, {
        listenerArn,
        priority: routing.priority,
        condition: [
          ...conditions,
          ...(withHeader && header ? [{ httpHeader: { httpHeaderName: header.name, values: [header.value] } }] : []),
        ],
        action: [{ type: "forward", targetGroupArn: targetGroups[0].arn }],
        // CodeDeploy moves these rules between blue and green; Terraform must not move them back.
        ...(blueGreen ? { lifecycle: { ignoreChanges: ["action"] } } : {}),
      });
    const rules = [
      rule("rule", web.listenerArn, true),
      ...(blueGreen && web.testListenerArn ? [rule("test-rule", web.testListenerArn, false)] : []),
    ];
    return { targetGroups, rules, port };
  }

  /**
   * The ECS service. A rolling service's apply waits for steady state and then must find the
   * service on the task definition it registered: the circuit breaker rolls a failed deployment
   * back to the previous one, which the provider would otherwise report as success.
   */
  private addService(
    props: FargateServiceProps,
    name: string,
    taskDefinition: EcsTaskDefinition,
    securityGroupId: string,
    loadBalancing: LoadBalancing | undefined,
  ): EcsService {
    const { service } = props;
    const blueGreen = service.deployment === "blueGreen";
    const ignoreChanges = [
      ...(service.scaling || props.runningHours ? ["desired_count"] : []),
      ...(blueGreen ? ["task_definition", "load_balancer"] : []),
    ];
    const rolledBack =
      `ECS service ${name} did not end on the task definition this apply registered: its deployment failed and the ` +
      `circuit breaker rolled it back. The stopped tasks' reasons and the service's last log lines: npm run status -- ${props.environment}`;
    return new EcsService(this, "service", {
      name,
      cluster: props.cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: service.desiredCount,
      ...(service.spotPercent > 0
        ? {
            capacityProviderStrategy: [
              { capacityProvider: "FARGATE", weight: 100 - service.spotPercent, base: service.onDemandBase ?? 1 },
              { capacityProvider: "FARGATE_SPOT", weight: service.spotPercent },
            ],
            // The provider replaces a service whose strategy changes unless it may start a new
            // deployment instead; a changed spotPercent then rolls, with no downtime.
            forceNewDeployment: true,
          }
        : { launchType: "FARGATE" }),
      platformVersion: "LATEST",
      networkConfiguration: { subnets: props.subnetIds, securityGroups: [securityGroupId], assignPublicIp: false },
      enableExecuteCommand: service.exec,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      ...(props.runningHours ? { tags: { [RUNNING_HOURS_TAG]: props.runningHours } } : {}),
      ...(blueGreen
        ? { deploymentController: { type: "CODE_DEPLOY" } }
        : {
            deploymentCircuitBreaker: { enable: true, rollback: true },
            // A scheduler must never run twice: stop the old task before starting the new one.
            deploymentMinimumHealthyPercent: service.role === "scheduler" ? 0 : 100,
            deploymentMaximumPercent: service.role === "scheduler" ? 100 : 200,
            waitForSteadyState: true,
          }),
      ...(loadBalancing
        ? {
            loadBalancer: [
              { targetGroupArn: loadBalancing.targetGroups[0].arn, containerName: service.name, containerPort: loadBalancing.port },
            ],
            healthCheckGracePeriodSeconds: 60,
          }
        : {}),
      lifecycle: {
        ...(ignoreChanges.length ? { ignoreChanges } : {}),
        ...(blueGreen
          ? {}
          : {
              postcondition: [
                { condition: Op.eq(TerraformSelf.getString("task_definition"), taskDefinition.arn), errorMessage: rolledBack },
              ],
            }),
      },
      // ECS refuses a service whose target group no listener rule forwards to yet.
      dependsOn: [props.cluster.ready, ...(loadBalancing?.rules ?? [])],
    });
  }

  private addAutoscaling(
    props: FargateServiceProps,
    serviceName: string,
    web: LoadBalancerAttachment | undefined,
    loadBalancing: LoadBalancing | undefined,
  ): ScalableCapacity {
    const scaling = props.service.scaling!;
    return new ServiceAutoscaling(this, "autoscaling", {
      clusterName: props.cluster.name,
      serviceName,
      minCapacity: scaling.min,
      maxCapacity: scaling.max,
      cpuTarget: scaling.cpuTarget,
      memoryTarget: scaling.memoryTarget,
      scaleInCooldownSeconds: scaling.scaleInCooldownSeconds,
      scaleOutCooldownSeconds: scaling.scaleOutCooldownSeconds,
      ...(web && loadBalancing && scaling.requestsPerTarget
        ? {
            requestsPerTarget: {
              target: scaling.requestsPerTarget,
              resourceLabel: `${web.arnSuffix}/${loadBalancing.targetGroups[0].arnSuffix}`,
            },
          }
        : {}),
      scheduled: props.runningHours !== undefined,
    }).capacity;
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
    targetGroups: readonly LbTargetGroup[],
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
