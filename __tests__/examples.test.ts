import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { CloudfrontDistribution } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CodedeployDeploymentGroup } from "@cdktf/provider-aws/lib/codedeploy-deployment-group";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { ElasticacheReplicationGroup } from "@cdktf/provider-aws/lib/elasticache-replication-group";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { composeServices, hostFiles } from "../scripts/lib/user-data";
import { loadEnvironments } from "../src/config/load";
import {
  byPath,
  committedStack,
  containerOf,
  dataRef,
  EXAMPLES_DIR,
  pipelineStage,
  pipelineStages,
  ref,
  resourcesOf,
  statementsOf,
  type TerraformJson,
} from "./helpers";

const examples = Object.fromEntries(loadEnvironments(EXAMPLES_DIR).map((env) => [env.name, env]));
const synth = committedStack;

/** The compose project a single host's user data installs. */
function compose(tf: TerraformJson) {
  return composeServices(resourcesOf(tf, "aws_instance")[0].user_data as string) as Record<
    string,
    { image: string; expose?: string[]; ports?: string[]; volumes?: string[] }
  >;
}

const ingressPorts = (tf: TerraformJson) =>
  resourcesOf(tf, "aws_vpc_security_group_ingress_rule")
    .filter((r) => r.cidr_ipv4 === "0.0.0.0/0")
    .map((r) => r.from_port);

it("all five reference designs are examples, each saying what it changed", () => {
  expect(Object.keys(examples).sort()).toEqual(["autoblog-ecs", "autoblog-host", "bluegreen", "fastapi-host", "portfolio"]);
  for (const name of Object.keys(examples)) {
    const raw = JSON.parse(readFileSync(join(EXAMPLES_DIR, `${name}.json`), "utf8")) as { about?: string[] };
    expect(raw.about?.some((line) => line.startsWith("Changed:"))).toBe(true);
    // Every design is expressed in full now: nothing is left waiting on a missing capability.
    expect(raw.about?.some((line) => line.startsWith("Not expressed yet:"))).toBe(false);
  }
});

describe("autoblog-host: one EC2 host, compose with PostgreSQL on its own volume, backend :5000 and frontend :80", () => {
  const { json, parsed } = synth("autoblog-host");
  const services = compose(parsed);

  it("runs PostgreSQL, the backend and the frontend in compose, behind the proxy", () => {
    expect(Object.keys(services).sort()).toEqual(["backend", "frontend", "postgres", "proxy"]);
    expect(services.backend.expose).toEqual(["5000"]);
    expect(services.frontend.expose).toEqual(["80"]);
    expect(services.proxy.ports).toEqual(["80:80"]);
    expect(ingressPorts(parsed)).toEqual([80]);
  });

  it("keeps PostgreSQL's files on a separate encrypted volume", () => {
    expect(services.postgres.volumes).toEqual(["/srv/data/postgres:/var/lib/postgresql/data"]);
    expect(json).toHaveResourceWithProperties(EbsVolume, { encrypted: true, type: "gp3" });
  });

  it("pulls its images from its own ECR repositories", () => {
    const pull = statementsOf(byPath(parsed, "aws_iam_role_policy", "host/policy")).find((s) => s.Sid === "PullOwnImages")!;
    expect(pull.Resource).toEqual([
      dataRef(parsed, "aws_ecr_repository", "image-backend/repository", "arn"),
      dataRef(parsed, "aws_ecr_repository", "image-frontend/repository", "arn"),
    ]);
  });

  it("gets its images from CodeBuild, which pushes each to its repository for the host to pull and restart compose", () => {
    const builds = pipelineStage(parsed, "Build").action;
    expect(builds.map((a) => [a.provider, a.configuration!.ProjectName])).toEqual([
      ["CodeBuild", ref(parsed, "aws_codebuild_project", "delivery/build-backend/project", "name")],
      ["CodeBuild", ref(parsed, "aws_codebuild_project", "delivery/build-frontend/project", "name")],
    ]);
    expect(pipelineStage(parsed, "Deploy").action.map((a) => a.name)).toEqual(["deploy-host"]);
    expect(compose(parsed).backend.image).toBe("${APP_IMAGE_BACKEND:?is written by prepare}");
    expect(hostFiles(resourcesOf(parsed, "aws_instance")[0].user_data as string)["/etc/app-host/images.tsv"]).toContain(
      "APP_IMAGE_BACKEND\tex/backend\tAPP_RELEASE_BACKEND\t1.0.0\n",
    );
  });
});

describe("autoblog-ecs: api, celery worker and beat on Fargate; RDS with a replica; Redis; S3; dashboard and alarms", () => {
  const { json, parsed } = synth("autoblog-ecs");

  it("runs the API, the worker and the scheduler with the design's commands", () => {
    expect(containerOf(parsed, "api").command).toEqual(["uvicorn", "autoblog.main:app", "--host", "0.0.0.0", "--port", "8000"]);
    expect(containerOf(parsed, "worker").command.slice(0, 4)).toEqual(["celery", "-A", "autoblog.celery", "worker"]);
    expect(containerOf(parsed, "scheduler").command.slice(0, 4)).toEqual(["celery", "-A", "autoblog.celery", "beat"]);
    expect(byPath(parsed, "aws_ecs_service", "service-scheduler/service")).toMatchObject({
      desired_count: 1,
      deployment_maximum_percent: 100,
    });
  });

  it("has a PostgreSQL primary with a read replica, a Redis replication group and a storage bucket", () => {
    const dbs = resourcesOf(parsed, "aws_db_instance");
    expect(dbs).toHaveLength(2);
    expect(dbs.filter((d) => d.replicate_source_db)).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(ElasticacheReplicationGroup, { engine: "redis", num_cache_clusters: 2 });
    expect(json).toHaveResourceWithProperties(S3Bucket, { bucket: expect.stringContaining("ex-autoblog-ecs-app-") });
  });

  it("is watched by a dashboard and alarms", () => {
    expect(json).toHaveResource(CloudwatchDashboard);
    expect(resourcesOf(parsed, "aws_cloudwatch_metric_alarm").length).toBeGreaterThan(30);
  });
});

describe("fastapi-host: one small host in one public subnet, ECR + SSM role, external PostgreSQL URL from a secret", () => {
  const { json, parsed } = synth("fastapi-host");

  it("is one t3.small in one public subnet, without NAT", () => {
    expect(resourcesOf(parsed, "aws_instance").map((i) => i.instance_type)).toEqual(["t3.small"]);
    expect(resourcesOf(parsed, "aws_subnet")).toHaveLength(1);
    expect(json).not.toHaveResource(NatGateway);
  });

  it("has a role that pulls from ECR and is managed through SSM", () => {
    const statements = statementsOf(byPath(parsed, "aws_iam_role_policy", "host/policy"));
    expect(statements.map((s) => s.Sid)).toEqual(expect.arrayContaining(["RegistryToken", "PullOwnImages"]));
    expect(resourcesOf(parsed, "aws_iam_role_policy_attachment").map((a) => a.policy_arn)).toContain(
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    );
  });

  it("reads the external database's URL from its secret, and keeps no database of its own", () => {
    const url = "arn:aws:secretsmanager:us-east-1:123456789012:secret:fastapi/database-url-AbCdEf";
    expect(statementsOf(byPath(parsed, "aws_iam_role_policy", "host/policy")).find((s) => s.Sid === "ReadNamedSecrets")!.Resource).toEqual([
      url,
    ]);
    expect(Object.keys(compose(parsed)).sort()).toEqual(["api", "proxy"]);
    expect(json).not.toHaveResource(EbsVolume);
    expect(ingressPorts(parsed)).toEqual([80]);
  });

  it("is deployed through an SSM command, never SSH", () => {
    const document = JSON.parse(byPath(parsed, "aws_ssm_document", "deploy-document").content as string);
    expect(document.mainSteps[0].action).toBe("aws:runShellScript");
    const send = statementsOf(byPath(parsed, "aws_iam_role_policy", "delivery/release/policy")).find((s) => s.Sid === "RunDeployDocument")!;
    expect(send.Action).toBe("ssm:SendCommand");
    expect(ingressPorts(parsed)).not.toContain(22);
  });
});

describe("bluegreen: frontend :80 and API :3000 behind one ALB, RDS Multi-AZ, Secrets Manager, CodeDeploy blue/green", () => {
  const { json, parsed } = synth("bluegreen");

  it("puts both services behind one ALB, each deployed blue/green by CodeDeploy", () => {
    expect(resourcesOf(parsed, "aws_lb")).toHaveLength(1);
    expect(containerOf(parsed, "frontend").portMappings).toEqual([{ containerPort: 80, protocol: "tcp" }]);
    expect(containerOf(parsed, "api").portMappings).toEqual([{ containerPort: 3000, protocol: "tcp" }]);
    for (const svc of resourcesOf(parsed, "aws_ecs_service")) expect(svc.deployment_controller).toEqual({ type: "CODE_DEPLOY" });
    expect(resourcesOf(parsed, "aws_codedeploy_deployment_group")).toHaveLength(2);
    expect(json).toHaveResourceWithProperties(CodedeployDeploymentGroup, {
      deployment_style: { deployment_option: "WITH_TRAFFIC_CONTROL", deployment_type: "BLUE_GREEN" },
    });
  });

  it("has a Multi-AZ database whose credentials the API reads from Secrets Manager", () => {
    expect(json).toHaveResourceWithProperties(DbInstance, { multi_az: true, deletion_protection: true });
    const secrets = containerOf(parsed, "api").secrets as { name: string; valueFrom: string }[];
    expect(secrets.find((s) => s.name === "DATABASE_PASSWORD")!.valueFrom).toContain("aws_secretsmanager_secret");
  });

  it("is released by CodePipeline: Source, CodeBuild, approval, then CodeDeploy blue/green", () => {
    expect(pipelineStages(parsed).map((s) => s.name)).toEqual(["Source", "Build", "Approve", "Deploy"]);
    expect(
      pipelineStage(parsed, "Deploy")
        .action.filter((a) => a.category === "Deploy")
        .map((a) => a.provider),
    ).toEqual(["CodeDeployToECS", "CodeDeployToECS"]);
  });
});

describe("portfolio: Next.js :3000 and FastAPI :8000 over 2 AZs, HTTPS with /api/*, Route53/ACM, RDS, Redis, autoscaling 1-4 at 70%", () => {
  const { json, parsed } = synth("portfolio");

  it("spans two AZs with a NAT gateway each", () => {
    expect(new Set(resourcesOf(parsed, "aws_subnet").map((s) => s.availability_zone))).toEqual(new Set(["us-east-1a", "us-east-1b"]));
    expect(resourcesOf(parsed, "aws_nat_gateway")).toHaveLength(2);
  });

  it("serves HTTPS with an ACM certificate and Route53 aliases through CloudFront, routing /api/* to the backend", () => {
    expect(json).toHaveResourceWithProperties(AcmCertificate, { domain_name: "portfolio.example.com", validation_method: "DNS" });
    expect(json).toHaveResourceWithProperties(LbListener, { port: 443, protocol: "HTTPS" });
    expect(json).toHaveResourceWithProperties(Route53Record, { name: "portfolio.example.com", type: "A" });
    expect(json).toHaveResourceWithProperties(Route53Record, { name: "origin.portfolio.example.com", type: "A" });
    expect(json).toHaveResourceWithProperties(CloudfrontDistribution, { aliases: ["portfolio.example.com"] });
    const rule = byPath(parsed, "aws_lb_listener_rule", "service-backend/rule");
    expect(rule.condition).toEqual([
      { path_pattern: { values: ["/api/*"] } },
      { http_header: { http_header_name: "X-Origin-Verify", values: [expect.stringContaining("origin-header")] } },
    ]);
    expect(containerOf(parsed, "frontend").portMappings).toEqual([{ containerPort: 3000, protocol: "tcp" }]);
    expect(containerOf(parsed, "backend").portMappings).toEqual([{ containerPort: 8000, protocol: "tcp" }]);
  });

  it("has RDS and Redis, autoscaling 1-4 at 70% CPU, and a circuit breaker that rolls back", () => {
    expect(json).toHaveResource(DbInstance);
    expect(json).toHaveResource(ElasticacheReplicationGroup);
    for (const target of resourcesOf(parsed, "aws_appautoscaling_target"))
      expect(target).toMatchObject({ min_capacity: 1, max_capacity: 4 });
    expect(json).toHaveResourceWithProperties(AppautoscalingPolicy, {
      target_tracking_scaling_policy_configuration: expect.objectContaining({ target_value: 70 }),
    });
    for (const svc of resourcesOf(parsed, "aws_ecs_service"))
      expect(svc.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
  });
});
