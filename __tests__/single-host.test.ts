import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DlmLifecyclePolicy } from "@cdktf/provider-aws/lib/dlm-lifecycle-policy";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostFiles as readHostFiles } from "../scripts/lib/user-data";
import { STATIC_FILES_ARCHIVE } from "../src/host/cloud-init";
import type { EnvironmentInput } from "../src/config/schema";
import {
  byPath,
  byDataPath,
  dataRef,
  committedStack,
  containerOf,
  ENVIRONMENTS_DIR,
  ref,
  resourcesOf,
  statementsOf,
  synthInput,
  type TerraformJson,
} from "./helpers";
import { scratchDir } from "./scratch";

type ComposeService = Record<string, unknown> & {
  image: string;
  environment?: Record<string, string>;
  env_file?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
};

/** The host's files as cloud-init writes them, by path. */
function hostFiles(tf: TerraformJson): Record<string, string> {
  const userData = resourcesOf(tf, "aws_instance")[0].user_data as string;
  expect(userData.startsWith("#cloud-config\n")).toBe(true);
  return readHostFiles(userData);
}

function compose(tf: TerraformJson): { name: string; services: Record<string, ComposeService> } {
  return JSON.parse(hostFiles(tf)["/etc/app-host/compose.json"]);
}

function definition(name: string): EnvironmentInput & { services: Record<string, unknown>[]; singleHost: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(ENVIRONMENTS_DIR, `${name}.json`), "utf8"));
}

const { json, parsed: tf } = committedStack("single-host");
const files = hostFiles(tf);
const composed = compose(tf);

describe("the single host's network", () => {
  it("is one public subnet with an internet gateway and no NAT", () => {
    const subnets = resourcesOf(tf, "aws_subnet");
    expect(subnets).toHaveLength(1);
    expect(subnets[0].tags).toMatchObject({ Tier: "public" });
    expect(json).not.toHaveResource(NatGateway);
    expect(resourcesOf(tf, "aws_internet_gateway")).toHaveLength(1);
  });

  it("starts the host and associates its address only once the route to the internet exists", () => {
    const strip = (reference: string) => reference.replace(/^\$\{|\.id\}$/g, "");
    const route = [strip(ref(tf, "aws_internet_gateway", "network/igw")), strip(ref(tf, "aws_route", "network/public-default"))];
    expect(byPath(tf, "aws_instance", "host/instance").depends_on).toEqual(expect.arrayContaining(route));
    expect(byPath(tf, "aws_eip", "host/eip").depends_on).toEqual(expect.arrayContaining(route));
  });
});

describe("the instance", () => {
  const instance = resourcesOf(tf, "aws_instance")[0];

  it("runs the latest Amazon Linux 2023 of its architecture, and a new AMI never replaces it on its own", () => {
    const ami = Object.values(tf.data!.aws_ssm_parameter)[0];
    expect(ami.name).toBe("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64");
    expect(instance.ami).toMatch(/^\$\{data\.aws_ssm_parameter\.[\w-]+\.insecure_value\}$/);
    expect(instance.lifecycle).toEqual({ ignore_changes: ["ami"] });
    expect(instance.instance_type).toBe("t3.small");
  });

  it("requires IMDSv2 with a hop limit of 2, so containers get the role's credentials and nothing else", () => {
    expect(instance.metadata_options).toEqual({
      http_endpoint: "enabled",
      http_tokens: "required",
      http_put_response_hop_limit: 2,
      instance_metadata_tags: "disabled",
    });
  });

  it("has an encrypted gp3 root volume, no SSH key, an Elastic IP, and is replaced when its user data changes", () => {
    expect(instance.root_block_device).toMatchObject({ volume_type: "gp3", encrypted: true, volume_size: 30 });
    expect(instance.root_block_device).toHaveProperty("kms_key_id", ref(tf, "aws_kms_key", "data-key", "arn"));
    expect(instance.key_name).toBeUndefined();
    expect(instance.user_data_replace_on_change).toBe(true);
    expect(json).toHaveResourceWithProperties(Eip, { domain: "vpc", instance: ref(tf, "aws_instance", "host/instance") });
    expect(instance.monitoring).toBe(false);
  });

  it("opens only the proxy's port to the world: no SSH and no container port", () => {
    const ingress = resourcesOf(tf, "aws_vpc_security_group_ingress_rule");
    expect(ingress.map((r) => [r.from_port, r.cidr_ipv4])).toEqual([[80, "0.0.0.0/0"]]);
    const egress = resourcesOf(tf, "aws_vpc_security_group_egress_rule");
    expect(egress.map((r) => r.from_port)).toEqual([443]);
  });
});

describe("the instance role", () => {
  const statements = statementsOf(byPath(tf, "aws_iam_role_policy", "host/policy"));
  const sid = (name: string) => statements.find((s) => s.Sid === name);

  it("pulls only the repositories its services run from", () => {
    expect(sid("PullOwnImages")!.Resource).toEqual([
      dataRef(tf, "aws_ecr_repository", "image-api/repository", "arn"),
      dataRef(tf, "aws_ecr_repository", "image-frontend/repository", "arn"),
    ]);
  });

  it("reads only the database credentials, writes only its own logs and health report", () => {
    expect(sid("ReadDatabaseCredentials")!.Resource).toBe(ref(tf, "aws_secretsmanager_secret", "database/credentials", "arn"));
    expect(sid("ReadNamedSecrets")).toBeUndefined();
    expect(sid("WriteOwnLogs")!.Resource).toHaveLength(5);
    expect(sid("ReportHealth")!.Resource).toBe(ref(tf, "aws_ssm_parameter", "host/health", "arn"));
    expect(sid("PublishHostMetrics")!.Condition).toEqual({
      StringEquals: { "cloudwatch:namespace": ["CWAgent", "webapp-single-host/host"] },
    });
  });

  it("is reached through Session Manager", () => {
    expect(resourcesOf(tf, "aws_iam_role_policy_attachment").map((a) => a.policy_arn)).toContain(
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    );
  });
});

describe("the compose project, rendered from the service definitions", () => {
  it("runs every service, PostgreSQL and the proxy, each restarted unless stopped", () => {
    expect(composed.name).toBe("webapp-single-host");
    expect(Object.keys(composed.services).sort()).toEqual(["api", "frontend", "postgres", "proxy"]);
    for (const svc of Object.values(composed.services)) expect(svc.restart).toBe("unless-stopped");
  });

  it("publishes only the proxy's port; services are reachable on the compose network only", () => {
    expect(composed.services.proxy.ports).toEqual(["80:80"]);
    for (const name of ["api", "frontend", "postgres"]) expect(composed.services[name].ports).toBeUndefined();
    expect(composed.services.api.expose).toEqual(["8000"]);
  });

  it("takes images, sizes and settings from the definitions", () => {
    expect(composed.services.api).toMatchObject({
      image: "${APP_IMAGE_API:?is written by prepare}",
      mem_limit: "512m",
      cpus: 0.25,
      read_only: true,
      environment: { LOG_LEVEL: "info", DATABASE_HOST: "postgres", DATABASE_PORT: "5432", DATABASE_NAME: "app", DATABASE_USER: "app" },
      env_file: ["/etc/app-host/env/api.env"],
      depends_on: { postgres: { condition: "service_healthy" } },
      logging: { driver: "awslogs", options: { "awslogs-group": "/host/webapp-single-host/api", "awslogs-region": "us-east-1" } },
    });
    expect(files["/etc/app-host/host.env"]).toContain(
      `APP_REGISTRY=\${data.aws_caller_identity.account.account_id}.dkr.ecr.us-east-1.amazonaws.com\n`,
    );
  });

  it("keeps PostgreSQL's files on the data volume and checks it is ready", () => {
    expect(composed.services.postgres).toMatchObject({
      image: "postgres:16-alpine",
      volumes: ["/srv/data/postgres:/var/lib/postgresql/data"],
      mem_limit: "384m",
      healthcheck: { test: ["CMD", "pg_isready", "--username", "app", "--dbname", "app"] },
    });
  });

  it("names where each secret is read at boot, never a secret itself", () => {
    const password = `${ref(tf, "aws_secretsmanager_secret", "database/credentials", "arn")}:password::`;
    expect(JSON.parse(files["/etc/app-host/secrets.json"])).toEqual({
      postgres: { POSTGRES_PASSWORD: password },
      api: { DATABASE_PASSWORD: password },
    });
    expect(byPath(tf, "aws_secretsmanager_secret_version", "database/credentials-value")).toMatchObject({
      secret_string_wo: expect.stringContaining("ephemeral.aws_secretsmanager_random_password.database_password.random_password"),
    });
    expect(json).not.toMatch(/POSTGRES_PASSWORD=|DATABASE_PASSWORD=/);
  });

  it("routes like the load balancer: rules in priority order, each to its service", () => {
    const caddyfile = files["/etc/app-host/Caddyfile"];
    expect(caddyfile).toContain(":80 {");
    expect(caddyfile.indexOf("reverse_proxy @api api:8000")).toBeLessThan(caddyfile.indexOf("reverse_proxy @frontend frontend:3000"));
    expect(caddyfile).toMatch(/@api \{\n\t\tpath \/api\/\*\n\t\}/);
  });

  it("checks every container, and each web service on its health path", () => {
    expect(JSON.parse(files["/etc/app-host/health-checks.json"])).toEqual([
      { service: "postgres" },
      { service: "api", port: 8000, path: "/api/health" },
      { service: "frontend", port: 3000, path: "/" },
      { service: "proxy" },
    ]);
  });

  it("starts as a systemd unit that waits for the data volume and for healthy containers", () => {
    const unit = files["/etc/systemd/system/app-host.service"];
    expect(unit).toContain("RequiresMountsFor=/srv/data\n");
    expect(unit).toContain("ExecStartPre=/usr/local/libexec/app-host/prepare\n");
    expect(unit).toMatch(/ExecStart=\/usr\/bin\/docker compose .* up --detach --wait /);
    expect(unit).toContain("WantedBy=multi-user.target");
    expect(files["/etc/systemd/system/app-host-health.timer"]).toContain("OnUnitActiveSec=1min");
  });

  it("installs the compose plugin pinned by digest", () => {
    expect(files["/etc/app-host/host.env"]).toMatch(
      /APP_COMPOSE_URL=https:\/\/github.com\/docker\/compose\/releases\/download\/v2\.33\.0\/docker-compose-linux-x86_64\n/,
    );
    expect(files["/etc/app-host/host.env"]).toMatch(/APP_COMPOSE_SHA256=[0-9a-f]{64}\n/);
    expect(files["/usr/local/libexec/app-host/install"]).toContain("sha256sum --check --strict");
  });
});

describe("one service definition, two targets", () => {
  it("a change to a service changes both its ECS task and its compose service", () => {
    const services = definition("single-host").services;
    const ecs = {
      project: "webapp",
      region: "us-east-1",
      network: { vpcCidr: "10.0.0.0/16", azCount: 2, natStrategy: "single" },
      services: services.map((s) => ({ ...s, connectsTo: [] })),
    };
    const host = { ...definition("single-host"), services: services.map((s) => ({ ...s, connectsTo: [] })) };
    const changed = <T extends { services: Record<string, unknown>[] }>(input: T): T => ({
      ...input,
      services: input.services.map((s) =>
        s.name === "api"
          ? { ...s, image: { tag: "1.1.0" }, environment: { LOG_LEVEL: "debug" }, command: ["serve", "--workers", "$WORKERS"] }
          : s,
      ),
    });
    const before = {
      ecs: containerOf(synthInput("dev", ecs as EnvironmentInput).parsed, "api"),
      host: compose(synthInput("edge", host).parsed).services.api,
    };
    const ecsAfter = synthInput("dev", changed(ecs) as EnvironmentInput).parsed;
    const after = {
      ecs: containerOf(ecsAfter, "api"),
      host: compose(synthInput("edge", changed(host)).parsed).services.api,
    };
    expect(before.ecs.environment).toEqual([{ name: "LOG_LEVEL", value: "info" }]);
    expect(before.host.environment).toEqual({ LOG_LEVEL: "info" });
    expect(after.ecs.environment).toEqual([{ name: "LOG_LEVEL", value: "debug" }]);
    expect(after.host.environment).toEqual({ LOG_LEVEL: "debug" });
    // ECS runs the image by the digest the repository holds under the new tag.
    expect(after.ecs.image).toBe(dataRef(ecsAfter, "aws_ecr_image", "image-api/image-0", "image_uri"));
    expect(byDataPath(ecsAfter, "aws_ecr_image", "image-api/image-0").image_tag).toBe("1.1.0");
    const hostImage = (input: typeof host) => hostFiles(synthInput("edge", input).parsed)["/etc/app-host/images.tsv"];
    expect(hostImage(host)).toContain("APP_IMAGE_API\twebapp/api\t-\t1.0.0\n");
    expect(hostImage(changed(host))).toContain("APP_IMAGE_API\twebapp/api\t-\t1.1.0\n");
    expect(after.ecs.command).toEqual(["serve", "--workers", "$WORKERS"]);
    // Compose would expand $WORKERS from the host's environment; the definition means it literally.
    expect(after.host.command).toEqual(["serve", "--workers", "$$WORKERS"]);
  });

  it("Terraform never reads a definition's `${` as a reference, on either target", () => {
    const input = (base: Record<string, unknown>): EnvironmentInput => ({
      ...(base as EnvironmentInput),
      services: [{ name: "worker", role: "worker", image: { tag: "1" }, cpu: 256, memory: 512, environment: { GREETING: "${USER} %{x}" } }],
    });
    const ecs = synthInput(
      "dev",
      input({
        project: "webapp",
        region: "us-east-1",
        network: { vpcCidr: "10.0.0.0/16", azCount: 2, natStrategy: "single" },
      }),
    );
    expect(containerOf(ecs.parsed, "worker").environment).toEqual([{ name: "GREETING", value: "$${USER} %%{x}" }]);
    const host = synthInput(
      "edge",
      input({
        project: "webapp",
        region: "us-east-1",
        network: { vpcCidr: "10.0.0.0/16", azCount: 1 },
        singleHost: { instanceType: "t3.small" },
      }),
    );
    expect(compose(host.parsed).services.worker.environment).toEqual({ GREETING: "$${USER} %{x}" });
  });
});

describe("the data volume", () => {
  it("is encrypted gp3 in the instance's zone, attached without yanking it from a running host", () => {
    expect(json).toHaveResourceWithProperties(EbsVolume, {
      availability_zone: "us-east-1a",
      size: 20,
      type: "gp3",
      encrypted: true,
      kms_key_id: ref(tf, "aws_kms_key", "data-key", "arn"),
    });
    expect(resourcesOf(tf, "aws_volume_attachment")[0]).toMatchObject({ stop_instance_before_detaching: true, device_name: "/dev/sdf" });
  });

  it("is snapshotted daily by Data Lifecycle Manager, keeping the configured number", () => {
    const volume = byPath(tf, "aws_ebs_volume", "data-volume");
    expect(json).toHaveResourceWithProperties(DlmLifecyclePolicy, {
      state: "ENABLED",
      policy_details: {
        resource_types: ["VOLUME"],
        target_tags: { Snapshots: (volume.tags as Record<string, string>).Snapshots },
        schedule: [
          {
            name: "daily",
            create_rule: { interval: 24, interval_unit: "HOURS", times: ["03:00"] },
            retain_rule: { count: 7 },
            copy_tags: true,
            tags_to_add: { SnapshotOf: "webapp-single-host-data" },
          },
        ],
      },
    });
  });

  it("announces a snapshot policy that stopped working (DLM's only signal) on the alarm topic, which admits that rule", () => {
    const rule = byPath(tf, "aws_cloudwatch_event_rule", "snapshots-failed/rule");
    expect(rule.name).toBe("webapp-single-host-snapshots-failed");
    expect(JSON.parse(rule.event_pattern as string)).toEqual({
      source: ["aws.dlm"],
      "detail-type": ["DLM Policy State Change"],
      resources: [ref(tf, "aws_dlm_lifecycle_policy", "data-volume/snapshots", "arn")],
      detail: { state: ["ERROR"] },
    });
    expect(byPath(tf, "aws_cloudwatch_event_target", "snapshots-failed/target")).toMatchObject({
      arn: ref(tf, "aws_sns_topic", "alarm-topic", "arn"),
      input_transformer: {
        input_paths: { policy: "$.detail.policy_id", cause: "$.detail.cause" },
        input_template: '"Snapshot policy <policy> of webapp-single-host stopped taking snapshots: <cause>"',
      },
    });
    const publish = statementsOf(byPath(tf, "aws_sns_topic_policy", "alarm-topic/policy")).find(
      (st) => st.Sid === "EventRulesOfThisAccount",
    )!;
    expect((publish.Condition!.ArnLike as Record<string, string[]>)["aws:SourceArn"]).toContain(
      "arn:aws:events:us-east-1:${data.aws_caller_identity.account.account_id}:rule/webapp-single-host-snapshots-failed",
    );
  });

  it("in production, cannot be destroyed with the key and the credentials", () => {
    const { parsed } = synthInput("edge", { ...definition("single-host"), production: true });
    expect(byPath(parsed, "aws_ebs_volume", "data-volume").lifecycle).toEqual({ prevent_destroy: true });
    expect(byPath(parsed, "aws_kms_key", "data-key").lifecycle).toEqual({ prevent_destroy: true });
    expect(byPath(parsed, "aws_secretsmanager_secret", "database/credentials").lifecycle).toEqual({ prevent_destroy: true });
  });
});

describe("alarms of the host", () => {
  const alarm = (suffix: string) =>
    resourcesOf(tf, "aws_cloudwatch_metric_alarm").find((a) => a.alarm_name === `webapp-single-host-host-${suffix}`)!;
  const topic = ref(tf, "aws_sns_topic", "alarm-topic", "arn");

  it("recover the instance on a failed system check and reboot it on a failed instance check", () => {
    expect(alarm("system-status-check")).toMatchObject({
      metric_name: "StatusCheckFailed_System",
      alarm_actions: [topic, "arn:aws:automate:us-east-1:ec2:recover"],
    });
    expect(alarm("instance-status-check").alarm_actions).toEqual([topic, "arn:aws:automate:us-east-1:ec2:reboot"]);
  });

  it("watch CPU and its credits, memory and both disks through the CloudWatch agent, and the containers' health", () => {
    const instance = ref(tf, "aws_instance", "host/instance");
    expect(alarm("cpu").metric_name).toBe("CPUUtilization");
    expect(alarm("cpu-credits").metric_name).toBe("CPUCreditBalance");
    expect(alarm("memory")).toMatchObject({ namespace: "CWAgent", metric_name: "mem_used_percent", dimensions: { InstanceId: instance } });
    expect(alarm("disk-root").dimensions).toEqual({ InstanceId: instance, path: "/", fstype: "xfs" });
    expect(alarm("disk-srv-data").dimensions).toEqual({ InstanceId: instance, path: "/srv/data", fstype: "xfs" });
    expect(alarm("unhealthy-containers")).toMatchObject({ namespace: "webapp-single-host/host", treat_missing_data: "breaching" });
    const agent = JSON.parse(files["/etc/app-host/cloudwatch-agent.json"]);
    expect(agent.metrics.metrics_collected.disk.resources).toEqual(["/", "/srv/data"]);
    expect(agent.metrics.append_dimensions).toEqual({ InstanceId: "${aws:InstanceId}" });
  });

  it("count ERROR lines of each service's container", () => {
    expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: "webapp-single-host-api-error-lines" });
    expect(resourcesOf(tf, "aws_cloudwatch_log_metric_filter").map((f) => f.log_group_name)).toEqual([
      "/host/webapp-single-host/api",
      "/host/webapp-single-host/frontend",
    ]);
  });
});

describe("outputs", () => {
  it("give the URL, the instance, the Session Manager command and the health command", () => {
    const outputs = tf.output!;
    const instance = ref(tf, "aws_instance", "host/instance");
    expect(outputs.service_url.value).toBe(`http://${ref(tf, "aws_eip", "host/eip", "public_ip")}`);
    expect(outputs.host_instance_id.value).toBe(instance);
    expect(outputs.host_session_command.value).toBe(`aws ssm start-session --region us-east-1 --target ${instance}`);
    expect(outputs.host_health_command.value).toContain("aws ssm get-parameter --region us-east-1 --name ");
  });
});

describe("variants", () => {
  it("HTTPS with a domain: 443 open, an A record, and the proxy serving the name", () => {
    const { json: withDomain, parsed } = synthInput("edge", {
      ...definition("single-host"),
      singleHost: { ...definition("single-host").singleHost, domain: { name: "app.example.com", hostedZone: "example.com" } },
    });
    expect(resourcesOf(parsed, "aws_vpc_security_group_ingress_rule").map((r) => r.from_port)).toEqual(expect.arrayContaining([80, 443]));
    expect(resourcesOf(parsed, "aws_vpc_security_group_ingress_rule")).toHaveLength(2);
    expect(withDomain).toHaveResourceWithProperties(Route53Record, { name: "app.example.com", type: "A" });
    expect(hostFiles(parsed)["/etc/app-host/Caddyfile"]).toContain("app.example.com {");
    expect(compose(parsed).services.proxy.ports).toEqual(["80:80", "443:443"]);
    expect(parsed.output!.service_url.value).toBe("https://app.example.com");
  });

  it("SSH only from the configured range", () => {
    const { parsed } = synthInput("edge", {
      ...definition("single-host"),
      singleHost: { ...definition("single-host").singleHost, sshCidr: "203.0.113.0/24" },
    });
    const rules = resourcesOf(parsed, "aws_vpc_security_group_ingress_rule").map((r) => [r.from_port, r.cidr_ipv4]);
    expect(rules.sort()).toEqual([
      [22, "203.0.113.0/24"],
      [80, "0.0.0.0/0"],
    ]);
  });

  it("an external database: its URL from a secret, no PostgreSQL container, no data volume", () => {
    const url = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webapp/database-url-AbCdEf";
    const { json: external, parsed } = synthInput("edge", {
      ...definition("single-host"),
      singleHost: { instanceType: "t3.small", database: { mode: "external", urlSecretArn: url, cidrs: ["10.99.0.0/24"] } },
    });
    const rendered = compose(parsed);
    expect(Object.keys(rendered.services).sort()).toEqual(["api", "frontend", "proxy"]);
    expect(JSON.parse(hostFiles(parsed)["/etc/app-host/secrets.json"])).toEqual({ api: { DATABASE_URL: url } });
    expect(external).not.toHaveResource(EbsVolume);
    expect(external).not.toHaveResource(DlmLifecyclePolicy);
    expect(resourcesOf(parsed, "aws_vpc_security_group_egress_rule").map((r) => [r.from_port, r.cidr_ipv4])).toEqual([
      [443, "0.0.0.0/0"],
      [5432, "10.99.0.0/24"],
    ]);
    expect(statementsOf(byPath(parsed, "aws_iam_role_policy", "host/policy")).find((s) => s.Sid === "ReadNamedSecrets")!.Resource).toEqual([
      url,
    ]);
  });

  it("a Graviton type runs the arm64 AMI and compose build", () => {
    const { parsed } = synthInput("edge", {
      ...definition("single-host"),
      singleHost: { ...definition("single-host").singleHost, instanceType: "t4g.small" },
    });
    expect(Object.values(parsed.data!.aws_ssm_parameter)[0].name).toBe(
      "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    );
    expect(hostFiles(parsed)["/etc/app-host/host.env"]).toContain("docker-compose-linux-aarch64\n");
  });
});

describe("the tarball of the host's static files", () => {
  it("unpacks with GNU tar, as the first boot command does, to the same files and modes", () => {
    const userData = resourcesOf(tf, "aws_instance")[0].user_data as string;
    const archive = (
      JSON.parse(userData.slice("#cloud-config\n".length)) as { write_files: { path: string; content: string }[] }
    ).write_files.find((f) => f.path === STATIC_FILES_ARCHIVE)!;
    const dir = scratchDir("host-files-");
    writeFileSync(join(dir, "files.tar.gz"), Buffer.from(archive.content, "base64"));
    mkdirSync(join(dir, "root"));
    execFileSync("tar", ["--extract", "--gzip", "--file", join(dir, "files.tar.gz"), "--directory", join(dir, "root")]);
    expect(readFileSync(join(dir, "root", "usr/local/libexec/app-host/migrate"), "utf8")).toBe(
      files["/usr/local/libexec/app-host/migrate"],
    );
    expect(statSync(join(dir, "root", "usr/local/libexec/app-host/migrate")).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, "root", "etc/app-host/compose.json")).mode & 0o777).toBe(0o644);
    expect(JSON.parse(readFileSync(join(dir, "root", "etc/app-host/compose.json"), "utf8"))).toEqual(composed);
  });
});

describe("the single host's release migration", () => {
  it("runs with the service's container before the containers start, from the installed migrate script", () => {
    expect(JSON.parse(files["/etc/app-host/migrate.json"])).toEqual({
      service: "api",
      command: ["alembic", "upgrade", "head"],
      timeoutMinutes: 10,
      logGroup: "/host/webapp-single-host/api",
    });
    const unit = files["/etc/systemd/system/app-host.service"];
    expect(unit.indexOf("ExecStartPre=/usr/local/libexec/app-host/migrate")).toBeGreaterThan(
      unit.indexOf("ExecStartPre=/usr/local/libexec/app-host/prepare"),
    );
    expect(unit.indexOf("ExecStartPre=/usr/local/libexec/app-host/migrate")).toBeLessThan(unit.indexOf("ExecStart="));
    expect(files["/usr/local/libexec/app-host/migrate"]).toBe(
      readFileSync(join(__dirname, "..", "src", "host", "files", "migrate.py"), "utf8"),
    );
  });

  it("stops a deploy before any container moves when it fails, putting the previous release back", () => {
    const deploy = files["/usr/local/libexec/app-host/deploy"];
    const migrateAt = deploy.indexOf('"$libexec/migrate"');
    expect(migrateAt).toBeGreaterThan(deploy.indexOf('sed -E "s/=.*/=$release/"'));
    expect(migrateAt).toBeLessThan(deploy.indexOf("if start; then"));
    expect(deploy.slice(migrateAt)).toMatch(
      /mv "\$releases.previous" "\$releases"\n\s+echo "release \$release was not deployed: its migration failed" >&2\n\s+exit 1/,
    );
  });

  it("is absent where a definition names none", () => {
    const fastapi = hostFiles(committedStack("autoblog-host").parsed);
    expect(fastapi["/etc/app-host/migrate.json"]).toBeUndefined();
    expect(fastapi["/etc/systemd/system/app-host.service"]).not.toContain("migrate");
  });
});

describe("the host's scripts", () => {
  const dir = join(__dirname, "..", "src", "host", "files");
  it.each(readdirSync(dir))("%s parses", (file) => {
    if (file.endsWith(".py")) execFileSync("python3", ["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", join(dir, file)]);
    else execFileSync("bash", ["-n", join(dir, file)]);
  });

  it("are the ones the user data installs", () => {
    for (const [path, file] of [
      ["/usr/local/libexec/app-host/install", "install.sh"],
      ["/usr/local/libexec/app-host/prepare", "prepare.sh"],
      ["/usr/local/libexec/app-host/render-env", "render-env.py"],
      ["/usr/local/libexec/app-host/health", "health.py"],
      ["/usr/local/libexec/app-host/deploy", "deploy.sh"],
    ])
      expect(files[path]).toBe(readFileSync(join(dir, file), "utf8"));
  });
});

describe("prepare pins every image by the digest its tag names, before any compose command", () => {
  const digest = `sha256:${"c".repeat(64)}`;
  /** Runs the host's prepare with stand-ins for render-env, the AWS CLI and docker; ECR knows only `known` (repository:tag). */
  const prepare = (releases: string, images: string, known: readonly string[]) => {
    const dir = scratchDir("prepare-");
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    stub("render-env", "exit 0");
    // Reads what login is piped, as docker does: an unread pipe would fail the AWS CLI's side (SIGPIPE) at random.
    stub("docker", 'if [[ "$1" == login ]]; then cat >/dev/null; fi; echo "docker $*" >> "$(dirname "$0")/../docker.log"');
    stub(
      "aws",
      [
        'if [[ "$1 $2" == "ecr get-login-password" ]]; then echo token; exit 0; fi',
        'repository=""; tag=""; while (($#)); do case "$1" in --repository-name) repository=$2;; --image-ids) tag=${2#imageTag=};; esac; shift; done',
        `case " ${known.join(" ")} " in *" $repository:$tag "*) echo '${digest}';; *) echo None;; esac`,
      ].join("\n"),
    );
    writeFileSync(join(dir, "release.env"), releases);
    writeFileSync(join(dir, "images.tsv"), images);
    const script = join(__dirname, "..", "src", "host", "files", "prepare.sh");
    const result = spawnSync("bash", [script], {
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        APP_HOST_DIR: dir,
        APP_LIBEXEC: bin,
        APP_REGION: "us-east-1",
        APP_REGISTRY: "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        APP_NAME: "webapp",
      },
    });
    return { ...result, releases: readFileSync(join(dir, "release.env"), "utf8"), dir };
  };
  const images = "APP_IMAGE_API\twebapp/api\tAPP_RELEASE_API\t1.0.0\nAPP_IMAGE_PROXY_SIDE\twebapp/side\t-\t2.0.0\n";

  it("resolves the released tag, or the defined one, and replaces the previous pins", () => {
    const run = prepare("APP_RELEASE_API=abc1234\nAPP_IMAGE_API=old@sha256:0\n", images, ["webapp/api:abc1234", "webapp/side:2.0.0"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    expect(run.releases).toBe(
      `APP_RELEASE_API=abc1234\nAPP_IMAGE_API=${registry}/webapp/api@${digest}\nAPP_IMAGE_PROXY_SIDE=${registry}/webapp/side@${digest}\n`,
    );
    expect(readFileSync(join(run.dir, "docker.log"), "utf8")).toContain(`compose --project-name webapp --env-file ${run.dir}/release.env`);
  });

  it("fails, pulling nothing, when a tag names no image", () => {
    const run = prepare("APP_RELEASE_API=abc1234\n", images, ["webapp/side:2.0.0"]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("no image webapp/api:abc1234 in ECR");
    expect(readFileSync(join(run.dir, "docker.log"), "utf8")).not.toContain("pull");
  });
});
