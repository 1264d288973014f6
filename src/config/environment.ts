import { allocate, formatCidr, parseCidr } from "./cidr";
import { ConfigError, problem } from "./errors";
import { availabilityZones } from "./regions";
import { environmentSchema, type AlbDefinition, type NatStrategy, type ServiceDefinition } from "./schema";

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
export interface ServiceConfig extends Omit<ServiceDefinition, "image" | "desiredCount" | "exec"> {
  readonly image: { readonly repository: string; readonly tag: string };
  readonly desiredCount: number;
  readonly exec: boolean;
}

/** A validated environment with everything derivable already derived. */
export interface EnvironmentConfig {
  readonly name: string;
  readonly project: string;
  readonly region: string;
  /** Turns on the protective defaults: deletion protection, no ECS Exec, ALB access logs. */
  readonly production: boolean;
  /** `<project>-<environment>`: the prefix of every resource name. */
  readonly namePrefix: string;
  /** Tags applied to every resource through the provider's default_tags. */
  readonly tags: Readonly<Record<string, string>>;
  readonly network: {
    readonly vpcCidr: string;
    readonly availabilityZones: readonly string[];
    readonly natStrategy: NatStrategy;
    readonly subnets: SubnetLayout;
    readonly flowLogs: { readonly enabled: boolean; readonly retentionDays: number };
  };
  readonly services: readonly ServiceConfig[];
  readonly alb: AlbDefinition;
}

export const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,15}$/;
export const RESERVED_NAMES = ["bootstrap"];
/** Leaves room for the longest suffix a construct appends within AWS's 32-character ALB and target group names. */
export const MAX_NAME_PREFIX = 20;
/** AWS's limit on load balancer and target group names. */
export const MAX_ELB_NAME = 32;

/** Target group names of a web service: one, or blue and green for blue/green deployments. */
export function targetGroupNames(namePrefix: string, service: Pick<ServiceConfig, "name" | "deployment">): string[] {
  const base = `${namePrefix}-${service.name}`;
  return service.deployment === "blueGreen" ? [`${base}-b`, `${base}-g`] : [base];
}

/**
 * Validates one raw definition and derives its configuration. Throws a ConfigError listing
 * every problem, each naming the environment and the field.
 */
export function resolveEnvironment(name: string, raw: unknown): EnvironmentConfig {
  const problems: string[] = [];
  if (!ENVIRONMENT_NAME.test(name)) {
    problems.push(problem(name, "name", "must be 1-16 lower-case letters, digits or hyphens, starting with a letter"));
  }
  if (RESERVED_NAMES.includes(name)) {
    problems.push(problem(name, "name", `"${name}" is reserved for the state bucket's stack`));
  }
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(problem(name, issue.path.join("."), issue.message));
    }
    throw new ConfigError(problems);
  }
  const env = parsed.data;
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
  const tiers = ["public", "private", "isolated"] as const;
  const prefixes = tiers.flatMap((tier) => zones.map(() => vpc.prefix + bits[tier]));
  let subnets: SubnetLayout | undefined;
  if (prefixes.some((p) => p > 28)) {
    problems.push(
      problem(name, "network.subnetBits", `subnets of ${env.network.vpcCidr} would be smaller than /28, the smallest AWS allows`),
    );
  } else {
    try {
      const blocks = allocate(vpc, prefixes).map(formatCidr);
      const tier = (index: number): SubnetSpec[] =>
        zones.map((availabilityZone, az) => ({ availabilityZone, cidrBlock: blocks[index * zones.length + az] }));
      subnets = { public: tier(0), private: tier(1), isolated: tier(2) };
    } catch (error) {
      problems.push(problem(name, "network.vpcCidr", `${(error as Error).message}; use a larger VPC, fewer AZs or more subnetBits`));
    }
  }
  env.services.forEach((svc, i) => {
    if (svc.role !== "web") return;
    const tooLong = targetGroupNames(namePrefix, svc).find((n) => n.length > MAX_ELB_NAME);
    if (tooLong) {
      problems.push(
        problem(name, `services.${i}.name`, `target group name "${tooLong}" is ${tooLong.length} characters; AWS allows ${MAX_ELB_NAME}`),
      );
    }
  });
  if (problems.length > 0 || !subnets) throw new ConfigError(problems);

  const services: ServiceConfig[] = env.services.map((svc) => ({
    ...svc,
    image: { repository: svc.image.repository ?? svc.name, tag: svc.image.tag },
    desiredCount: svc.role === "scheduler" ? 1 : (svc.desiredCount ?? svc.scaling?.min ?? 1),
    exec: svc.exec ?? !env.production,
  }));

  return {
    name,
    project: env.project,
    region: env.region,
    production: env.production,
    namePrefix,
    tags: { ...env.tags, Project: env.project, Environment: name, ManagedBy: "cdktf" },
    network: {
      vpcCidr: env.network.vpcCidr,
      availabilityZones: zones,
      natStrategy: env.network.natStrategy,
      subnets,
      flowLogs: env.network.flowLogs,
    },
    services,
    alb: env.alb,
  };
}
