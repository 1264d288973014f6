import { z } from "zod";
import { edgeIssues, edgeSchema } from "./edge-schema";
import { jobOutsideHours, type OfficeHours, officeHoursSchema } from "./office-hours";
import { jobIssues, jobSchema } from "./jobs-schema";
import { releaseIssues, releaseSchema } from "./release-schema";
import { cidrBlock, dnsName, hostedZoneName, outsideZone, SECRET_ARN, shortName, tags } from "./fields";
import { CidrError, overlaps, parseCidr } from "./cidr";
import { arnProblem, isPostgresVersion, offersCacheNodeType, offersHostType, offersPostgresClass, OFFERINGS_SOURCE } from "./offerings";
import { describeFargateMemory, FARGATE_CPU, fargateMemoryOptions } from "./fargate";
import { cacheSchema, databaseSchema } from "./data-schema";
import { deliverySchema } from "./delivery-schema";
import { retentionDays, retentionDescription } from "./log-retention";
import { observabilitySchema } from "./observability-schema";
import { REGIONS, REGION_ZONES } from "./regions";
import {
  DATABASE_CONTAINER,
  HOST_RESERVED_MIB,
  INSTANCE_MEMORY_MIB,
  PROXY_CONTAINER,
  PROXY_MEMORY_MIB,
  singleHostSchema,
} from "./single-host-schema";

export const ARCHITECTURES = ["x86_64", "arm64"] as const;
export const NAT_STRATEGIES = ["none", "instance", "single", "perAz"] as const;
/** Interface endpoints a definition may ask for in its private subnets ("ecr" is two: ecr.api and ecr.dkr). */
export const INTERFACE_ENDPOINTS = ["ecr", "logs", "secretsmanager", "ssm", "ssmmessages", "kms"] as const;

/** Single hyphens and none last: the project lands inside RDS and ElastiCache identifiers, which refuse both. */
const lowerKebab = /^[a-z](?:-?[a-z0-9])+$/;
/**
 * Name beginnings AWS keeps: SSM parameters and documents (aws, ssm, amazon, amzn), load balancers
 * (internal-), security groups (sg-), S3 buckets (sthree-; xn-- has a double hyphen, refused anyway).
 */
const RESERVED_PROJECT = /^(aws|ssm|amazon|amzn)|^(internal|sg|sthree)(-|$)/i;
/**
 * ALB listener rules: at most 3 values per condition (paths, hosts) and 5 per rule, at most 5
 * wildcards (* or ?), each value at most 128 characters.
 */
const MAX_CONDITION_VALUES = 3;
const MAX_RULE_VALUES = 5;
/**
 * A release pipeline's role names each service it deploys (about 350 characters a rolling
 * service, 525 a blue/green one, at the longest names); IAM holds a role's inline policies to
 * 10,240 characters. Rolling services weigh 2, blue/green 3; delivery.test.ts proves the limit.
 */
export const MAX_RELEASE_WEIGHT = 40;

/** What the services a pipeline deploys weigh against MAX_RELEASE_WEIGHT. */
export function releaseWeight(services: readonly { readonly deployment?: string }[]): number {
  return services.reduce((sum, s) => sum + (s.deployment === "blueGreen" ? 3 : 2), 0);
}
/**
 * A service's secret ARNs are listed in its execution role's inline policy (IAM: 10,240 characters
 * a role, about 1,500 taken by the rest); services.test.ts proves the limit.
 */
export const MAX_SECRET_ARN_CHARACTERS = 8000;
/** A task definition is at most 64 KiB; the service's own settings may take this much of it (services.test.ts proves it). */
export const MAX_CONTAINER_SETTINGS = 56000;
/** ALB target group health check paths: at most 1,024 characters. */
const MAX_HEALTH_CHECK_PATH = 1024;
/** Web services behind one load balancer: its security group takes 60 rules by default, one outbound per service. */
const MAX_WEB_SERVICES = 50;

const subnetBits = z.number().int().min(1).max(12);

/** Ranges CreateVpc refuses: "this network", loopback, link-local, multicast and reserved. */
const RESERVED_RANGES = ["0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4"];

/** Whether two CIDRs overlap; false for text that is no CIDR (cidrBlock reports it). */
function overlapsIfValid(a: string, b: string): boolean {
  try {
    return overlaps(parseCidr(a), parseCidr(b));
  } catch (error) {
    if (!(error instanceof CidrError)) throw error;
    return false;
  }
}

export const networkSchema = z.strictObject({
  vpcCidr: cidrBlock
    .refine((value) => {
      const prefix = Number(value.split("/")[1]);
      return prefix >= 16 && prefix <= 24;
    }, "a VPC CIDR must have a prefix length from /16 to /24")
    .refine(
      (value) => !RESERVED_RANGES.some((range) => overlapsIfValid(value, range)),
      `must not overlap a reserved range (${RESERVED_RANGES.join(", ")}); use a private range such as 10.0.0.0/16`,
    )
    .describe(
      `The VPC's IPv4 CIDR block, /16 to /24, outside the reserved ranges (${RESERVED_RANGES.join(", ")}). VPCs of one account and region must not overlap unless allowOverlap is set.`,
    ),
  azCount: z
    .number()
    .int()
    .min(1)
    .describe(
      "Availability zones to spread the subnets over, at most what the region offers: at least 2 for an ECS environment, 1 or 2 for a single host.",
    ),
  natStrategy: z
    .enum(NAT_STRATEGIES, { error: `must be one of: ${NAT_STRATEGIES.join(", ")}` })
    .optional()
    .describe(
      "How the private subnets reach the internet: none (they do not: the tasks reach AWS through interfaceEndpoints and S3 through its gateway endpoint; every service must say internetEgress: false), instance (one t4g.nano NAT instance, the cheapest: a few Mbps of baseline bandwidth, egress stops while EC2 recovers it or with its AZ; not in production), single (one NAT gateway, egress fails with its AZ) or perAz (a NAT gateway in each AZ). Required for an ECS environment; a single host has no private subnets and takes none.",
    ),
  interfaceEndpoints: z
    .array(z.enum(INTERFACE_ENDPOINTS, { error: `must list only: ${INTERFACE_ENDPOINTS.join(", ")}` }))
    .default([])
    .refine((list) => new Set(list).size === list.length, "lists an endpoint twice")
    .describe(
      "VPC interface endpoints in each private subnet, with private DNS, so the tasks reach these AWS services without NAT: ecr (ecr.api and ecr.dkr: pulling images), logs, secretsmanager and ssm (secrets and the database's settings), ssmmessages (ECS Exec), kms. Each costs about $7.30 a month per AZ plus $0.01/GB. Required with natStrategy none for what the services use. Default: none.",
    ),
  subnetBits: z
    .strictObject({
      public: subnetBits.default(5).describe("Extra prefix bits of the public subnets (load balancer, NAT gateways, a single host)."),
      private: subnetBits.default(3).describe("Extra prefix bits of the private subnets (the services' tasks)."),
      isolated: subnetBits.default(5).describe("Extra prefix bits of the isolated subnets (database and cache)."),
    })
    .default({ public: 5, private: 3, isolated: 5 })
    .describe(
      "Extra prefix bits each subnet tier takes from the VPC CIDR, like cidrsubnet's newbits: more bits, smaller subnets. In an ECS environment with web services the public subnets must be /27 or larger, and no subnet may be smaller than /28.",
    ),
  allowOverlap: z
    .boolean()
    .default(false)
    .describe(
      "Let this VPC's CIDR overlap those of other definitions in its account and region; only for VPCs that are never peered or routed to each other.",
    ),
  flowLogs: z
    .strictObject({
      enabled: z.boolean().default(true).describe("Record the VPC's flow logs."),
      retentionDays: retentionDays.default(90).describe(retentionDescription("the flow logs")),
    })
    .default({ enabled: true, retentionDays: 90 })
    .describe("VPC flow logs, written to CloudWatch Logs."),
});

export const SERVICE_ROLES = ["web", "worker", "scheduler"] as const;
export const DEPLOYMENT_STRATEGIES = ["rolling", "blueGreen"] as const;
export const STORAGE_ACCESS = ["read", "readWrite"] as const;
export const DATA_STORES = ["database", "cache"] as const;
/** Container variables a data store sets in the services that connect to it. */
const DATA_STORE_VARIABLE_PREFIX = { database: "DATABASE_", cache: "REDIS_" } as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variable names that say they hold a credential: such values belong in `secrets`, never in plain `environment`. */
export const CREDENTIAL_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY)/i;
const envVarName = z.string().regex(ENV_NAME, "environment variable names are letters, digits and underscores");

const scalingSchema = z
  .strictObject({
    min: z.number().int().min(0).describe("Fewest tasks the scaler keeps; at most max."),
    max: z.number().int().min(1).describe("Most tasks the scaler starts."),
    cpuTarget: z.number().min(10).max(95).default(70).describe("Average CPU utilisation, percent, the scaler keeps the service at."),
    memoryTarget: z.number().min(10).max(95).default(80).describe("Average memory utilisation, percent, the scaler keeps the service at."),
    requestsPerTarget: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "Load balancer requests per task per minute the scaler aims for; web services with rolling deployment only. Default: no request-count scaling.",
      ),
    scaleInCooldownSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(300)
      .describe("Seconds after a scale-in before the scaler removes more tasks."),
    scaleOutCooldownSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(60)
      .describe("Seconds after a scale-out before the scaler adds more tasks."),
  })
  .refine((s) => s.min <= s.max, { path: ["min"], message: "must not exceed max" });

/** Fargate's task sizes, for the memory field's description. */
const FARGATE_MEMORY = FARGATE_CPU.map(describeFargateMemory).join("; ");

export const serviceSchema = z
  .strictObject({
    name: shortName.describe(
      "Service name, unique in the environment: 1-20 lower-case letters, digits or hyphens, starting with a letter and not ending with a hyphen. Resources are named <project>-<environment>-<name>; a single host keeps proxy and postgres for itself.",
    ),
    role: z
      .enum(SERVICE_ROLES, { error: `must be one of: ${SERVICE_ROLES.join(", ")}` })
      .describe(
        "web: behind the load balancer, which routes requests to it by routing; worker: no inbound traffic, and may run on Fargate Spot; scheduler: exactly one task, never autoscaled.",
      ),
    image: z
      .strictObject({
        repository: z
          .string()
          .regex(/^[a-z]([a-z0-9-]{0,28}[a-z0-9])?$/, "must be 1-30 lower-case letters, digits or hyphens, not ending with a hyphen")
          .optional()
          .describe(
            "ECR repository, <project>/<repository> in the project's images stack, shared by every service and environment that names it: 1-30 lower-case letters, digits or hyphens. Default: the service name.",
          ),
        tag: z
          .string()
          .regex(/^[\w][\w.-]{0,127}$/, "must be a valid image tag")
          .describe(
            "Image tag, up to 128 letters, digits, _, . or -; production refuses latest. Once a delivery pipeline has released the image, the released tag is used instead.",
          ),
      })
      .describe("The container image, from the project's ECR repositories."),
    cpu: z
      .number()
      .refine((cpu) => FARGATE_CPU.includes(cpu), `must be one of Fargate's CPU sizes: ${FARGATE_CPU.join(", ")}`)
      .describe(`CPU units of the task (1024 is one vCPU; on a single host, the container's limit): one of ${FARGATE_CPU.join(", ")}.`),
    memory: z
      .number()
      .int()
      .describe(`Memory of the task, MiB (on a single host, the container's limit), a size Fargate accepts: ${FARGATE_MEMORY}.`),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "The port the container listens on, where the load balancer (or a single host's proxy) reaches it. Required for web services.",
      ),
    command: z.array(z.string()).optional().describe("Command and arguments that replace the image's own command. Default: the image's."),
    environment: z
      .record(envVarName, z.string())
      .default({})
      .describe(
        "Plain environment variables, name to value. Names that look like credentials (PASSWORD, SECRET, TOKEN, API_KEY, …) are refused: pass those in secrets. DATABASE_* and REDIS_* are set from the data stores in connectsTo.",
      ),
    secrets: z
      .record(envVarName, z.string())
      .default({})
      .describe(
        "Secret environment variables: name to the ARN of a Secrets Manager secret (with its 6-character suffix) or SSM parameter, injected by ECS at start. The execution role may read exactly these; a name may not also be in environment.",
      ),
    healthCheckPath: z
      .string()
      .regex(/^\//, "must start with /")
      .max(MAX_HEALTH_CHECK_PATH, `a target group health check path takes at most ${MAX_HEALTH_CHECK_PATH} characters`)
      .default("/health")
      .describe("Web services: the path the load balancer's health check requests (a single host's health report too)."),
    containerHealthCheck: z
      .strictObject({
        command: z
          .array(z.string())
          .min(1, "give the command and its arguments")
          .describe("The command and its arguments, run in the container without a shell (CMD); exit status 0 means healthy."),
        intervalSeconds: z.number().int().min(5).max(300).default(30).describe("Seconds between checks."),
        timeoutSeconds: z.number().int().min(2).max(60).default(5).describe("Seconds a check may take before it counts as failed."),
        retries: z.number().int().min(1).max(10).default(3).describe("Consecutive failed checks after which the container is unhealthy."),
        startPeriodSeconds: z
          .number()
          .int()
          .min(0)
          .max(300)
          .default(60)
          .describe("Seconds after the container starts during which failed checks do not count."),
      })
      .optional()
      .describe(
        "A command run inside the container to check it; ECS replaces a task that keeps failing it. Default: none (the load balancer checks web services).",
      ),
    routing: z
      .strictObject({
        paths: z
          .array(z.string().regex(/^\/[\w\-./*?]*$/, "must be a URL path pattern starting with /"))
          .default([])
          .describe(
            "URL path patterns, like /api/*, where * and ? are wildcards: at most 3, and with hosts at most 5 values and 5 wildcards in all, each at most 128 characters.",
          ),
        hosts: z
          .array(z.string().regex(/^[a-z0-9*.-]+$/, "must be a host name pattern"))
          .default([])
          .describe("Host name patterns, like api.example.com or *.example.com: at most 3, and with paths at most 5 values in all."),
        priority: z
          .number()
          .int()
          .min(1)
          .max(50000)
          .describe("The listener rule's priority, unique in the environment: the lowest matching rule wins."),
      })
      .optional()
      .describe(
        "Web services: the requests the load balancer (or a single host's proxy) sends here, by path and/or host; required for web services, refused for others.",
      ),
    desiredCount: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("Tasks to run. Default: scaling.min with scaling, else 1; a scheduler and every service on a single host run exactly 1."),
    scaling: scalingSchema
      .optional()
      .describe("Target-tracking autoscaling of the task count; not for schedulers or a single host. Default: none, a fixed desiredCount."),
    deployment: z
      .enum(DEPLOYMENT_STRATEGIES, { error: `must be one of: ${DEPLOYMENT_STRATEGIES.join(", ")}` })
      .default("rolling")
      .describe(
        "rolling: ECS replaces tasks, and its circuit breaker rolls a failed deployment back. blueGreen: CodeDeploy shifts load-balancer traffic to the new version; web services in an ECS environment only, released only by the delivery pipeline (delivery.builds).",
      ),
    spotPercent: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(0)
      .describe(
        "Percent of tasks, by capacity provider weight, on Fargate Spot (about 70 % cheaper; AWS may interrupt a task with two minutes' notice, and ECS starts another): ECS environments, not a scheduler; in production, workers only.",
      ),
    onDemandBase: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        "With spotPercent: tasks placed on on-demand Fargate before any goes to Spot, at most the service's count (desiredCount, or scaling.min). Default: 1.",
      ),
    connectsTo: z
      .array(z.enum(DATA_STORES, { error: `must list only: ${DATA_STORES.join(", ")}` }))
      .default([])
      .describe(
        "The environment's data stores the service uses: each opens the network path, grants the rights and sets the DATABASE_* or REDIS_* variables. The store must be defined (on a single host, singleHost.database; a single host has no cache).",
      ),
    storage: z
      .enum(STORAGE_ACCESS, { error: `must be one of: ${STORAGE_ACCESS.join(", ")}` })
      .optional()
      .describe("Access to the environment's application bucket: read or readWrite. Default: none."),
    internetEgress: z
      .boolean()
      .default(true)
      .describe(
        "Whether the service calls anything outside AWS's endpoints (a payment API, a webhook, a package mirror): natStrategy none needs false on every service. Default: true.",
      ),
    exec: z
      .boolean()
      .default(false)
      .describe(
        "ECS Exec, a shell in a running task; ECS environments only. Its SSM agent writes to the root filesystem, so the service then runs with a writable root.",
      ),
    readonlyRootFilesystem: z
      .boolean()
      .optional()
      .describe(
        "Run the container with a read-only root filesystem and a writable /tmp volume. Default: on, or off with exec; on together with exec is refused.",
      ),
    logRetentionDays: retentionDays
      .default(30)
      .describe(
        `${retentionDescription("the service's log group /ecs/<project>-<environment>/<name>")} A single host uses singleHost.logRetentionDays instead.`,
      ),
  })
  .superRefine((svc, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (FARGATE_CPU.includes(svc.cpu) && !fargateMemoryOptions(svc.cpu).includes(svc.memory))
      issue("memory", describeFargateMemory(svc.cpu));
    for (const name of Object.keys(svc.environment)) {
      if (CREDENTIAL_NAME.test(name))
        issue("environment", `${name} looks like a credential; pass it in secrets (a Secrets Manager secret or SSM parameter ARN)`);
    }
    for (const [name, arn] of Object.entries(svc.secrets)) {
      if (!SECRET_ARN.test(arn))
        issue("secrets", `${name}: "${arn}" is not a Secrets Manager secret ARN (with its 6-character suffix) or SSM parameter ARN`);
      else if (arnProblem(arn)) issue("secrets", `${name}: ${arnProblem(arn)}`);
      if (Object.hasOwn(svc.environment, name))
        issue("secrets", `${name} is also a plain variable in environment; a variable is either plain or secret`);
    }
    const secretArns = [...new Set(Object.values(svc.secrets))];
    const secretCharacters = secretArns.reduce((sum, arn) => sum + arn.length + 3, 0);
    if (secretCharacters > MAX_SECRET_ARN_CHARACTERS)
      issue(
        "secrets",
        `their ARNs take ${secretCharacters} characters of the execution role's policy, which IAM holds to 10,240; keep them under ${MAX_SECRET_ARN_CHARACTERS} (fewer secrets: one JSON secret can hold many values)`,
      );
    // As the container definition spells them: [{"name","value"}], [{"name","valueFrom"}], ["…"].
    const containerCharacters = JSON.stringify([
      Object.entries(svc.environment).map(([name, value]) => ({ name, value })),
      Object.entries(svc.secrets).map(([name, valueFrom]) => ({ name, valueFrom })),
      svc.command ?? [],
    ]).length;
    if (containerCharacters > MAX_CONTAINER_SETTINGS)
      issue(
        "environment",
        `environment, secrets and command take ${containerCharacters} characters; a task definition holds 65,536 in all, so keep them under ${MAX_CONTAINER_SETTINGS}`,
      );
    if (svc.routing) {
      const values = [...svc.routing.paths, ...svc.routing.hosts];
      const wildcards = values.join("").replace(/[^*?]/g, "").length;
      for (const condition of ["paths", "hosts"] as const) {
        const count = svc.routing[condition].length;
        if (count > MAX_CONDITION_VALUES)
          issue(
            "routing",
            `${count} ${condition}; a listener rule condition takes at most ${MAX_CONDITION_VALUES} (use a wildcard or split the service)`,
          );
      }
      if (values.length > MAX_RULE_VALUES)
        issue(
          "routing",
          `${values.length} paths and hosts; a listener rule takes at most ${MAX_RULE_VALUES} (split the service or use a prefix)`,
        );
      else if (wildcards > MAX_RULE_VALUES)
        issue("routing", `${wildcards} wildcards (* or ?); a listener rule takes at most ${MAX_RULE_VALUES}`);
      const long = values.find((v) => v.length > 128);
      if (long) issue("routing", `"${long.slice(0, 40)}…" is ${long.length} characters; a listener rule value takes at most 128`);
    }
    if (svc.role === "web") {
      if (svc.port === undefined) issue("port", "web services need a container port");
      if (!svc.routing) issue("routing", "web services need routing (paths and/or hosts, and a priority)");
      else if (svc.routing.paths.length + svc.routing.hosts.length === 0) issue("routing", "give at least one path or host");
      if (svc.deployment === "blueGreen" && svc.scaling?.requestsPerTarget !== undefined)
        issue(
          "scaling",
          "requestsPerTarget counts one target group's requests, and blue/green moves traffic to the other one; scale on cpuTarget or memoryTarget",
        );
    } else {
      if (svc.routing) issue("routing", `only web services are behind the load balancer; ${svc.role} services take no routing`);
      if (svc.deployment === "blueGreen") issue("deployment", "blue/green shifts load-balancer traffic; only web services can use it");
      if (svc.scaling?.requestsPerTarget !== undefined)
        issue("scaling", "requestsPerTarget needs a load balancer; only web services have one");
    }
    if (svc.role === "scheduler") {
      if (svc.scaling) issue("scaling", "a scheduler runs exactly one task; it cannot autoscale");
      if (svc.desiredCount !== undefined && svc.desiredCount !== 1) issue("desiredCount", "a scheduler runs exactly one task");
    }
    if (svc.role === "scheduler" && svc.spotPercent > 0)
      issue("spotPercent", "a scheduler runs exactly one task; a Spot interruption would stop its schedule");
    if (svc.onDemandBase !== undefined) {
      const count = svc.desiredCount ?? svc.scaling?.min ?? 1;
      if (svc.spotPercent === 0) issue("onDemandBase", "places tasks between on-demand and Spot: set spotPercent too, or remove it");
      else if (svc.onDemandBase > count)
        issue("onDemandBase", `${svc.onDemandBase} on-demand tasks before Spot, but the service runs ${count}`);
    }
    if (svc.exec && svc.readonlyRootFilesystem === true)
      issue(
        "exec",
        "ECS Exec needs a writable root filesystem (its SSM agent writes there): remove readonlyRootFilesystem or set it false",
      );
  })
  .describe("One service: a container on ECS Fargate, or a compose service on a single host.");

export const albSchema = z.strictObject({
  idleTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(4000)
    .default(60)
    .describe("Seconds a connection may stay idle before the load balancer closes it."),
  domain: z
    .strictObject({
      name: dnsName.describe("The host name the load balancer serves: the zone's apex or a name under it, at most 64 characters (ACM)."),
      hostedZone: hostedZoneName.describe(
        "The existing public Route53 hosted zone the certificate is validated and the alias record added in.",
      ),
    })
    .optional()
    .describe(
      "Serve HTTPS on this name: an ACM certificate validated by DNS in the zone, HTTP redirected to HTTPS, and an alias record. Default: plain HTTP.",
    ),
  testListenerPort: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(8443)
    .describe("Port of the test listener on which blue/green deployments serve the new version before traffic shifts; not 80 or 443."),
  testListenerCidrs: z
    .array(cidrBlock)
    .max(20)
    .default([])
    .describe(
      "Networks besides the VPC that may reach the test listener, which serves the unreleased version during a blue/green deployment; production refuses /0 ranges. Default: the VPC only.",
    ),
});

export const environmentSchema = z
  .strictObject({
    $schema: z
      .string()
      .optional()
      .describe("The JSON Schema editors check this file against: ../schema/environment.schema.json; the build ignores it."),
    about: z
      .array(z.string())
      .optional()
      .describe("Free text for readers, such as what the definition changed from its design and why; the build ignores it."),
    project: z
      .string()
      .regex(lowerKebab, "must be lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen")
      .refine(
        (p) => !RESERVED_PROJECT.test(p),
        "must not begin with aws, ssm, amazon, amzn, internal-, sg- or sthree-: AWS keeps those names",
      )
      .describe(
        "Short product name that prefixes every resource name: lower-case letters, digits and single hyphens, starting with a letter, not beginning with aws, ssm, amazon, amzn, internal-, sg- or sthree-. <project>-<environment> must be unique across definitions and at most 20 characters.",
      ),
    region: z
      .enum(REGIONS as [string, ...string[]], { error: `must be one of the supported regions: ${REGIONS.join(", ")}` })
      .describe("The AWS region: one whose availability zones every account sees alike (src/config/regions.ts)."),
    production: z
      .boolean()
      .default(false)
      .describe(
        "A production environment: deletion protection and final snapshots, load balancer access logs, larger data store defaults, and stricter checks (no latest image tags, a pipeline approval, authenticated cache access).",
      ),
    account: z
      .string()
      .regex(/^\d{12}$/, "must be a 12-digit AWS account id")
      .optional()
      .describe(
        "The 12-digit id of the AWS account the environment lives in; the provider refuses credentials of any other account (allowed_account_ids). Default: any account, with a synth warning in production.",
      ),
    architecture: z
      .enum(ARCHITECTURES, { error: `must be one of: ${ARCHITECTURES.join(", ")}` })
      .optional()
      .describe(
        "CPU architecture of an ECS environment's tasks and of the images its releases build: arm64 (Graviton, about 20 % cheaper a vCPU-hour, Spot included) needs images that build for arm64. Environments along a promotion chain share one. A single host's follows singleHost.instanceType. Default: x86_64.",
      ),
    network: networkSchema.describe("The VPC: its CIDR, availability zones, NAT gateways, subnet sizes and flow logs."),
    services: z.array(serviceSchema).default([]).describe("The services the environment runs, one entry per container."),
    alb: albSchema
      .optional()
      .describe(
        "The application load balancer of an ECS environment's web services; a single host refuses it. Default: HTTP, idle timeout 60 s, test listener on 8443 for the VPC only.",
      ),
    database: databaseSchema
      .optional()
      .describe(
        "PostgreSQL on RDS, in the isolated subnets; ECS environments only (a single host has singleHost.database). Default: none.",
      ),
    cache: cacheSchema
      .optional()
      .describe("Redis OSS or Valkey on ElastiCache (cluster mode off), in the isolated subnets; ECS environments only. Default: none."),
    singleHost: singleHostSchema
      .optional()
      .describe("Run the services on one EC2 instance with docker compose instead of ECS Fargate. Default: an ECS environment."),
    jobs: z
      .array(jobSchema)
      .max(20)
      .default([])
      .describe(
        "Commands run on a schedule, each with one service's image and settings: EventBridge Scheduler starting a one-off ECS task, or a systemd timer running docker compose run on a single host. Failures page through the alarm topic. Default: none.",
      ),
    officeHours: officeHoursSchema.optional(),
    edge: edgeSchema.optional(),
    release: releaseSchema.optional().describe("Steps of every release: a database migration before any service moves. Default: none."),
    observability: observabilitySchema.describe(
      "Who the alarms notify, and their thresholds; the alarms and the dashboard follow from what the stack holds.",
    ),
    delivery: deliverySchema
      .optional()
      .describe(
        "An AWS-native release pipeline: CodePipeline takes each commit of a GitHub branch, CodeBuild builds the images (tagged with the commit id), a person approves where asked, and ECS, CodeDeploy or SSM on a single host deploys. Default: none.",
      ),
    tags,
  })
  .superRefine((env, ctx) => {
    const serviceIssue = (index: number, field: string, message: string) =>
      ctx.addIssue({ code: "custom", path: ["services", index, field], message });
    const seen = new Map<string, number>();
    const priorities = new Map<number, string>();
    env.services.forEach((svc, i) => {
      if (seen.has(svc.name)) serviceIssue(i, "name", `"${svc.name}" is already the name of services[${seen.get(svc.name)}]`);
      seen.set(svc.name, i);
      if (env.production && svc.image.tag === "latest") serviceIssue(i, "image", 'production images need a fixed tag, not "latest"');
      if (env.production && svc.role !== "worker" && svc.spotPercent > 0)
        serviceIssue(i, "spotPercent", "in production only workers may run on Fargate Spot (interruptions)");
      for (const store of svc.connectsTo) {
        const missing = dataStoreMissing(env, store);
        if (missing) serviceIssue(i, "connectsTo", missing);
        const prefix = DATA_STORE_VARIABLE_PREFIX[store];
        const taken = [...Object.keys(svc.environment), ...Object.keys(svc.secrets)].filter((v) => v.startsWith(prefix));
        if (taken.length) serviceIssue(i, "connectsTo", `${taken.join(", ")}: ${prefix}* variables are set from the ${store}; rename them`);
      }
      if (svc.routing) {
        const other = priorities.get(svc.routing.priority);
        if (other) serviceIssue(i, "routing", `priority ${svc.routing.priority} is already used by "${other}"`);
        priorities.set(svc.routing.priority, svc.name);
      }
    });
    // The load balancer's security group takes one outbound rule per web service (60 a group by
    // default), and its listeners 100 rules (a blue/green service takes two).
    const web = env.services.filter((svc) => svc.role === "web");
    const rules = web.reduce((sum, svc) => sum + (svc.deployment === "blueGreen" ? 2 : 1), 0);
    if (!env.singleHost && (web.length > MAX_WEB_SERVICES || rules > 100))
      ctx.addIssue({
        code: "custom",
        path: ["services"],
        message: `${web.length} web services; one load balancer takes at most ${MAX_WEB_SERVICES} (its security group's rules) and 100 listener rules`,
      });
    if (env.services.some((svc) => svc.deployment === "blueGreen") && [80, 443].includes(env.alb?.testListenerPort ?? 8443)) {
      ctx.addIssue({
        code: "custom",
        path: ["alb", "testListenerPort"],
        message: "must differ from the production listeners' ports (80, 443)",
      });
    }
    if (env.production && env.alb?.testListenerCidrs.some((cidr) => cidr.endsWith("/0")))
      ctx.addIssue({
        code: "custom",
        path: ["alb", "testListenerCidrs"],
        message: "a production test listener serves unreleased versions: name the networks that test them, not the internet",
      });
    const delivered = new Set(
      Object.keys(env.delivery?.builds ?? {}).flatMap((name) => env.services.filter((s) => s.name === name).map(imageRepository)),
    );
    env.services.forEach((svc, i) => {
      // A promoted release's images are known once every definition is (loadEnvironments checks them).
      if (svc.deployment === "blueGreen" && !env.delivery?.promoteFrom && !delivered.has(imageRepository(svc)))
        serviceIssue(
          i,
          "deployment",
          "a blue/green service is released only by its pipeline (CodeDeploy shifts its traffic; Terraform leaves its task definition alone): build its image in delivery.builds, or deploy it rolling",
        );
    });
    jobIssues(env, (path, message) => ctx.addIssue({ code: "custom", path, message }));
    edgeIssues(env, (path, message) => ctx.addIssue({ code: "custom", path, message }));
    if (env.officeHours) officeHoursIssues(env, env.officeHours, (path, message) => ctx.addIssue({ code: "custom", path, message }));
    releaseIssues(env, (path, message) => ctx.addIssue({ code: "custom", path, message }));
    if (env.delivery) deliveryIssues(env, ctx);
    if (env.singleHost) singleHostIssues(env, ctx);
    else if (!env.network.natStrategy)
      ctx.addIssue({ code: "custom", path: ["network", "natStrategy"], message: `is required: one of ${NAT_STRATEGIES.join(", ")}` });
    if (!env.singleHost) egressIssues(env, (path, message) => ctx.addIssue({ code: "custom", path, message }));
    if (env.production && env.network.natStrategy === "instance")
      ctx.addIssue({
        code: "custom",
        path: ["network", "natStrategy"],
        message:
          "a NAT instance is one small instance, a single point of failure for egress: production uses NAT gateways (single or perAz)",
      });
    if (env.production && env.cache?.accessControl === "none") {
      ctx.addIssue({ code: "custom", path: ["cache", "accessControl"], message: "production caches need authenticated access (iam)" });
    }
    offeringIssues(env, ctx);
    const domain = env.alb?.domain ?? env.singleHost?.domain;
    const domainPath = env.alb?.domain ? "alb" : "singleHost";
    if (domain && outsideZone(domain.name, domain.hostedZone))
      ctx.addIssue({ code: "custom", path: [domainPath, "domain", "name"], message: outsideZone(domain.name, domain.hostedZone)! });
    // ACM's certificate name (the first domain) takes at most 64 characters.
    if (env.alb?.domain && env.alb.domain.name.length > 64)
      ctx.addIssue({
        code: "custom",
        path: ["alb", "domain", "name"],
        message: `${env.alb.domain.name.length} characters; an ACM certificate name takes at most 64`,
      });
    const zones = Object.hasOwn(REGION_ZONES, env.region) ? REGION_ZONES[env.region].length : 0;
    if (env.network.azCount > zones) {
      ctx.addIssue({
        code: "custom",
        path: ["network", "azCount"],
        message: `${env.region} offers ${zones} availability zones; asked for ${env.network.azCount}`,
      });
    }
  })
  // Reported beside any other problem of the definition, not only once the rest is valid.
  .superRefine(
    (env, ctx) => {
      if (!env.singleHost && env.network.azCount < 2)
        ctx.addIssue({ code: "custom", path: ["network", "azCount"], message: "must be at least 2: one AZ is a single point of failure" });
    },
    {
      when: ({ value }) => {
        const network = (value as { network?: { azCount?: unknown } } | undefined)?.network;
        return typeof network?.azCount === "number";
      },
    },
  )
  .describe("One environment: environments/<name>.json, whose file name (1-16 characters) names the environment and its stack.");

type ParsedEnvironment = z.output<typeof environmentSchema>;

/** The ECR repository a service's image lives in: its own name unless it shares another's. */
export function imageRepository(svc: Pick<ServiceDefinition, "name" | "image">): string {
  return svc.image.repository ?? svc.name;
}

/** Instance classes, versions and node types the region offers (src/config/aws-data, from cfn-lint). */
function offeringIssues(env: ParsedEnvironment, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message: `${message} (${OFFERINGS_SOURCE})` });
  if (env.database && !offersPostgresClass(env.region, env.database.instanceClass))
    issue(["database", "instanceClass"], `RDS for PostgreSQL offers no ${env.database.instanceClass} in ${env.region}`);
  if (env.database && !isPostgresVersion(env.database.engineVersion))
    issue(["database", "engineVersion"], `RDS for PostgreSQL has no version ${env.database.engineVersion}`);
  if (env.cache && !offersCacheNodeType(env.region, env.cache.nodeType))
    issue(["cache", "nodeType"], `ElastiCache offers no ${env.cache.nodeType} in ${env.region}`);
  if (
    env.singleHost &&
    Object.hasOwn(INSTANCE_MEMORY_MIB, env.singleHost.instanceType) &&
    !offersHostType(env.region, env.singleHost.instanceType)
  )
    issue(["singleHost", "instanceType"], `EC2 offers no ${env.singleHost.instanceType} in ${env.region}`);
}

/** Why a service cannot connect to `store`, or undefined when it can. */
function dataStoreMissing(env: ParsedEnvironment, store: (typeof DATA_STORES)[number]): string | undefined {
  if (!env.singleHost) return env[store] ? undefined : `connects to the ${store}, but the environment defines no ${store} section`;
  if (store === "cache") return "a single host runs no cache; use an ECS environment for Redis";
  return env.singleHost.database ? undefined : "connects to the database, but singleHost defines no database";
}

/** A pipeline must name this environment's services, build each image once, and ask for approval in production. */
function deliveryIssues(env: ParsedEnvironment, ctx: z.RefinementCtx): void {
  const delivery = env.delivery!;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path: ["delivery", ...path], message });
  if (delivery.promoteFrom) {
    for (const field of ["repository", "branch", "builds"] as const)
      if (delivery[field] !== undefined)
        issue([field], `comes from "${delivery.promoteFrom}", whose releases this pipeline promotes (promoteFrom): remove it`);
  } else {
    if (!delivery.repository)
      issue(["repository"], "is required: the GitHub repository to build from (or promoteFrom, to promote another environment's releases)");
    if (!delivery.builds) issue(["builds"], "is required: the images to build (or promoteFrom, to promote another environment's releases)");
  }
  const builtBy = new Map<string, string>();
  for (const name of Object.keys(delivery.builds ?? {})) {
    const svc = env.services.find((s) => s.name === name);
    if (!svc) {
      const known = env.services.map((s) => s.name).join(", ") || "none";
      issue(["builds", name], `names no service of this environment (services: ${known})`);
      continue;
    }
    const repository = imageRepository(svc);
    const other = builtBy.get(repository);
    if (other) issue(["builds", name], `builds the same image repository "${repository}" as "${other}"; build it once`);
    builtBy.set(repository, name);
    const tags = [...new Set(env.services.filter((s) => imageRepository(s) === repository).map((s) => s.image.tag))];
    if (tags.length > 1)
      issue(
        ["builds", name],
        `the services on repository "${repository}" start from different tags (${tags.join(", ")}); a release deploys one`,
      );
  }
  if (!env.singleHost) {
    const repositories = new Set(builtBy.keys());
    const released = env.services.filter((s) => repositories.has(imageRepository(s)));
    if (releaseWeight(released) > MAX_RELEASE_WEIGHT)
      issue(
        ["builds"],
        `the pipeline would deploy ${released.length} services; its role's policies (IAM: 10,240 characters) hold at most ${MAX_RELEASE_WEIGHT / 2} rolling services, a blue/green one counting 1.5: release the others from another environment`,
      );
  }
  if (delivery.via === "github-actions")
    env.services.forEach((svc, i) => {
      if (svc.deployment === "blueGreen")
        ctx.addIssue({
          code: "custom",
          path: ["services", i, "deployment"],
          message: "blue/green is released by CodePipeline's CodeDeploy action: set delivery.via to codepipeline, or deploy it rolling",
        });
    });
  if (delivery.connectionArn && delivery.connectionFrom)
    issue(["connectionFrom"], "give connectionArn or connectionFrom, not both: a pipeline has one connection");
  if (env.production && delivery.manualApproval === false)
    issue(["manualApproval"], "a production pipeline needs a person's approval before it deploys");
}

/** What a single host cannot run: ECS-only sections and service settings, and more memory than it has. */
function singleHostIssues(env: ParsedEnvironment, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const host = env.singleHost!;
  if (env.network.azCount > 2)
    issue(["network", "azCount"], "a single host uses 1 availability zone, or 2 to leave room for a load balancer");
  if (env.architecture)
    issue(
      ["architecture"],
      `a single host's architecture follows singleHost.instanceType (${env.singleHost!.instanceType}); remove architecture`,
    );
  if (env.network.natStrategy)
    issue(["network", "natStrategy"], "a single host sits in a public subnet and needs no NAT; remove natStrategy");
  if (env.network.interfaceEndpoints.length)
    issue(["network", "interfaceEndpoints"], "a single host reaches AWS through its internet gateway; remove interfaceEndpoints");
  if (env.alb) issue(["alb"], "a single host has no load balancer: its reverse proxy routes requests (singleHost.domain for HTTPS)");
  if (env.database) issue(["database"], 'a single host runs no RDS database: use singleHost.database (mode "container" or "external")');
  if (env.cache) issue(["cache"], "a single host runs no ElastiCache cache; use an ECS environment for Redis");
  env.services.forEach((svc, i) => {
    if (svc.name === PROXY_CONTAINER || svc.name === DATABASE_CONTAINER)
      issue(["services", i, "name"], `"${svc.name}" is taken on a single host by its own ${svc.name} container`);
    if (svc.scaling) issue(["services", i, "scaling"], "a single host runs one container per service; it cannot autoscale");
    if ((svc.desiredCount ?? 1) !== 1) issue(["services", i, "desiredCount"], "a single host runs exactly one container per service");
    if (svc.deployment !== "rolling")
      issue(["services", i, "deployment"], "blue/green needs a load balancer; a single host restarts containers in place");
    if (svc.spotPercent > 0)
      issue(["services", i, "spotPercent"], "Fargate Spot is for ECS environments; a single host is one on-demand instance");
    if (svc.exec)
      issue(["services", i, "exec"], "ECS Exec is for ECS environments; on a single host open a session (host_session_command)");
  });
  const available =
    (Object.hasOwn(INSTANCE_MEMORY_MIB, host.instanceType) ? INSTANCE_MEMORY_MIB[host.instanceType] : Infinity) - HOST_RESERVED_MIB;
  const database = host.database?.mode === "container" ? host.database.memory : 0;
  const wanted = env.services.reduce((sum, svc) => sum + svc.memory, database + PROXY_MEMORY_MIB);
  if (wanted > available) {
    issue(
      ["singleHost", "instanceType"],
      `${host.instanceType} leaves ${available} MiB for containers; the services, the database and the proxy ask for ${wanted} MiB`,
    );
  }
}

export type EnvironmentInput = z.input<typeof environmentSchema>;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];
export type InterfaceEndpoint = (typeof INTERFACE_ENDPOINTS)[number];
export type ServiceDefinition = z.output<typeof serviceSchema>;
export type AlbDefinition = z.output<typeof albSchema>;

/** What office hours cannot stop, or where they would break the definition. */
function officeHoursIssues(env: ParsedEnvironment, hours: OfficeHours, issue: (path: (string | number)[], message: string) => void): void {
  if (env.production) issue(["officeHours"], "production runs around the clock: remove officeHours");
  if (env.singleHost) issue(["officeHours"], "office hours stop an ECS environment's services and database; a single host has neither");
  if (env.database && env.database.readReplicas > 0)
    issue(["database", "readReplicas"], "RDS cannot stop an instance that has read replicas: remove them, or officeHours");
  env.jobs.forEach((job, i) => {
    const problem = jobOutsideHours(job, hours);
    if (problem) issue(["jobs", i, "schedule"], problem);
  });
}

/**
 * With natStrategy none the private subnets have no route out: refused while a service may call
 * the internet, or uses an AWS service no interface endpoint serves.
 */
function egressIssues(env: ParsedEnvironment, issue: (path: (string | number)[], message: string) => void): void {
  if (env.network.natStrategy !== "none" || env.services.length === 0) return;
  const open = env.services.filter((svc) => svc.internetEgress).map((svc) => svc.name);
  if (open.length)
    issue(
      ["network", "natStrategy"],
      `none gives the private subnets no path to the internet, which ${open.join(", ")} would lose (internetEgress, default true): set internetEgress: false on each service that calls only AWS, or pick instance, single or perAz`,
    );
  const users = (uses: (svc: ParsedEnvironment["services"][number]) => boolean) => env.services.filter(uses).map((svc) => svc.name);
  const secretsOf = (svc: ParsedEnvironment["services"][number], service: string) =>
    Object.values(svc.secrets).some((arn) => arn.split(":")[2] === service);
  const needs: [string, string[]][] = [
    ["ecr", env.services.map((svc) => svc.name)],
    ["logs", env.services.map((svc) => svc.name)],
    ["secretsmanager", users((svc) => secretsOf(svc, "secretsmanager") || svc.connectsTo.includes("database"))],
    ["ssm", users((svc) => secretsOf(svc, "ssm") || svc.connectsTo.includes("database"))],
    ["ssmmessages", users((svc) => svc.exec)],
  ];
  const missing = needs.filter(([endpoint, by]) => by.length && !env.network.interfaceEndpoints.includes(endpoint as never));
  if (missing.length)
    issue(
      ["network", "interfaceEndpoints"],
      `with natStrategy none the tasks reach AWS only through interface endpoints; add ${missing.map(([endpoint, by]) => `${endpoint} (for ${by.join(", ")})`).join(", ")}`,
    );
}
