import type { EdgeDefinition } from "./edge-schema";
import type { JobDefinition } from "./jobs-schema";
import type { OfficeHours } from "./office-hours";
import type { MigrationDefinition } from "./release-schema";
import { allocate, formatCidr, parseCidr } from "./cidr";
import { findPlaceholders, type Placeholder } from "./placeholders";
import { ConfigError, problem } from "./errors";
import { availabilityZones } from "./regions";
import { CACHE_ENGINE_VERSIONS, type CacheDefinition, type DatabaseDefinition } from "./data-schema";
import { CODEPIPELINE_FIELDS, DEFAULT_BRANCH, type DeliveryDefinition } from "./delivery-schema";
import type { ObservabilityDefinition } from "./observability-schema";
import {
  albSchema,
  environmentSchema,
  imageRepository,
  type AlbDefinition,
  type InterfaceEndpoint,
  type NatStrategy,
  type ServiceDefinition,
} from "./schema";
import { burstable, instanceArchitecture, type SingleHostDefinition } from "./single-host-schema";
import { unknownKeyMessage } from "./unknown-keys";

export interface SubnetSpec {
  readonly availabilityZone: string;
  readonly cidrBlock: string;
}

export interface SubnetLayout {
  /** Internet-facing: load balancers and NAT gateways. */
  readonly public: readonly SubnetSpec[];
  /** Application tier: egress through NAT, no inbound from the internet. */
  readonly private: readonly SubnetSpec[];
  /** Data tier: no route to or from the internet at all. */
  readonly isolated: readonly SubnetSpec[];
}

/** A service with its defaults resolved. */
export interface ServiceConfig extends Omit<ServiceDefinition, "image" | "desiredCount" | "readonlyRootFilesystem"> {
  readonly image: { readonly repository: string; readonly tag: string };
  readonly desiredCount: number;
  readonly readonlyRootFilesystem: boolean;
}

/** The PostgreSQL database with its defaults resolved. */
export interface DatabaseConfig extends Omit<
  DatabaseDefinition,
  "identifier" | "multiAz" | "backupRetentionDays" | "maxAllocatedStorageGb"
> {
  readonly identifier: string;
  readonly multiAz: boolean;
  readonly backupRetentionDays: number;
  readonly maxAllocatedStorageGb: number;
  /** Production: deletion protection and a final snapshot. */
  readonly production: boolean;
}

/** The Redis/Valkey replication group with its defaults resolved. */
export interface CacheConfig extends Omit<
  CacheDefinition,
  "identifier" | "engineVersion" | "nodes" | "automaticFailover" | "multiAz" | "snapshotRetentionDays"
> {
  readonly identifier: string;
  readonly engineVersion: string;
  readonly nodes: number;
  readonly automaticFailover: boolean;
  readonly multiAz: boolean;
  readonly snapshotRetentionDays: number;
}

/** The single host with what its instance type implies. */
export interface SingleHostConfig extends SingleHostDefinition {
  readonly architecture: "arm64" | "x86_64";
  /** t-family instances spend CPU credits. */
  readonly burstable: boolean;
}

/** One image the pipeline builds, and the services each release of it deploys. */
export interface ImageBuild {
  /** ECR repository name within the environment. */
  readonly repository: string;
  /** Build context and Dockerfile, relative to the repository root. */
  readonly context: string;
  readonly dockerfile: string;
  readonly services: readonly ServiceConfig[];
}

/**
 * Where a pipeline's GitHub connection comes from: one it creates (by name), an approved one (by
 * ARN), or another environment's, looked up by name. `from` names that environment until
 * loadEnvironments, which knows them all, turns it into a `lookUp`.
 */
export type ConnectionSource =
  { readonly create: string } | { readonly arn: string } | { readonly from: string } | { readonly lookUp: string };

/** A connection source once every environment is known. */
export type ResolvedConnection = Exclude<ConnectionSource, { readonly from: string }>;

/** The name of the connection an environment's pipeline creates. */
export const connectionName = (namePrefix: string) => `${namePrefix}-github`;

/** The Secrets Manager secret holding a database's master credentials, which Terraform writes write-only. */
export const credentialsSecretName = (namePrefix: string) => `${namePrefix}/database/credentials`;

/**
 * Whether the environment's stack writes a version of its credentials secret (an RDS database with
 * `passwordManagement` writeOnly, or a single host's PostgreSQL container): refreshing that version
 * reads the secret's value (provider 5.100.0), so whoever plans with a refresh must be able to.
 */
export function writesCredentialsSecret(env: Pick<EnvironmentConfig, "database" | "singleHost">): boolean {
  return env.database?.passwordManagement === "writeOnly" || env.singleHost?.database?.mode === "container";
}

/** The secret holding the header CloudFront sends the load balancer (edge.cdn), which the stack reads as a data source. */
export const originHeaderSecretName = (namePrefix: string) => `${namePrefix}/edge/origin-header`;

/**
 * The secrets whose values a plan of the environment's stack reads, by name: the credentials
 * secret it writes (only a refresh reads the version back) and the origin header (a data source,
 * read by every plan). Whoever plans (the GitHub plan and drift roles, the drift check) must be
 * able to read them.
 */
export function secretsReadByPlan(
  env: Pick<EnvironmentConfig, "namePrefix" | "database" | "singleHost" | "edge">,
  refresh: boolean,
): string[] {
  return [
    ...(refresh && writesCredentialsSecret(env) ? [credentialsSecretName(env.namePrefix)] : []),
    ...(env.edge?.cdn ? [originHeaderSecretName(env.namePrefix)] : []),
  ];
}

/** The scheduled drift check: when it runs, and the repository and branch holding this app's definitions. */
export interface DriftCheckConfig {
  readonly schedule: string;
  readonly repository: string;
  readonly branch: string;
}

/**
 * AWS-native delivery with its defaults resolved. A pipeline that promotes another environment's
 * releases (`promoteFrom`) takes its repository, branch and images from it once loadEnvironments
 * knows every environment.
 */
export interface DeliveryConfig extends Omit<
  DeliveryDefinition,
  "repository" | "branch" | "builds" | "manualApproval" | "connectionArn" | "connectionFrom" | "driftCheck" | "promoteFrom"
> {
  readonly repository: string;
  readonly branch: string;
  /** The images the pipeline releases: built here, or promoted from `promotion.from`. */
  readonly builds: readonly ImageBuild[];
  readonly manualApproval: boolean;
  readonly connection: ConnectionSource;
  /** Absent when `delivery.driftCheck.enabled` is false. */
  readonly driftCheck?: DriftCheckConfig;
  /** Where this pipeline's releases come from, when they are promoted, not built. */
  readonly promotion?: { readonly from: string; readonly fromNamePrefix?: string };
  /** Environments promoting this one's releases: its pipeline records each release for them. */
  readonly promotedTo: readonly string[];
}

/** A validated environment with everything derivable already derived. */
export interface EnvironmentConfig {
  readonly name: string;
  readonly project: string;
  readonly region: string;
  /** Turns on the protective defaults: deletion protection, ALB access logs, approvals. */
  readonly production: boolean;
  /** The only account the stack may be applied to, when the definition names one. */
  readonly account?: string;
  /** Of the tasks or the host, and of the images releases build for them. */
  readonly architecture: "arm64" | "x86_64";
  /** `<project>-<environment>`: the prefix of every resource name. */
  readonly namePrefix: string;
  /** Tags applied to every resource through the provider's default_tags. */
  readonly tags: Readonly<Record<string, string>>;
  readonly network: {
    readonly vpcCidr: string;
    readonly availabilityZones: readonly string[];
    /** Absent on a single host, which has public subnets only. */
    readonly natStrategy?: NatStrategy;
    /** Interface endpoints in the private subnets. */
    readonly interfaceEndpoints: readonly InterfaceEndpoint[];
    readonly subnets: SubnetLayout;
    readonly flowLogs: { readonly enabled: boolean; readonly retentionDays: number };
    /** Whether its CIDR may overlap other definitions' in the same account and region. */
    readonly allowOverlap: boolean;
  };
  readonly services: readonly ServiceConfig[];
  readonly alb: AlbDefinition;
  readonly database?: DatabaseConfig;
  readonly cache?: CacheConfig;
  /** Present when the services run on one EC2 instance with docker compose instead of ECS. */
  readonly singleHost?: SingleHostConfig;
  /** Commands run on a schedule with a service's image and settings. */
  readonly jobs: readonly JobDefinition[];
  /** What stands in front of the load balancer. */
  readonly edge?: EdgeDefinition;
  /** When the services, the database and a NAT instance run, outside production; absent: always. */
  readonly officeHours?: OfficeHours;
  /** Run once per release with the new image before any service moves. */
  readonly migration?: MigrationDefinition;
  readonly observability: ObservabilityDefinition;
  /** Illustrative values (example domains, documentation accounts, replace-me markers) a real deploy refuses. */
  readonly placeholders: readonly Placeholder[];
  /** Present when a pipeline in AWS builds and deploys the images. */
  readonly delivery?: DeliveryConfig;
}

/** Single hyphens and none last: the name lands inside RDS and ElastiCache identifiers, which refuse both. */
export const ENVIRONMENT_NAME = /^[a-z](?:-?[a-z0-9])*$/;
const MAX_ENVIRONMENT_NAME = 16;
export const RESERVED_NAMES = ["bootstrap"];
/** Leaves room for the longest suffix a construct appends within AWS's 32-character ALB and target group names. */
export const MAX_NAME_PREFIX = 20;
/** AWS's limit on load balancer and target group names. */
export const MAX_ELB_NAME = 32;
/** AWS's limit on RDS instance identifiers. */
export const MAX_DB_IDENTIFIER = 63;
/** AWS's limit on ElastiCache replication group ids. */
export const MAX_REPLICATION_GROUP_ID = 40;

/** Identifiers of a database's read replicas. */
export function replicaIdentifiers(database: Pick<DatabaseConfig, "identifier" | "readReplicas">): string[] {
  return Array.from({ length: database.readReplicas }, (_, i) => `${database.identifier}-replica-${i + 1}`);
}

/** Target group names of a web service: one, or blue and green for blue/green deployments. */
export function targetGroupNames(namePrefix: string, service: Pick<ServiceConfig, "name" | "deployment">): string[] {
  const base = `${namePrefix}-${service.name}`;
  return service.deployment === "blueGreen" ? [`${base}-b`, `${base}-g`] : [base];
}

/**
 * Names AWS keeps unique that two parts of one definition would both take: target groups (per
 * account and region, at most 32 characters), and security groups (per VPC): a service named
 * `alb`, or like the database's or cache's identifier, would take the group of that one.
 */
function nameCollisions(
  name: string,
  namePrefix: string,
  env: { services: readonly ServiceDefinition[]; singleHost?: unknown },
  databaseId?: string,
  cacheId?: string,
): string[] {
  const problems: string[] = [];
  const targetGroups = new Map<string, string>();
  const securityGroups = new Map<string, string>();
  const fixedGroups: [string | undefined, string, string][] = [
    [env.singleHost ? undefined : `${namePrefix}-alb`, "the load balancer", "name"],
    [databaseId, "the database", "database.identifier"],
    [cacheId, "the cache", "cache.identifier"],
  ];
  for (const [group, owner, field] of fixedGroups) {
    if (!group) continue;
    const other = securityGroups.get(group);
    if (other) problems.push(problem(name, field, `its security group "${group}" is already ${other}'s; pick another identifier`));
    securityGroups.set(group, owner);
  }
  env.services.forEach((svc, i) => {
    const field = `services.${i}.name`;
    if (!env.singleHost) {
      const group = `${namePrefix}-${svc.name}`;
      const other = securityGroups.get(group);
      if (other) problems.push(problem(name, field, `its security group "${group}" is already ${other}'s; rename the service`));
      securityGroups.set(group, `service "${svc.name}"`);
    }
    if (svc.role !== "web") return;
    for (const group of targetGroupNames(namePrefix, svc)) {
      if (group.length > MAX_ELB_NAME)
        problems.push(problem(name, field, `target group name "${group}" is ${group.length} characters; AWS allows ${MAX_ELB_NAME}`));
      const other = targetGroups.get(group);
      if (other) problems.push(problem(name, field, `its target group "${group}" is already service "${other}"'s; rename the service`));
      targetGroups.set(group, svc.name);
    }
  });
  return problems;
}

/**
 * Validates one raw definition and derives its configuration. Throws a ConfigError listing
 * every problem, each naming the environment and the field.
 */
export function resolveEnvironment(name: string, raw: unknown): EnvironmentConfig {
  const problems: string[] = [];
  if (!ENVIRONMENT_NAME.test(name) || name.length > MAX_ENVIRONMENT_NAME) {
    problems.push(
      problem(
        name,
        "name",
        `must be 1-${MAX_ENVIRONMENT_NAME} lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen`,
      ),
    );
  }
  if (RESERVED_NAMES.includes(name)) {
    problems.push(problem(name, "name", `"${name}" is reserved for the state bucket's stack`));
  }
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.join(".");
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) problems.push(problem(name, field, unknownKeyMessage(environmentSchema, issue.path, key)));
      } else problems.push(problem(name, field, issue.message));
    }
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  problems.push(...codepipelineOnlyProblems(name, env.delivery?.via, raw));
  const namePrefix = `${env.project}-${name}`;
  if (namePrefix.length > MAX_NAME_PREFIX) {
    problems.push(
      problem(
        name,
        "project",
        `"${namePrefix}" (project-environment) is ${namePrefix.length} characters; at most ${MAX_NAME_PREFIX} keep derived names within AWS limits`,
      ),
    );
  }

  const zones = availabilityZones(env.region, env.network.azCount);
  const vpc = parseCidr(env.network.vpcCidr);
  const bits = env.network.subnetBits;
  // A single host sits in a public subnet: it has no application or data tier to isolate.
  const tiers = env.singleHost ? (["public"] as const) : (["public", "private", "isolated"] as const);
  const prefixes = tiers.flatMap((tier) => zones.map(() => vpc.prefix + bits[tier]));
  let subnets: SubnetLayout | undefined;
  // A load balancer needs subnets of /27 or larger, with 8 free addresses.
  if (!env.singleHost && env.services.some((s) => s.role === "web") && vpc.prefix + bits.public > 27) {
    problems.push(
      problem(
        name,
        "network.subnetBits",
        `public subnets of ${env.network.vpcCidr} would be /${vpc.prefix + bits.public}; a load balancer needs /27 or larger`,
      ),
    );
  }
  if (prefixes.some((p) => p > 28)) {
    problems.push(
      problem(name, "network.subnetBits", `subnets of ${env.network.vpcCidr} would be smaller than /28, the smallest AWS allows`),
    );
  } else {
    try {
      const blocks = allocate(vpc, prefixes).map(formatCidr);
      const tier = (index: number): SubnetSpec[] =>
        zones.map((availabilityZone, az) => ({ availabilityZone, cidrBlock: blocks[index * zones.length + az] }));
      subnets = env.singleHost ? { public: tier(0), private: [], isolated: [] } : { public: tier(0), private: tier(1), isolated: tier(2) };
    } catch (error) {
      problems.push(problem(name, "network.vpcCidr", `${(error as Error).message}; use a larger VPC, fewer AZs or more subnetBits`));
    }
  }
  const database = env.database && resolveDatabase(env.database, namePrefix, env.production);
  const cache = env.cache && resolveCache(env.cache, namePrefix, env.production);
  problems.push(...nameCollisions(name, namePrefix, env, database?.identifier, cache?.identifier));
  const longestDbId = database && [database.identifier, ...replicaIdentifiers(database)].at(-1)!;
  if (longestDbId && longestDbId.length > MAX_DB_IDENTIFIER) {
    problems.push(
      problem(name, "database.identifier", `"${longestDbId}" is ${longestDbId.length} characters; RDS allows ${MAX_DB_IDENTIFIER}`),
    );
  }
  if (cache?.automaticFailover && cache.nodes < 2) {
    problems.push(problem(name, "cache.automaticFailover", "needs at least 2 nodes: a primary and a replica to fail over to"));
  }
  if (cache?.multiAz && !cache.automaticFailover) {
    problems.push(problem(name, "cache.multiAz", "Multi-AZ needs automaticFailover (and so at least 2 nodes)"));
  }
  if (cache && cache.identifier.length > MAX_REPLICATION_GROUP_ID) {
    problems.push(
      problem(
        name,
        "cache.identifier",
        `"${cache.identifier}" is ${cache.identifier.length} characters; ElastiCache allows ${MAX_REPLICATION_GROUP_ID}`,
      ),
    );
  }
  if (problems.length > 0 || !subnets) throw new ConfigError(problems);

  const services: ServiceConfig[] = env.services.map((svc) => ({
    ...svc,
    image: { repository: imageRepository(svc), tag: svc.image.tag },
    desiredCount: svc.role === "scheduler" ? 1 : (svc.desiredCount ?? svc.scaling?.min ?? 1),
    readonlyRootFilesystem: svc.readonlyRootFilesystem ?? !svc.exec,
  }));

  // A single host's follows its instance type.
  const hostArchitecture = env.singleHost && instanceArchitecture(env.singleHost.instanceType);
  return {
    name,
    project: env.project,
    region: env.region,
    production: env.production,
    ...(env.account ? { account: env.account } : {}),
    architecture: hostArchitecture ?? env.architecture ?? "x86_64",
    namePrefix,
    tags: { ...env.tags, Project: env.project, Environment: name, ManagedBy: "cdktf" },
    network: {
      vpcCidr: env.network.vpcCidr,
      availabilityZones: zones,
      ...(env.network.natStrategy ? { natStrategy: env.network.natStrategy } : {}),
      interfaceEndpoints: env.network.interfaceEndpoints,
      subnets,
      flowLogs: env.network.flowLogs,
      allowOverlap: env.network.allowOverlap,
    },
    services,
    alb: env.alb ?? albSchema.parse({}),
    ...(database ? { database } : {}),
    ...(cache ? { cache } : {}),
    ...(env.singleHost
      ? {
          singleHost: {
            ...env.singleHost,
            architecture: hostArchitecture!,
            burstable: burstable(env.singleHost.instanceType),
          },
        }
      : {}),
    jobs: env.jobs,
    ...(env.officeHours ? { officeHours: env.officeHours } : {}),
    ...(env.edge ? { edge: env.edge } : {}),
    ...(env.release?.migrate ? { migration: env.release.migrate } : {}),
    observability: env.observability,
    placeholders: findPlaceholders(raw),
    ...(env.delivery ? { delivery: resolveDelivery(env.delivery, services, env.production, namePrefix) } : {}),
  };
}

/**
 * A definition released through GitHub Actions has no pipeline, so a CodePipeline setting it names
 * would be ignored without a word; the raw definition tells a named field from a default.
 */
function codepipelineOnlyProblems(name: string, via: string | undefined, raw: unknown): string[] {
  if (via !== "github-actions") return [];
  const delivery = (raw as { delivery?: Record<string, unknown> }).delivery ?? {};
  const approval = "approval is the GitHub environment's required reviewers";
  return CODEPIPELINE_FIELDS.filter((field) => Object.hasOwn(delivery, field)).map((field) =>
    problem(
      name,
      `delivery.${field}`,
      `is a CodePipeline setting; a release through github-actions has no pipeline (${field === "manualApproval" ? approval : field === "driftCheck" ? "drift.yml checks drift" : "the runner builds"}): remove it`,
    ),
  );
}

function resolveDelivery(
  delivery: DeliveryDefinition,
  services: readonly ServiceConfig[],
  production: boolean,
  namePrefix: string,
): DeliveryConfig {
  const builds = Object.entries(delivery.builds ?? {}).map(([name, build]): ImageBuild => {
    const repository = services.find((s) => s.name === name)!.image.repository;
    return {
      repository,
      context: build.context,
      dockerfile: build.dockerfile ?? (build.context === "." ? "Dockerfile" : `${build.context}/Dockerfile`),
      services: services.filter((s) => s.image.repository === repository),
    };
  });
  const { connectionArn, connectionFrom, driftCheck, promoteFrom, ...rest } = delivery;
  const connection: ConnectionSource = connectionArn
    ? { arn: connectionArn }
    : connectionFrom
      ? { from: connectionFrom }
      : { create: connectionName(namePrefix) };
  const repository = delivery.repository ?? "";
  const branch = delivery.branch ?? DEFAULT_BRANCH;
  return {
    ...rest,
    repository,
    branch,
    builds,
    manualApproval: delivery.via === "codepipeline" && (delivery.manualApproval ?? production),
    connection,
    promotedTo: [],
    ...(promoteFrom ? { promotion: { from: promoteFrom } } : {}),
    ...(driftCheck.enabled && delivery.via === "codepipeline"
      ? {
          driftCheck: {
            schedule: driftCheck.schedule,
            repository: driftCheck.repository ?? repository,
            branch: driftCheck.branch ?? branch,
          },
        }
      : {}),
  };
}

function resolveDatabase(db: DatabaseDefinition, namePrefix: string, production: boolean): DatabaseConfig {
  return {
    ...db,
    identifier: db.identifier ?? `${namePrefix}-db`,
    multiAz: db.multiAz ?? production,
    backupRetentionDays: db.backupRetentionDays ?? (production ? 30 : 7),
    maxAllocatedStorageGb: db.maxAllocatedStorageGb ?? Math.min(db.allocatedStorageGb * 4, 65536),
    production,
  };
}

function resolveCache(cache: CacheDefinition, namePrefix: string, production: boolean): CacheConfig {
  const nodes = cache.nodes ?? (production ? 2 : 1);
  const automaticFailover = cache.automaticFailover ?? nodes >= 2;
  return {
    ...cache,
    identifier: cache.identifier ?? `${namePrefix}-cache`,
    engineVersion: cache.engineVersion ?? CACHE_ENGINE_VERSIONS[cache.engine].at(-1)!,
    nodes,
    automaticFailover,
    multiAz: cache.multiAz ?? automaticFailover,
    snapshotRetentionDays: cache.snapshotRetentionDays ?? (production ? 5 : 0),
  };
}
