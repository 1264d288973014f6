import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { CodedeployDeploymentGroup } from "@cdktf/provider-aws/lib/codedeploy-deployment-group";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { MAX_CONTAINER_SETTINGS, MAX_SECRET_ARN_CHARACTERS } from "../src/config/schema";
import {
  api,
  appliedText,
  byPath,
  byDataPath,
  committedEnvironment,
  committedStack,
  containerOf,
  dataOf,
  dataRef,
  inlinePolicyCharacters,
  MAX_ROLE_POLICY_CHARACTERS,
  PARAMETER_ARN,
  ref,
  resourcesOf,
  SECRET_ARN,
  statementsOf,
  synthEnvironment,
  synthInput,
  withServices,
} from "./helpers";

describe("the services of dev", () => {
  const { json, parsed } = committedStack("dev");

  it("runs api, frontend, worker and scheduler on one Container Insights cluster", () => {
    expect(json).toHaveResourceWithProperties(EcsCluster, { setting: [{ name: "containerInsights", value: "enabled" }] });
    expect(
      resourcesOf(parsed, "aws_ecs_service")
        .map((s) => s.name)
        .sort(),
    ).toEqual(["webapp-dev-api", "webapp-dev-frontend", "webapp-dev-scheduler", "webapp-dev-worker"]);
  });

  it("runs every task in private subnets without a public IP, with a circuit breaker that rolls back", () => {
    const privateRefs = Object.entries(parsed.resource.aws_subnet)
      .filter(([, s]) => (s.tags as Record<string, string>).Tier === "private")
      .map(([name]) => `\${aws_subnet.${name}.id}`);
    for (const service of resourcesOf(parsed, "aws_ecs_service")) {
      const network = service.network_configuration as { subnets: string[]; assign_public_ip: boolean };
      expect(network.assign_public_ip).toBe(false);
      expect([...network.subnets].sort()).toEqual([...privateRefs].sort());
      expect(service.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
    }
  });

  it("pulls each image from the project's ECR repository at the released tag, which starts as the configured tag", () => {
    // dev is delivered by its pipeline: the tag is the repository's release parameter.
    const released = ref(parsed, "aws_ssm_parameter", "release-api/parameter", "insecure_value");
    // By digest: the image the repository holds under the released tag, whatever the tag later names.
    const pinned = dataRef(parsed, "aws_ecr_image", "image-api/image-0", "image_uri");
    expect(containerOf(parsed, "api").image).toBe(pinned);
    expect(containerOf(parsed, "worker").image).toBe(pinned);
    expect(byDataPath(parsed, "aws_ecr_image", "image-api/image-0")).toMatchObject({
      repository_name: dataRef(parsed, "aws_ecr_repository", "image-api/repository", "name"),
      image_tag: released,
    });
    expect(byPath(parsed, "aws_ssm_parameter", "release-api/parameter")).toMatchObject({
      name: "/webapp-dev/release/api",
      insecure_value: "1.0.0",
      lifecycle: { ignore_changes: ["insecure_value"] },
    });
  });

  it("owns no repository: it looks up the project's and checks, at plan time, that each tag it deploys was pushed", () => {
    expect(resourcesOf(parsed, "aws_ecr_repository")).toHaveLength(0);
    expect(
      dataOf(parsed, "aws_ecr_repository")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["webapp/api", "webapp/frontend"]);
    const released = (repo: string) => ref(parsed, "aws_ssm_parameter", `release-${repo}/parameter`, "insecure_value");
    expect(dataOf(parsed, "aws_ecr_image")).toEqual([
      { repository_name: dataRef(parsed, "aws_ecr_repository", "image-api/repository", "name"), image_tag: released("api") },
      { repository_name: dataRef(parsed, "aws_ecr_repository", "image-frontend/repository", "name"), image_tag: released("frontend") },
    ]);
  });

  it("logs each service to its own log group with retention, and keeps the root filesystem read-only but where ECS Exec writes", () => {
    for (const service of ["api", "frontend", "worker", "scheduler"]) {
      const container = containerOf(parsed, service);
      expect(container.logConfiguration.options["awslogs-group"]).toBe(
        ref(parsed, "aws_cloudwatch_log_group", `service-${service}/logs`, "name"),
      );
      // dev's api has ECS Exec, whose SSM agent needs a writable root.
      expect(container.readonlyRootFilesystem).toBe(service !== "api");
      expect(byPath(parsed, "aws_cloudwatch_log_group", `service-${service}/logs`)).toMatchObject({
        name: `/ecs/webapp-dev/${service}`,
        retention_in_days: 30,
      });
    }
  });

  it("fronts web services with an ip target group, health check and path rule; stickiness off", () => {
    expect(json).toHaveResourceWithProperties(LbTargetGroup, {
      name: "webapp-dev-api",
      target_type: "ip",
      port: 8000,
      deregistration_delay: "30",
      stickiness: { type: "lb_cookie", enabled: false },
      health_check: expect.objectContaining({ path: "/api/health" }),
    });
    const rule = byPath(parsed, "aws_lb_listener_rule", "service-api/rule");
    expect(rule.condition).toEqual([{ path_pattern: { values: ["/api/*"] } }]);
    expect(rule.priority).toBe(10);
    expect(byPath(parsed, "aws_ecs_service", "service-api/service").load_balancer).toEqual([
      {
        target_group_arn: ref(parsed, "aws_lb_target_group", "service-api/target-group", "arn"),
        container_name: "api",
        container_port: 8000,
      },
    ]);
  });

  it("health-checks the worker inside its container, and web services through the ALB", () => {
    expect(containerOf(parsed, "worker").healthCheck).toEqual({
      command: ["CMD", "celery", "-A", "app", "inspect", "ping"],
      interval: 60,
      timeout: 20,
      retries: 3,
      startPeriod: 60,
    });
    expect(containerOf(parsed, "api").healthCheck).toBeUndefined();
  });

  it("waits for each rolling deployment and fails the apply when the circuit breaker rolled it back", () => {
    for (const service of ["api", "frontend", "worker", "scheduler"]) {
      const ecsService = byPath(parsed, "aws_ecs_service", `service-${service}/service`);
      expect(ecsService).toMatchObject({ wait_for_steady_state: true, deployment_circuit_breaker: { enable: true, rollback: true } });
      const task = ref(parsed, "aws_ecs_task_definition", `service-${service}/task`, "arn").slice(2, -1);
      expect((ecsService.lifecycle as { postcondition: unknown[] }).postcondition).toEqual([
        {
          condition: `\${(self.task_definition == ${task})}`,
          error_message: expect.stringMatching(
            new RegExp(
              `^ECS service webapp-dev-${service} did not end on the task definition this apply registered: .*npm run status -- dev$`,
            ),
          ),
        },
      ]);
    }
  });

  it("creates a web service only after the listener rule that routes to its target group", () => {
    for (const service of ["api", "frontend"]) {
      const rule = ref(parsed, "aws_lb_listener_rule", `service-${service}/rule`).replace(/^\$\{|\.id\}$/g, "");
      expect(byPath(parsed, "aws_ecs_service", `service-${service}/service`).depends_on).toContain(rule);
    }
  });

  it("gives workers and schedulers no load balancer", () => {
    for (const service of ["worker", "scheduler"])
      expect(byPath(parsed, "aws_ecs_service", `service-${service}/service`).load_balancer).toBeUndefined();
  });

  it("runs exactly one scheduler task, never two at once, without autoscaling", () => {
    const scheduler = byPath(parsed, "aws_ecs_service", "service-scheduler/service");
    expect(scheduler).toMatchObject({ desired_count: 1, deployment_minimum_healthy_percent: 0, deployment_maximum_percent: 100 });
    // Office hours give it a scalable target, held at one task while it runs.
    const targets = resourcesOf(parsed, "aws_appautoscaling_target").filter((t) => String(t.resource_id).includes("scheduler"));
    expect(targets.map((t) => [t.min_capacity, t.max_capacity])).toEqual([[1, 1]]);
    expect(resourcesOf(parsed, "aws_appautoscaling_policy").some((p) => String(p.resource_id).includes("scheduler"))).toBe(false);
  });

  it("serves plain HTTP on an internet-facing ALB that drops invalid headers (no domain in dev)", () => {
    expect(json).toHaveResourceWithProperties(Lb, {
      internal: false,
      load_balancer_type: "application",
      drop_invalid_header_fields: true,
      enable_deletion_protection: false,
      idle_timeout: 60,
    });
    expect(resourcesOf(parsed, "aws_lb_listener").map((l) => [l.port, l.protocol])).toEqual([[80, "HTTP"]]);
    expect(json).not.toHaveResource(AcmCertificate);
  });

  it("turns ECS Exec on only for the services that ask for it, with an init process to reap its agent's children", () => {
    const exec = Object.fromEntries(
      ["api", "frontend", "worker", "scheduler"].map((s) => [
        s,
        byPath(parsed, "aws_ecs_service", `service-${s}/service`).enable_execute_command,
      ]),
    );
    expect(exec).toEqual({ api: true, frontend: false, worker: false, scheduler: false });
    expect(containerOf(parsed, "api").linuxParameters).toEqual({ initProcessEnabled: true });
    expect(containerOf(parsed, "frontend").linuxParameters).toBeUndefined();
  });
});

describe("the security-group graph", () => {
  const { parsed } = committedStack("dev");
  const ingress = resourcesOf(parsed, "aws_vpc_security_group_ingress_rule");
  const egress = resourcesOf(parsed, "aws_vpc_security_group_egress_rule");
  const albSg = ref(parsed, "aws_security_group", "alb/sg");
  const sg = (service: string) => ref(parsed, "aws_security_group", `service-${service}/sg`);

  it("opens only the ALB to the world, on 80", () => {
    const fromWorld = ingress.filter((r) => r.cidr_ipv4 === "0.0.0.0/0");
    expect(fromWorld.map((r) => [r.security_group_id, r.from_port, r.to_port])).toEqual([[albSg, 80, 80]]);
  });

  it("lets the ALB reach each web service on its port only", () => {
    expect(ingress.filter((r) => r.security_group_id === sg("api"))).toEqual([
      expect.objectContaining({ referenced_security_group_id: albSg, from_port: 8000, to_port: 8000 }),
    ]);
    expect(ingress.filter((r) => r.security_group_id === sg("frontend"))).toEqual([
      expect.objectContaining({ referenced_security_group_id: albSg, from_port: 3000, to_port: 3000 }),
    ]);
    expect(egress.filter((r) => r.security_group_id === albSg).map((r) => [r.referenced_security_group_id, r.from_port])).toEqual([
      [sg("api"), 8000],
      [sg("frontend"), 3000],
    ]);
  });

  it("lets nothing in to workers and schedulers, and services out on 443 and to the data stores they declare only", () => {
    expect(ingress.filter((r) => r.security_group_id === sg("worker") || r.security_group_id === sg("scheduler"))).toEqual([]);
    const databaseSg = ref(parsed, "aws_security_group", "database/sg");
    const cacheSg = ref(parsed, "aws_security_group", "cache/sg");
    const expected: Record<string, unknown[][]> = {
      api: [
        [undefined, databaseSg, 5432],
        [undefined, cacheSg, 6379],
      ],
      frontend: [],
      worker: [
        [undefined, databaseSg, 5432],
        [undefined, cacheSg, 6379],
      ],
      scheduler: [[undefined, cacheSg, 6379]],
    };
    for (const [service, stores] of Object.entries(expected)) {
      expect(
        egress
          .filter((r) => r.security_group_id === sg(service))
          .map((r) => [r.cidr_ipv4, r.referenced_security_group_id, r.from_port, r.to_port]),
      ).toEqual([["0.0.0.0/0", undefined, 443, 443], ...stores.map((s) => [...s, s[2]])]);
    }
  });

  it("defines no inline rules that would bypass the graph", () => {
    for (const group of resourcesOf(parsed, "aws_security_group")) {
      expect(group.ingress).toBeUndefined();
      expect(group.egress).toBeUndefined();
    }
  });
});

describe("AWS's size limits at the schema's largest service", () => {
  const longSecret = (i: number) => `arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:${"n".repeat(150)}${i}-AbCdEf`;
  const count = Math.floor(MAX_SECRET_ARN_CHARACTERS / (longSecret(10).length + 3));
  const secrets = Object.fromEntries(Array.from({ length: count }, (_, i) => [`SECRET_${i}`, longSecret(i + 10)]));

  it("keeps the execution role's policy within IAM's 10,240 characters with the most secrets the schema accepts", () => {
    const { parsed } = synthInput(
      "dev",
      withServices([{ ...api, secrets, connectsTo: ["database", "cache"] }], {
        database: { instanceClass: "db.t4g.micro" },
        cache: { nodeType: "cache.t4g.micro" },
      }),
    );
    const characters = inlinePolicyCharacters(parsed).get(ref(parsed, "aws_iam_role", "service-api/execution-role"));
    expect(characters).toBeGreaterThan(MAX_SECRET_ARN_CHARACTERS * 0.95);
    expect(characters).toBeLessThanOrEqual(MAX_ROLE_POLICY_CHARACTERS);
  });

  it("keeps the task definition within ECS's 64 KiB with the most settings the schema accepts", () => {
    const variables = 20;
    // Each variable is spelled {"name":"VAR_n","value":"…"} with a comma: 28 characters beside its value.
    const valueLength = Math.floor((MAX_CONTAINER_SETTINGS - 40 - variables * 30) / variables);
    const environment = Object.fromEntries(Array.from({ length: variables }, (_, i) => [`VAR_${i + 10}`, "v".repeat(valueLength)]));
    const { parsed } = synthInput("dev", withServices([{ ...api, environment, secrets: {} }]));
    const { container_definitions: containers, ...rest } = byPath(parsed, "aws_ecs_task_definition", "service-api/task");
    const characters = appliedText(String(containers), parsed).length + appliedText(JSON.stringify(rest), parsed).length;
    expect(characters).toBeGreaterThan(MAX_CONTAINER_SETTINGS);
    expect(characters).toBeLessThanOrEqual(65536);
  });
});

describe("IAM scoping", () => {
  const { parsed } = synthInput(
    "dev",
    withServices([
      { ...api, storage: "read" },
      { name: "worker", role: "worker", image: { tag: "1" }, cpu: 256, memory: 512, exec: true },
    ]),
  );
  const policies = resourcesOf(parsed, "aws_iam_role_policy");
  /** Statements that may name "*": the actions AWS offers no resource-level permissions for. */
  const WILDCARD_ALLOWED = new Set(["RegistryToken", "EcsExec"]);

  it("names no wildcard resource outside the actions that cannot be scoped", () => {
    for (const policy of policies) {
      for (const statement of statementsOf(policy)) {
        const resources = ([] as string[]).concat(statement.Resource ?? []);
        if (resources.includes("*")) expect(WILDCARD_ALLOWED).toContain(statement.Sid);
        expect(([] as string[]).concat(statement.Action).some((a) => a.endsWith(":*") || a === "*")).toBe(false);
      }
    }
  });

  it("lets the execution role read exactly the secrets the service names", () => {
    const statements = statementsOf(byPath(parsed, "aws_iam_role_policy", "service-api/execution-policy"));
    expect(statements.find((s) => s.Sid === "ReadNamedSecrets")).toEqual(
      expect.objectContaining({ Action: "secretsmanager:GetSecretValue", Resource: [SECRET_ARN] }),
    );
    expect(statements.find((s) => s.Sid === "ReadNamedParameters")).toEqual(
      expect.objectContaining({ Action: "ssm:GetParameters", Resource: [PARAMETER_ARN] }),
    );
    expect(statements.find((s) => s.Sid === "PullOwnImage")!.Resource).toBe(
      dataRef(parsed, "aws_ecr_repository", "image-api/repository", "arn"),
    );
    const worker = statementsOf(byPath(parsed, "aws_iam_role_policy", "service-worker/execution-policy"));
    expect(worker.map((s) => s.Sid)).not.toContain("ReadNamedSecrets");
  });

  it("passes secrets by ARN, never as plain environment values", () => {
    const container = containerOf(parsed, "api");
    expect(container.secrets).toEqual([
      { name: "DATABASE_URL", valueFrom: SECRET_ARN },
      { name: "API_KEY", valueFrom: PARAMETER_ARN },
    ]);
    expect(container.environment).toEqual([{ name: "LOG_LEVEL", value: "debug" }]);
  });

  it("grants the app bucket only to task roles that declare it, read-only when asked", () => {
    const apiTask = statementsOf(byPath(parsed, "aws_iam_role_policy", "service-api/task-policy"));
    expect(apiTask.find((s) => s.Sid === "AppBucketObjects")).toEqual(expect.objectContaining({ Action: ["s3:GetObject"] }));
    const worker = statementsOf(byPath(parsed, "aws_iam_role_policy", "service-worker/task-policy"));
    expect(worker.map((s) => s.Sid)).toEqual(["EcsExec"]);
  });
});

describe("autoscaling", () => {
  const { parsed } = synthInput("dev", withServices([api]));

  it("tracks CPU, memory and ALB requests per target between min and max", () => {
    expect(resourcesOf(parsed, "aws_appautoscaling_target")).toEqual([
      expect.objectContaining({
        min_capacity: 1,
        max_capacity: 4,
        scalable_dimension: "ecs:service:DesiredCount",
        service_namespace: "ecs",
      }),
    ]);
    const metrics = resourcesOf(parsed, "aws_appautoscaling_policy").map(
      (p) =>
        (p.target_tracking_scaling_policy_configuration as { predefined_metric_specification: { predefined_metric_type: string } })
          .predefined_metric_specification,
    );
    expect(metrics.map((m) => m.predefined_metric_type).sort()).toEqual([
      "ALBRequestCountPerTarget",
      "ECSServiceAverageCPUUtilization",
      "ECSServiceAverageMemoryUtilization",
    ]);
    expect(metrics.find((m) => m.predefined_metric_type === "ALBRequestCountPerTarget")).toEqual(
      expect.objectContaining({
        resource_label: `${ref(parsed, "aws_lb", "alb", "arn_suffix")}/${ref(parsed, "aws_lb_target_group", "service-api/target-group", "arn_suffix")}`,
      }),
    );
  });

  it("leaves desired_count to the scaler", () => {
    expect(byPath(parsed, "aws_ecs_service", "service-api/service").lifecycle).toMatchObject({ ignore_changes: ["desired_count"] });
  });

  it("puts a share of workers on Fargate Spot", () => {
    const { parsed: staging } = committedStack("staging");
    expect(byPath(staging, "aws_ecs_service", "service-worker/service").capacity_provider_strategy).toEqual([
      { capacity_provider: "FARGATE", weight: 50, base: 1 },
      { capacity_provider: "FARGATE_SPOT", weight: 50 },
    ]);
    // A changed share rolls out as a new deployment instead of replacing the service.
    expect(byPath(staging, "aws_ecs_service", "service-worker/service").force_new_deployment).toBe(true);
  });
});

describe("production", () => {
  const { json, parsed } = committedStack("prod");

  it("protects the ALB and writes its access logs to an encrypted bucket the ELB account may write", () => {
    expect(json).toHaveResourceWithProperties(Lb, {
      enable_deletion_protection: true,
      access_logs: expect.objectContaining({ enabled: true }),
    });
    const policy = byPath(parsed, "aws_s3_bucket_policy", "alb/access-logs");
    expect(statementsOf(policy).find((s) => s.Sid === "ElbLogDelivery")).toEqual(expect.objectContaining({ Action: "s3:PutObject" }));
  });

  it("turns ECS Exec off and keeps the app bucket from destroy", () => {
    expect(resourcesOf(parsed, "aws_ecs_service").every((s) => s.enable_execute_command === false)).toBe(true);
    expect(byPath(parsed, "aws_s3_bucket", "app-bucket").lifecycle).toEqual({ prevent_destroy: true });
  });

  it("lifts the protections only for a deliberate ALLOW_DESTROY synth", () => {
    const { parsed: teardown } = synthEnvironment(committedEnvironment("prod"), {
      state: { bucket: "b", region: "us-east-1" },
      allowDestroy: true,
    });
    expect(byPath(teardown, "aws_lb", "alb").enable_deletion_protection).toBe(false);
    expect(byPath(teardown, "aws_s3_bucket", "app-bucket").lifecycle).toBeUndefined();
  });
});

describe("HTTPS with a domain", () => {
  const { json, parsed } = synthInput(
    "dev",
    withServices([api], { alb: { domain: { name: "app.example.com", hostedZone: "example.com" } } }),
  );

  it("validates an ACM certificate in the zone and serves HTTPS with a current TLS policy", () => {
    expect(json).toHaveResourceWithProperties(AcmCertificate, { domain_name: "app.example.com", validation_method: "DNS" });
    expect(json).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: "HTTPS",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
  });

  it("redirects HTTP to HTTPS with a 301 and points an alias at the ALB", () => {
    expect(json).toHaveResourceWithProperties(LbListener, {
      port: 80,
      default_action: [
        expect.objectContaining({ type: "redirect", redirect: expect.objectContaining({ protocol: "HTTPS", status_code: "HTTP_301" }) }),
      ],
    });
    expect(json).toHaveResourceWithProperties(Route53Record, { name: "app.example.com", type: "A" });
    expect(parsed.output?.service_url.value).toBe("https://app.example.com");
  });

  it("routes the service's rule on the HTTPS listener and opens 80 and 443 only", () => {
    expect(byPath(parsed, "aws_lb_listener_rule", "service-api/rule").listener_arn).toBe(
      ref(parsed, "aws_lb_listener", "alb/https", "arn"),
    );
    const open = resourcesOf(parsed, "aws_vpc_security_group_ingress_rule").filter((r) => r.cidr_ipv4 === "0.0.0.0/0");
    expect(open.map((r) => r.from_port).sort()).toEqual([443, 80]);
  });
});

describe("blue/green through CodeDeploy", () => {
  // Blue/green services are released by their pipeline.
  const delivery = { repository: "acme/shop", builds: { api: {} } };
  const { json, parsed } = synthInput("dev", withServices([{ ...api, deployment: "blueGreen", scaling: undefined }], { delivery }));

  it("hands the service's deployments to CodeDeploy with two target groups and a test listener", () => {
    expect(byPath(parsed, "aws_ecs_service", "service-api/service")).toMatchObject({
      deployment_controller: { type: "CODE_DEPLOY" },
      lifecycle: { ignore_changes: ["task_definition", "load_balancer"] },
    });
    expect(
      resourcesOf(parsed, "aws_lb_target_group")
        .map((t) => t.name)
        .sort(),
    ).toEqual(["webapp-dev-api-b", "webapp-dev-api-g"]);
    expect(json).toHaveResourceWithProperties(LbListener, { port: 8443 });
  });

  it("lets only the VPC and the definition's testers reach the test listener, which serves the unreleased version", () => {
    const portOf = (port: number) =>
      resourcesOf(parsed, "aws_vpc_security_group_ingress_rule")
        .filter((r) => r.from_port === port)
        .map((r) => r.cidr_ipv4);
    expect(portOf(8443)).toEqual(["10.0.0.0/16"]);
    expect(portOf(80)).toEqual(["0.0.0.0/0"]);
    const { parsed: withTesters } = synthInput(
      "dev",
      withServices([{ ...api, deployment: "blueGreen", scaling: undefined }], { delivery, alb: { testListenerCidrs: ["203.0.113.0/24"] } }),
    );
    expect(
      resourcesOf(withTesters, "aws_vpc_security_group_ingress_rule")
        .filter((r) => r.from_port === 8443)
        .map((r) => r.cidr_ipv4),
    ).toEqual(["10.0.0.0/16", "203.0.113.0/24"]);
  });

  it("rolls back automatically and waits before terminating blue", () => {
    expect(json).toHaveResourceWithProperties(CodedeployDeploymentGroup, {
      deployment_style: { deployment_option: "WITH_TRAFFIC_CONTROL", deployment_type: "BLUE_GREEN" },
      auto_rollback_configuration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
      blue_green_deployment_config: expect.objectContaining({
        terminate_blue_instances_on_deployment_success: { action: "TERMINATE", termination_wait_time_in_minutes: 5 },
      }),
    });
    const group = resourcesOf(parsed, "aws_codedeploy_deployment_group")[0];
    const route = (group.load_balancer_info as { target_group_pair_info: Record<string, unknown> }).target_group_pair_info;
    expect(route.prod_traffic_route).toEqual({ listener_arns: [ref(parsed, "aws_lb_listener", "alb/http", "arn")] });
    expect(route.test_traffic_route).toEqual({ listener_arns: [ref(parsed, "aws_lb_listener", "alb/test", "arn")] });
  });

  it("keeps rolling services on the ECS controller", () => {
    const { json: rolling } = synthInput("dev", withServices([api]));
    expect(rolling).not.toHaveResource(CodedeployDeploymentGroup);
    expect(rolling).toHaveResourceWithProperties(EcsService, { deployment_minimum_healthy_percent: 100, deployment_maximum_percent: 200 });
  });
});
