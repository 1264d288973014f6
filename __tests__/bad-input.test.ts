import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildApp } from "../src/app";
import { ConfigError } from "../src/config/errors";
import type { EnvironmentInput } from "../src/config/schema";
import { api, cache, database, PARAMETER_ARN, SECRET_ARN, validInput, withData, withNetwork, withServices, worker } from "./helpers";
import { scratchDir } from "./scratch";

/**
 * Every malformed definition, section by section, goes through the whole app as a file beside a
 * valid one: synth must fail with a message naming the environment and the field, and write no
 * stack at all.
 */

const networkCases: [string, string, unknown, string][] = [
  [
    "malformed CIDR",
    "dev",
    withNetwork({ vpcCidr: "10.0.0/16" }),
    'environment "dev": network.vpcCidr: "10.0.0/16" is not an IPv4 CIDR block',
  ],
  [
    "CIDR with host bits",
    "dev",
    withNetwork({ vpcCidr: "10.0.1.0/16" }),
    'environment "dev": network.vpcCidr: "10.0.1.0/16" has host bits set',
  ],
  [
    "CIDR octet out of range",
    "dev",
    withNetwork({ vpcCidr: "10.300.0.0/16" }),
    'environment "dev": network.vpcCidr: "10.300.0.0/16" has an octet above 255',
  ],
  [
    "VPC larger than /16",
    "dev",
    withNetwork({ vpcCidr: "10.0.0.0/8" }),
    'environment "dev": network.vpcCidr: a VPC CIDR must have a prefix length from /16 to /24',
  ],
  [
    "VPC smaller than /24",
    "dev",
    withNetwork({ vpcCidr: "10.0.0.0/26" }),
    'environment "dev": network.vpcCidr: a VPC CIDR must have a prefix length from /16 to /24',
  ],
  [
    "subnets that overlap the VPC's end",
    "dev",
    withNetwork({ vpcCidr: "10.0.0.0/24", azCount: 4, subnetBits: { public: 2, private: 2, isolated: 2 } }),
    'environment "dev": network.vpcCidr: the subnets need 768 addresses but 10.0.0.0/24 holds 256',
  ],
  [
    "subnets below /28",
    "dev",
    withNetwork({ vpcCidr: "10.0.0.0/24", subnetBits: { public: 5, private: 3, isolated: 5 } }),
    'environment "dev": network.subnetBits: subnets of 10.0.0.0/24 would be smaller than /28',
  ],
  ["azCount below 2", "dev", withNetwork({ azCount: 1 }), 'environment "dev": network.azCount: must be at least 2'],
  [
    "a project AWS keeps the names of (aws…)",
    "dev",
    { ...validInput(), project: "awsome" },
    'environment "dev": project: must not begin with aws, ssm, amazon, amzn, internal-, sg- or sthree-',
  ],
  [
    "a project whose load balancer would be internal-",
    "dev",
    { ...validInput(), project: "internal" },
    'environment "dev": project: must not begin with aws, ssm, amazon, amzn, internal-, sg- or sthree-',
  ],
  [
    "a project whose security groups would be sg-…",
    "dev",
    { ...validInput(), project: "sg" },
    'environment "dev": project: must not begin with aws, ssm, amazon, amzn, internal-, sg- or sthree-',
  ],
  [
    "a project whose buckets would be sthree-…",
    "dev",
    { ...validInput(), project: "sthree-shop" },
    'environment "dev": project: must not begin with aws, ssm, amazon, amzn, internal-, sg- or sthree-',
  ],
  [
    "a project with a double hyphen (RDS identifiers refuse it)",
    "dev",
    { ...validInput(), project: "web--shop" },
    'environment "dev": project: must be lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen',
  ],
  [
    "an environment name ending in a hyphen (identifiers would hold a double hyphen)",
    "dev-",
    validInput(),
    'environment "dev-": name: must be 1-16 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen',
  ],
  [
    "a VPC in the multicast range",
    "dev",
    withNetwork({ vpcCidr: "224.0.0.0/16" }),
    'environment "dev": network.vpcCidr: must not overlap a reserved range (0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4)',
  ],
  [
    "a VPC in the link-local range",
    "dev",
    withNetwork({ vpcCidr: "169.254.0.0/16" }),
    'environment "dev": network.vpcCidr: must not overlap a reserved range',
  ],
  [
    "tag keys that differ only in case",
    "dev",
    { ...validInput(), tags: { team: "a", Team: "b" } },
    'environment "dev": tags.Team: differs from "team" only in case; IAM treats tag keys as one',
  ],
  [
    "a tag key of AWS's own",
    "dev",
    { ...validInput(), tags: { "aws:team": "a" } },
    'environment "dev": tags.aws:team: keys and values starting with aws: are AWS\'s own',
  ],
  [
    "more tags than a resource holds",
    "dev",
    { ...validInput(), tags: Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, "v"])) },
    'environment "dev": tags: at most 47 tags: AWS allows 50 a resource and the app adds 3',
  ],
  [
    "a tag value with characters AWS refuses",
    "dev",
    { ...validInput(), tags: { team: "<platform>" } },
    'environment "dev": tags.team: tags take letters, digits, spaces and + - = . _ : / @ only',
  ],
  [
    "a tag the app sets itself",
    "dev",
    { ...validInput(), tags: { project: "other" } },
    'environment "dev": tags.project: Project, Environment and ManagedBy are set by the app',
  ],
  [
    "public subnets too small for a load balancer",
    "dev",
    withServices([api], {
      network: { vpcCidr: "10.0.0.0/22", azCount: 2, natStrategy: "single", subnetBits: { public: 6, private: 2, isolated: 6 } },
    }),
    'environment "dev": network.subnetBits: public subnets of 10.0.0.0/22 would be /28; a load balancer needs /27 or larger',
  ],
  [
    "an account id that is not 12 digits",
    "dev",
    { ...validInput(), account: "1234-5678" },
    'environment "dev": account: must be a 12-digit AWS account id',
  ],
  [
    "no NAT strategy",
    "dev",
    withNetwork({ natStrategy: undefined }),
    'environment "dev": network.natStrategy: is required: one of none, instance, single, perAz',
  ],
  [
    "azCount above the region's",
    "dev",
    { ...withNetwork({ azCount: 4 }), region: "eu-west-1" },
    'environment "dev": network.azCount: eu-west-1 offers 3 availability zones; asked for 4',
  ],
  ["azCount not an integer", "dev", withNetwork({ azCount: 2.5 }), 'environment "dev": network.azCount: Invalid input: expected int'],
  [
    "azCount of the wrong type",
    "dev",
    withNetwork({ azCount: "2" }),
    'environment "dev": network.azCount: Invalid input: expected number, received string',
  ],
  [
    "no NAT while services may call the internet",
    "dev",
    withServices(
      [
        { ...api, secrets: {} },
        { ...worker, connectsTo: [] },
      ],
      {
        network: { vpcCidr: "10.0.0.0/16", azCount: 2, natStrategy: "none", interfaceEndpoints: ["ecr", "logs"] },
      },
    ),
    'environment "dev": network.natStrategy: none gives the private subnets no path to the internet, which api, worker would lose (internetEgress, default true): set internetEgress: false on each service that calls only AWS, or pick instance, single or perAz',
  ],
  [
    "no NAT and no endpoint for what the services use",
    "dev",
    withServices(
      [
        { ...api, internetEgress: false, exec: true },
        { ...worker, internetEgress: false },
      ],
      {
        network: { vpcCidr: "10.0.0.0/16", azCount: 2, natStrategy: "none", interfaceEndpoints: ["logs"] },
        database,
        cache,
      },
    ),
    'environment "dev": network.interfaceEndpoints: with natStrategy none the tasks reach AWS only through interface endpoints; add ecr (for api, worker), secretsmanager (for api, worker), ssm (for api, worker), ssmmessages (for api)',
  ],
  [
    "an interface endpoint listed twice",
    "dev",
    withNetwork({ interfaceEndpoints: ["logs", "logs"] }),
    'environment "dev": network.interfaceEndpoints: lists an endpoint twice',
  ],
  [
    "an interface endpoint there is none of",
    "dev",
    withNetwork({ interfaceEndpoints: ["sqs"] }),
    'environment "dev": network.interfaceEndpoints.0: must list only: ecr, logs, secretsmanager, ssm, ssmmessages, kms',
  ],
  [
    "a NAT instance in production",
    "dev",
    { ...withNetwork({ natStrategy: "instance" }), production: true, account: "123456789012" },
    'environment "dev": network.natStrategy: a NAT instance is one small instance, a single point of failure for egress: production uses NAT gateways',
  ],
  [
    "unknown NAT strategy",
    "dev",
    withNetwork({ natStrategy: "perSubnet" }),
    'environment "dev": network.natStrategy: must be one of: none, instance, single, perAz',
  ],
  [
    "unknown region",
    "dev",
    { ...validInput(), region: "mars-north-1" },
    'environment "dev": region: must be one of the supported regions: us-east-1',
  ],
  [
    "names over AWS limits",
    "dev",
    { ...validInput(), project: "a-very-long-product-name" },
    'environment "dev": project: "a-very-long-product-name-dev" (project-environment) is 28 characters; at most 20',
  ],
  [
    "project with invalid characters",
    "dev",
    { ...validInput(), project: "Web_App" },
    'environment "dev": project: must be lower-case letters, digits and single hyphens',
  ],
  [
    "missing project",
    "dev",
    { region: "us-east-1", network: validInput().network },
    'environment "dev": project: Invalid input: expected string, received undefined',
  ],
  [
    "missing network",
    "dev",
    { project: "webapp", region: "us-east-1" },
    'environment "dev": network: Invalid input: expected object, received undefined',
  ],
  [
    "missing VPC CIDR",
    "dev",
    withNetwork({ vpcCidr: undefined }),
    'environment "dev": network.vpcCidr: Invalid input: expected string, received undefined',
  ],
  [
    "unknown top-level key",
    "dev",
    { ...validInput(), vpcCidr: "10.0.0.0/16" },
    'environment "dev": (top level): unknown key "vpcCidr"; expected one of: $schema, about, project, region,',
  ],
  [
    "a misspelt top-level key",
    "dev",
    { ...validInput(), projct: "webapp" },
    'environment "dev": (top level): unknown key "projct"; did you mean "project"?',
  ],
  [
    "unknown network key",
    "dev",
    withNetwork({ natGateways: 2 }),
    'environment "dev": network: unknown key "natGateways"; expected one of: vpcCidr, azCount, natStrategy,',
  ],
  [
    "flow-log retention CloudWatch refuses",
    "dev",
    withNetwork({ flowLogs: { retentionDays: 10 } }),
    'environment "dev": network.flowLogs.retentionDays: must be one of CloudWatch\'s retention periods',
  ],
  ["invalid environment name", "Prod_1", validInput(), 'environment "Prod_1": name: must be 1-16 lower-case letters'],
  ["reserved environment name", "bootstrap", validInput(), 'environment "bootstrap": name: "bootstrap" is reserved'],
];

const serviceCases: [string, EnvironmentInput, string][] = [
  [
    "a misspelt service key",
    withServices([{ ...api, healtCheckPath: "/health" } as never]),
    'services.0: unknown key "healtCheckPath"; did you mean "healthCheckPath"?',
  ],
  [
    "a misspelt routing key",
    withServices([{ ...api, routing: { pahts: ["/api/*"], priority: 10 } } as never]),
    'services.0.routing: unknown key "pahts"; did you mean "paths"?',
  ],
  [
    "more web services than one load balancer takes",
    withServices(Array.from({ length: 51 }, (_, i) => ({ ...api, name: `web${i}`, routing: { paths: [`/w${i}/*`], priority: i + 1 } }))),
    "services: 51 web services; one load balancer takes at most 50 (its security group's rules) and 100 listener rules",
  ],
  [
    "a name ending in a hyphen",
    withServices([{ ...api, name: "api-" }]),
    "services.0.name: must be 1-20 lower-case letters, digits or hyphens, starting with a letter and not ending with a hyphen",
  ],
  [
    "a repository ending in a hyphen",
    withServices([{ ...api, image: { repository: "api-", tag: "1" } }]),
    "services.0.image.repository: must be 1-30 lower-case letters, digits or hyphens, not ending with a hyphen",
  ],
  [
    "six paths in one listener rule",
    withServices([{ ...api, routing: { paths: ["/a", "/b", "/c", "/d", "/e", "/f"], priority: 10 } }]),
    "services.0.routing: 6 paths and hosts; a listener rule takes at most 5",
  ],
  [
    "secret ARNs longer than the execution role's policy holds",
    withServices([
      {
        ...api,
        secrets: Object.fromEntries(
          Array.from({ length: 60 }, (_, i) => [
            `S${i}`,
            `arn:aws:secretsmanager:us-east-1:123456789012:secret:${"n".repeat(120)}${i}-AbCdEf`,
          ]),
        ),
      },
    ]),
    "services.0.secrets: their ARNs take",
  ],
  [
    "settings larger than a task definition holds",
    withServices([{ ...api, environment: { BIG: "v".repeat(57000) } }]),
    "services.0.environment: environment, secrets and command take",
  ],
  [
    "four paths in one condition",
    withServices([{ ...api, routing: { paths: ["/a", "/b", "/c", "/d"], priority: 10 } }]),
    "services.0.routing: 4 paths; a listener rule condition takes at most 3 (use a wildcard or split the service)",
  ],
  [
    "four hosts in one condition",
    withServices([{ ...api, routing: { hosts: ["a.example.com", "b.example.com", "c.example.com", "d.example.com"], priority: 10 } }]),
    "services.0.routing: 4 hosts; a listener rule condition takes at most 3",
  ],
  [
    "a health check path longer than a target group takes",
    withServices([{ ...api, healthCheckPath: `/${"h".repeat(1024)}` }]),
    "services.0.healthCheckPath: a target group health check path takes at most 1024 characters",
  ],
  [
    "six wildcards in one listener rule",
    withServices([{ ...api, routing: { paths: ["/a*/b*", "/c*/d*", "/e*/f*"], priority: 10 } }]),
    "services.0.routing: 6 wildcards (* or ?); a listener rule takes at most 5",
  ],
  [
    "a path longer than a rule value",
    withServices([{ ...api, routing: { paths: [`/${"a".repeat(130)}`], priority: 10 } }]),
    'services.0.routing: "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…" is 131 characters; a listener rule value takes at most 128',
  ],
  [
    "a variable both plain and secret",
    withServices([{ ...api, environment: { MODE: "x" }, secrets: { MODE: PARAMETER_ARN } }]),
    "services.0.secrets: MODE is also a plain variable in environment; a variable is either plain or secret",
  ],
  [
    "a secret in another partition",
    withServices([{ ...api, secrets: { DB: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbCdEf" } }]),
    'services.0.secrets: DB: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbCdEf" is in the aws-cn partition',
  ],
  [
    "a secret in a region AWS does not have",
    withServices([{ ...api, secrets: { DB: "arn:aws:secretsmanager:us-east-9:123456789012:secret:db-AbCdEf" } }]),
    'services.0.secrets: DB: "arn:aws:secretsmanager:us-east-9:123456789012:secret:db-AbCdEf" names the region us-east-9, which AWS does not have',
  ],
  [
    "a secret ARN without its suffix",
    withServices([{ ...api, secrets: { DB: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db" } }]),
    'services.0.secrets: DB: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db" is not a Secrets Manager secret ARN (with its 6-character suffix)',
  ],
  [
    "a target group another service's would take",
    withServices(
      [
        { ...api, deployment: "blueGreen", scaling: undefined },
        { ...api, name: "api-b", routing: { paths: ["/b/*"], priority: 20 } },
      ],
      { delivery: { repository: "acme/product", builds: { api: {} } } },
    ),
    'services.1.name: its target group "webapp-dev-api-b" is already service "api"\'s; rename the service',
  ],
  [
    "a service named like the load balancer's security group",
    withServices([{ ...api, name: "alb" }]),
    'services.0.name: its security group "webapp-dev-alb" is already the load balancer\'s; rename the service',
  ],
  [
    "ECS Exec on a read-only root filesystem",
    withServices([{ ...api, exec: true, readonlyRootFilesystem: true }]),
    "services.0.exec: ECS Exec needs a writable root filesystem (its SSM agent writes there)",
  ],
  ["cpu Fargate does not offer", withServices([{ ...api, cpu: 300 }]), "services.0.cpu: must be one of Fargate's CPU sizes"],
  [
    "memory that does not fit the cpu",
    withServices([{ ...api, cpu: 1024, memory: 1024 }]),
    "services.0.memory: with cpu 1024, memory must be 2048-8192 in steps of 1024",
  ],
  ["min above max", withServices([{ ...api, scaling: { min: 5, max: 2 } }]), "services.0.scaling.min: must not exceed max"],
  [
    "a scheduler with autoscaling",
    withServices([{ name: "beat", role: "scheduler", image: { tag: "1" }, cpu: 256, memory: 512, scaling: { min: 1, max: 2 } }]),
    "services.0.scaling: a scheduler runs exactly one task; it cannot autoscale",
  ],
  [
    "a name too long for its target groups",
    withServices([{ ...api, name: "applications", deployment: "blueGreen", scaling: undefined }], {
      project: "webapp-platform",
      delivery: { repository: "acme/product", builds: { applications: {} } },
    }),
    'services.0.name: target group name "webapp-platform-dev-applications-b" is 34 characters; AWS allows 32',
  ],
  [
    "an unknown secret reference",
    withServices([{ ...api, secrets: { DB: "my-db-password" } }]),
    'services.0.secrets: DB: "my-db-password" is not a Secrets Manager secret ARN (with its 6-character suffix) or SSM parameter ARN',
  ],
  [
    "latest in production",
    withServices([{ ...api, image: { tag: "latest" } }], { production: true }),
    'services.0.image: production images need a fixed tag, not "latest"',
  ],
  ["a web service without a port", withServices([{ ...api, port: undefined }]), "services.0.port: web services need a container port"],
  [
    "a worker with routing",
    withServices([{ ...api, role: "worker" }]),
    "services.0.routing: only web services are behind the load balancer",
  ],
  [
    "two services with one name",
    withServices([api, { ...api, routing: { paths: ["/x"], priority: 11 } }]),
    'services.1.name: "api" is already the name of services[0]',
  ],
  ["two rules with one priority", withServices([api, { ...api, name: "web" }]), 'services.1.routing: priority 10 is already used by "api"'],
  [
    "Spot for a web service in production",
    { ...withServices([{ ...api, spotPercent: 50 }]), production: true, account: "123456789012" },
    "services.0.spotPercent: in production only workers may run on Fargate Spot",
  ],
  [
    "Spot for a scheduler",
    withServices([{ ...worker, name: "beat", role: "scheduler", connectsTo: [], spotPercent: 100 }]),
    "services.0.spotPercent: a scheduler runs exactly one task",
  ],
  [
    "an on-demand base larger than the service's count",
    withServices([{ ...api, spotPercent: 100, onDemandBase: 3, scaling: { min: 2, max: 4, cpuTarget: 70 } }]),
    "services.0.onDemandBase: 3 on-demand tasks before Spot, but the service runs 2",
  ],
  [
    "an on-demand base without Spot",
    withServices([{ ...api, onDemandBase: 1 }]),
    "services.0.onDemandBase: places tasks between on-demand and Spot: set spotPercent too",
  ],
  ["an unknown role", withServices([{ ...api, role: "cron" }]), "services.0.role: must be one of: web, worker, scheduler"],
  [
    "a credential in plain environment values",
    withServices([{ ...api, environment: { STRIPE_API_KEY: "sk_live_x" } }]),
    "services.0.environment: STRIPE_API_KEY looks like a credential; pass it in secrets",
  ],
  [
    "a container health check without a command",
    withServices([{ ...api, containerHealthCheck: { command: [] } }]),
    "services.0.containerHealthCheck.command: give the command",
  ],
];

const dataCases: [string, Partial<EnvironmentInput>, unknown[], string][] = [
  [
    "Multi-AZ cache without failover",
    { cache: { ...cache, nodes: 2, multiAz: true, automaticFailover: false } },
    [],
    'environment "dev": cache.multiAz: Multi-AZ needs automaticFailover',
  ],
  [
    "failover with one node",
    { cache: { ...cache, automaticFailover: true } },
    [],
    'environment "dev": cache.automaticFailover: needs at least 2 nodes',
  ],
  [
    "RBAC without transit encryption",
    { cache: { ...cache, transitEncryption: false } },
    [],
    'environment "dev": cache.transitEncryption: RBAC (accessControl iam) needs transit encryption',
  ],
  [
    "a replica while backups are off",
    { database: { ...database, readReplicas: 1, backupRetentionDays: 0 } },
    [],
    'environment "dev": database.readReplicas: a read replica needs automated backups on its primary',
  ],
  [
    "a replica of a primary with an RDS-managed password",
    { database: { ...database, readReplicas: 1, passwordManagement: "rdsManaged" } },
    [],
    'environment "dev": database.readReplicas: RDS refuses read replicas of a primary whose password it manages',
  ],
  [
    "a database identifier over 63 characters with its replica suffix",
    { database: { ...database, identifier: `d${"b".repeat(53)}`, readReplicas: 1 } },
    [],
    `environment "dev": database.identifier: "d${"b".repeat(53)}-replica-1" is 64 characters; RDS allows 63`,
  ],
  [
    "a replication group id over 40 characters",
    { cache: { ...cache, identifier: `c${"a".repeat(40)}` } },
    [],
    `environment "dev": cache.identifier: "c${"a".repeat(40)}" is 41 characters; ElastiCache allows 40`,
  ],
  [
    "an identifier with invalid characters",
    { database: { ...database, identifier: "main_db" } },
    [],
    'environment "dev": database.identifier: must be lower-case letters, digits and single hyphens',
  ],
  [
    "an identifier with a double hyphen",
    { cache: { ...cache, identifier: "main--cache" } },
    [],
    'environment "dev": cache.identifier: must be lower-case letters, digits and single hyphens',
  ],
  [
    "an instance class PostgreSQL does not offer",
    { database: { instanceClass: "db.t2.micro" } },
    [],
    'environment "dev": database.instanceClass: RDS for PostgreSQL does not offer db.t2',
  ],
  [
    "a malformed instance class",
    { database: { instanceClass: "t4g.small" } },
    [],
    'environment "dev": database.instanceClass: "t4g.small" is not an instance class like db.t4g.small',
  ],
  [
    "a cache node type ElastiCache does not offer",
    { cache: { nodeType: "cache.m1.small" } },
    [],
    'environment "dev": cache.nodeType: ElastiCache does not offer cache.m1',
  ],
  [
    "an engine version of another engine",
    { cache: { ...cache, engine: "valkey", engineVersion: "7.1" } },
    [],
    'environment "dev": cache.engineVersion: valkey versions: 7.2, 8.0',
  ],
  [
    "an unsupported PostgreSQL major version",
    { database: { ...database, engineVersion: "11.22" } },
    [],
    'environment "dev": database.engineVersion: the major version must be one of 13, 14, 15, 16, 17',
  ],
  [
    "an instance class RDS does not offer",
    { database: { ...database, instanceClass: "db.t4g.4xlarge" } },
    [],
    'environment "dev": database.instanceClass: RDS for PostgreSQL offers no db.t4g.4xlarge in us-east-1 (cfn-lint 1.58.0',
  ],
  [
    "an engine version RDS does not have",
    { database: { ...database, engineVersion: "16.0" } },
    [],
    'environment "dev": database.engineVersion: RDS for PostgreSQL has no version 16.0',
  ],
  [
    "a backup window under 30 minutes",
    { database: { ...database, backupWindow: "03:00-03:20" } },
    [],
    'environment "dev": database.backupWindow: must last at least 30 minutes (RDS)',
  ],
  [
    "a maintenance window under 30 minutes",
    { database: { ...database, maintenanceWindow: "mon:04:30-mon:04:45" } },
    [],
    'environment "dev": database.maintenanceWindow: must last at least 30 minutes (RDS)',
  ],
  [
    "a master user name over 16 characters",
    { database: { ...database, username: "application_owner" } },
    [],
    'environment "dev": database.username: must be 1-16 lower-case letters, digits or underscores',
  ],
  [
    "a reserved master user name",
    { database: { ...database, username: "user" } },
    [],
    'environment "dev": database.username: is a PostgreSQL reserved word',
  ],
  [
    "PostgreSQL's own database",
    { database: { ...database, databaseName: "postgres" } },
    [],
    'environment "dev": database.databaseName: is one of PostgreSQL\'s own databases',
  ],
  [
    "a node type ElastiCache does not offer",
    { cache: { ...cache, nodeType: "cache.t4g.large" } },
    [],
    'environment "dev": cache.nodeType: ElastiCache offers no cache.t4g.large in us-east-1',
  ],
  [
    "a cache maintenance window under an hour",
    { cache: { ...cache, maintenanceWindow: "sun:05:30-sun:06:00" } },
    [],
    'environment "dev": cache.maintenanceWindow: must last at least 60 minutes (ElastiCache)',
  ],
  [
    "IAM authentication on Redis 6",
    { cache: { ...cache, engineVersion: "6.2" } },
    [],
    'environment "dev": cache.accessControl: IAM authentication needs Redis 7 or later',
  ],
  [
    "a storage ceiling below the allocation",
    { database: { ...database, allocatedStorageGb: 100, maxAllocatedStorageGb: 50 } },
    [],
    'environment "dev": database.maxAllocatedStorageGb: must be at least 110 (allocatedStorageGb + 10 %) for storage autoscaling, or 0 to turn it off',
  ],
  [
    "a reserved user name",
    { database: { ...database, username: "rdsadmin" } },
    [],
    'environment "dev": database.username: names starting with rds or pg_ are reserved',
  ],
  [
    "a backup window that is not a window",
    { database: { ...database, backupWindow: "3am" } },
    [],
    'environment "dev": database.backupWindow: must be a UTC window like "03:00-04:00"',
  ],
  [
    "a maintenance window that touches the backup window",
    { database: { ...database, backupWindow: "03:00-04:00", maintenanceWindow: "mon:04:00-mon:05:00" } },
    [],
    'environment "dev": database.maintenanceWindow: must not overlap or touch the backup window (03:00-04:00)',
  ],
  [
    "a cache snapshot window shorter than an hour",
    { cache: { ...cache, snapshotWindow: "03:00-03:30" } },
    [],
    'environment "dev": cache.snapshotWindow: must last at least 60 minutes (ElastiCache)',
  ],
  [
    "a cache with the database's identifier (two security groups with one name)",
    { database: { ...database, identifier: "shop-data" }, cache: { ...cache, identifier: "shop-data" } },
    [],
    'environment "dev": cache.identifier: its security group "shop-data" is already the database\'s; pick another identifier',
  ],
  [
    "a database named like the load balancer's security group",
    { database: { ...database, identifier: "webapp-dev-alb" } },
    [],
    'environment "dev": database.identifier: its security group "webapp-dev-alb" is already the load balancer\'s',
  ],
  [
    "a cache node type that needs data tiering",
    { cache: { ...cache, nodeType: "cache.r6gd.xlarge" } },
    [],
    'environment "dev": cache.nodeType',
  ],
  [
    "storage past the autoscaling ceiling's 10 % headroom without maxAllocatedStorageGb",
    { database: { ...database, allocatedStorageGb: 60000 } },
    [],
    'environment "dev": database.allocatedStorageGb: above 59578 GiB leaves no room for storage autoscaling\'s 10 % margin under 65536; set maxAllocatedStorageGb to 0 to turn it off',
  ],
  [
    "a cache maintenance window inside the snapshot window, across midnight",
    { cache: { ...cache, snapshotWindow: "23:00-01:00", maintenanceWindow: "tue:00:30-tue:01:30" } },
    [],
    'environment "dev": cache.maintenanceWindow: must not overlap or touch the snapshot window (23:00-01:00)',
  ],
  [
    "a service connecting to a database the environment lacks",
    {},
    [worker],
    'environment "dev": services.0.connectsTo: connects to the database, but the environment defines no database section',
  ],
  [
    "a service variable that the data store would overwrite",
    { database, cache },
    [{ ...worker, environment: { DATABASE_HOST: "db.internal" } }],
    'environment "dev": services.0.connectsTo: DATABASE_HOST: DATABASE_* variables are set from the database; rename them',
  ],
  [
    "an unknown data store",
    { database },
    [{ ...worker, connectsTo: ["queue"] }],
    'environment "dev": services.0.connectsTo.0: must list only: database, cache',
  ],
];

const observabilityCases: [string, unknown, string][] = [
  ["a budget of nothing", { monthlyBudgetUsd: 0 }, 'environment "dev": observability.monthlyBudgetUsd: must be more than 0 US dollars'],
  ["a malformed e-mail", { alarmEmails: ["oncall"] }, 'environment "dev": observability.alarmEmails.0: must be an e-mail address'],
  [
    "a plain-HTTP endpoint",
    { alarmHttpsEndpoints: ["http://hooks.example.com"] },
    "observability.alarmHttpsEndpoints.0: must be an https:// URL",
  ],
  [
    "p95 above p99",
    { thresholds: { latencyP95Seconds: 3, latencyP99Seconds: 2 } },
    "observability.thresholds.latencyP95Seconds: must not exceed latencyP99Seconds",
  ],
  ["a percentage over 100", { thresholds: { serviceCpuPercent: 120 } }, "observability.thresholds.serviceCpuPercent"],
  ["an unknown threshold", { thresholds: { diskPercent: 80 } }, 'observability.thresholds: unknown key "diskPercent"; expected one of:'],
  [
    "a misspelt threshold",
    { thresholds: { serviceCpuPercnt: 80 } },
    'observability.thresholds: unknown key "serviceCpuPercnt"; did you mean "serviceCpuPercent"?',
  ],
];

/** A valid single host; each case breaks one thing. */
/** Text gzip cannot shrink (the host's files are gzipped), the same on every run. */
function incompressible(length: number): string {
  let text = "";
  for (let i = 0; text.length < length; i++) text += createHash("sha256").update(String(i)).digest("base64url");
  return text.slice(0, length);
}

function withHost(extra: Record<string, unknown> = {}, host: Record<string, unknown> = {}, service: Record<string, unknown> = {}) {
  return {
    project: "webapp",
    region: "us-east-1",
    network: { vpcCidr: "10.40.0.0/16", azCount: 1 },
    singleHost: { instanceType: "t3.small", database: { mode: "container" }, ...host },
    services: [{ ...api, scaling: undefined, secrets: {}, connectsTo: ["database"], ...service }],
    ...extra,
  };
}

const singleHostCases: [string, unknown, string][] = [
  [
    "settings that make the host's user data larger than EC2 takes",
    withHost({}, {}, { environment: { NOISE: incompressible(24000) } }),
    "services: the host's user data (compose file, settings, scripts) may reach",
  ],
  ["SSH open to the world", withHost({}, { sshCidr: "0.0.0.0/0" }), "singleHost.sshCidr: must be a narrow range"],
  ["an instance type outside the table", withHost({}, { instanceType: "t2.micro" }), "singleHost.instanceType: must be a t3/t3a/t4g"],
  [
    "services that do not fit the instance",
    withHost({}, { instanceType: "t3.micro" }),
    "singleHost.instanceType: t3.micro leaves 512 MiB for containers; the services, the database and the proxy ask for 1152 MiB",
  ],
  [
    "a NAT strategy",
    withHost({ network: { vpcCidr: "10.40.0.0/16", azCount: 1, natStrategy: "single" } }),
    "network.natStrategy: a single host sits in a public subnet",
  ],
  [
    "an architecture",
    withHost({ architecture: "arm64" }),
    "architecture: a single host's architecture follows singleHost.instanceType (t3.small); remove architecture",
  ],
  [
    "interface endpoints",
    withHost({ network: { vpcCidr: "10.40.0.0/16", azCount: 1, interfaceEndpoints: ["logs"] } }),
    "network.interfaceEndpoints: a single host reaches AWS through its internet gateway; remove interfaceEndpoints",
  ],
  [
    "three availability zones",
    withHost({ network: { vpcCidr: "10.40.0.0/16", azCount: 3 } }),
    "network.azCount: a single host uses 1 availability zone, or 2",
  ],
  ["an RDS database", withHost({ database }), "database: a single host runs no RDS database: use singleHost.database"],
  ["an ElastiCache cache", withHost({ cache }), "cache: a single host runs no ElastiCache cache"],
  ["a load balancer", withHost({ alb: { idleTimeoutSeconds: 30 } }), "alb: a single host has no load balancer"],
  ["autoscaling", withHost({}, {}, { scaling: { min: 1, max: 2 } }), "services.0.scaling: a single host runs one container per service"],
  ["ECS Exec", withHost({}, {}, { exec: true }), "services.0.exec: ECS Exec is for ECS environments; on a single host open a session"],
  [
    "an instance type named like an Object.prototype member",
    withHost({}, { instanceType: "constructor" }),
    "singleHost.instanceType: must be a t3/t3a/t4g",
  ],
  [
    "an instance type the region does not offer",
    withHost({ region: "eu-north-1" }, { instanceType: "t3a.small" }),
    "singleHost.instanceType: EC2 offers no t3a.small in eu-north-1",
  ],
  [
    "a domain outside its zone",
    withHost({}, { domain: { name: "app.other.org", hostedZone: "example.com" } }),
    'singleHost.domain.name: "app.other.org" is not in the zone example.com',
  ],
  [
    "a DNS label over 63 characters",
    withHost({}, { domain: { name: `${"a".repeat(64)}.example.com`, hostedZone: "example.com" } }),
    "singleHost.domain.name: must be a DNS name like app.example.com: labels of 1-63",
  ],
  [
    "two containers of a service",
    withHost({}, {}, { desiredCount: 2 }),
    "services.0.desiredCount: a single host runs exactly one container per service",
  ],
  ["blue/green", withHost({}, {}, { deployment: "blueGreen" }), "services.0.deployment: blue/green needs a load balancer"],
  ["a cache connection", withHost({}, {}, { connectsTo: ["cache"] }), "services.0.connectsTo: a single host runs no cache"],
  [
    "a database connection without a database",
    withHost({}, { database: undefined }),
    "services.0.connectsTo: connects to the database, but singleHost defines no database",
  ],
  [
    "a service named like the proxy",
    withHost({}, {}, { name: "proxy" }),
    'services.0.name: "proxy" is taken on a single host by its own proxy container',
  ],
  ["an unknown database mode", withHost({}, { database: { mode: "rds" } }), "singleHost.database"],
  [
    "an external database URL given in clear",
    withHost({}, { database: { mode: "external", urlSecretArn: "postgresql://app:pw@db/app", cidrs: ["10.9.0.0/24"] } }),
    "singleHost.database.urlSecretArn: must be a Secrets Manager secret or SSM parameter ARN",
  ],
  [
    "an external database anywhere on the internet",
    withHost({}, { database: { mode: "external", urlSecretArn: SECRET_ARN, cidrs: ["0.0.0.0/0"] } }),
    "singleHost.database.cidrs.0: name the database's network, not the whole internet",
  ],
  [
    "an external database without its network",
    withHost({}, { database: { mode: "external", urlSecretArn: SECRET_ARN } }),
    "singleHost.database.cidrs: Invalid input: expected array, received undefined",
  ],
  [
    "an unpinned postgres image",
    withHost({}, { database: { mode: "container", image: "postgres:latest" } }),
    "singleHost.database.image: must be an official image with a major version",
  ],
  [
    "a root volume too small for images",
    withHost({}, { rootVolumeGb: 8 }),
    "singleHost.rootVolumeGb: Docker images need room: at least 20 GiB",
  ],
  ["an unknown single-host key", withHost({}, { keyName: "my-key" }), 'singleHost: unknown key "keyName"; expected one of:'],
  [
    "a misspelt key of the host's database",
    withHost({}, { database: { mode: "external", urlSecretArn: SECRET_ARN, cidrs: ["10.0.0.0/16"], portt: 5432 } }),
    'singleHost.database: unknown key "portt"; did you mean "port"?',
  ],
];

interface Case {
  readonly section: string;
  readonly title: string;
  readonly name: string;
  readonly input: unknown;
  /** What follows `environment "<name>": ` in the message. */
  readonly message: string;
}

const delivery = { repository: "acme/product", builds: { api: {} } };
const sharing = { ...worker, connectsTo: [], image: { repository: "api", tag: "1.2.3" } };
/** A pipeline with `fields` changed, any of them malformed. */
const withDelivery = (fields: Record<string, unknown>, services: unknown[] = [api]) =>
  withServices(services, { delivery: { ...delivery, ...fields } } as unknown as Partial<EnvironmentInput>);
const deliveryCases: [string, EnvironmentInput, string][] = [
  [
    "a build naming an unknown service",
    withDelivery({ builds: { web: {} } }),
    "delivery.builds.web: names no service of this environment (services: api)",
  ],
  [
    "a pipeline in an environment without services",
    { ...validInput(), delivery } as EnvironmentInput,
    "delivery.builds.api: names no service of this environment (services: none)",
  ],
  [
    "one image repository built twice",
    withServices([api, sharing], { delivery: { ...delivery, builds: { api: {}, worker: {} } } }),
    'delivery.builds.worker: builds the same image repository "api" as "api"; build it once',
  ],
  [
    "services on one built image starting from different tags",
    withServices([api, { ...sharing, image: { repository: "api", tag: "2.0.0" } }], { delivery }),
    'delivery.builds.api: the services on repository "api" start from different tags (1.2.3, 2.0.0)',
  ],
  [
    "a production pipeline without an approval",
    withServices([api], { production: true, delivery: { ...delivery, manualApproval: false } }),
    "delivery.manualApproval: a production pipeline needs a person's approval before it deploys",
  ],
  ["no builds", withDelivery({ builds: {} }), "delivery.builds: name at least one service to build"],
  [
    "a repository that is not owner/name",
    withDelivery({ repository: "https://github.com/acme/product" }),
    'delivery.repository: must be a GitHub repository, "owner/name"',
  ],
  [
    "a build context outside the repository",
    withDelivery({ builds: { api: { context: "api/../.." } } }),
    "delivery.builds.api.context: must be a relative path",
  ],
  [
    "a Dockerfile path with shell syntax",
    withDelivery({ builds: { api: { dockerfile: "$(whoami)" } } }),
    "delivery.builds.api.dockerfile: must be a relative path",
  ],
  [
    "a connection ARN of another service",
    withDelivery({ connectionArn: "arn:aws:iam::123456789012:role/github" }),
    "delivery.connectionArn: must be a CodeConnections (or CodeStar Connections) connection ARN",
  ],
  [
    "an unknown compute type",
    withDelivery({ computeType: "BUILD_GENERAL1_HUGE" }),
    "delivery.computeType: must be one of: BUILD_GENERAL1_SMALL",
  ],
  [
    "a log retention CloudWatch does not offer",
    withDelivery({ logRetentionDays: 10 }),
    "delivery.logRetentionDays: must be one of CloudWatch's retention periods",
  ],
  [
    "a drift check every minute (each run is a build)",
    withDelivery({ driftCheck: { schedule: "cron(* 6 * * ? *)" } }),
    "delivery.driftCheck.schedule: must be cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) with fixed minutes and ? in one day field, or rate(<n> hours|days)",
  ],
  [
    "a drift check more often than hourly",
    withDelivery({ driftCheck: { schedule: "rate(30 minutes)" } }),
    "delivery.driftCheck.schedule: must be cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) with fixed minutes and ? in one day field, or rate(<n> hours|days)",
  ],
  [
    "a drift check cron with both day fields set (Scheduler wants ? in one)",
    withDelivery({ driftCheck: { schedule: "cron(0 6 * * MON *)" } }),
    "delivery.driftCheck.schedule: must be cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) with fixed minutes and ? in one day field, or rate(<n> hours|days)",
  ],
  [
    "a drift check schedule in crontab form",
    withDelivery({ driftCheck: { schedule: "0 6 * * *" } }),
    'delivery.driftCheck.schedule: must be cron(...) or rate(...), e.g. "cron(0 6 * * ? *)"',
  ],
  [
    "a drift check repository that is not owner/name",
    withDelivery({ driftCheck: { repository: "platform-infra" } }),
    'delivery.driftCheck.repository: must be a GitHub repository, "owner/name"',
  ],
  ["an unknown release runner", withDelivery({ via: "jenkins" }), "delivery.via: must be one of: codepipeline, github-actions"],
  [
    "a CodePipeline connection on a GitHub Actions release",
    withDelivery({ via: "github-actions", connectionFrom: "valid" }),
    "delivery.connectionFrom: is a CodePipeline setting; a release through github-actions has no pipeline (the runner builds): remove it",
  ],
  [
    "a pipeline approval on a GitHub Actions release (reviewers approve there)",
    withDelivery({ via: "github-actions", manualApproval: true }),
    "delivery.manualApproval: is a CodePipeline setting; a release through github-actions has no pipeline (approval is the GitHub environment's required reviewers): remove it",
  ],
  [
    "a drift check on a GitHub Actions release (drift.yml checks)",
    withDelivery({ via: "github-actions", driftCheck: { enabled: true } }),
    "delivery.driftCheck: is a CodePipeline setting; a release through github-actions has no pipeline (drift.yml checks drift): remove it",
  ],
  [
    "a blue/green service released through GitHub Actions",
    withServices([{ ...api, deployment: "blueGreen", scaling: undefined }], {
      delivery: { ...delivery, via: "github-actions" },
    } as unknown as Partial<EnvironmentInput>),
    "services.0.deployment: blue/green is released by CodePipeline's CodeDeploy action",
  ],
  [
    "a pipeline with neither a repository to build from nor an environment to promote",
    withServices([api], { delivery: { builds: { api: {} } } } as unknown as Partial<EnvironmentInput>),
    "delivery.repository: is required: the GitHub repository to build from (or promoteFrom",
  ],
  [
    "a promotion that also builds",
    withDelivery({ promoteFrom: "valid" }),
    'delivery.repository: comes from "valid", whose releases this pipeline promotes (promoteFrom): remove it',
  ],
  [
    "a promotion from an unknown environment",
    withServices([api], { delivery: { promoteFrom: "staging" } } as unknown as Partial<EnvironmentInput>),
    "delivery.promoteFrom: names no environment (environments: dev, valid)",
  ],
  [
    "a promotion from the environment itself",
    withServices([api], { delivery: { promoteFrom: "dev" } } as unknown as Partial<EnvironmentInput>),
    "delivery.promoteFrom: names this environment itself",
  ],
  [
    "a promotion from an environment without a pipeline",
    withServices([api], { delivery: { promoteFrom: "valid" } } as unknown as Partial<EnvironmentInput>),
    'delivery.promoteFrom: environment "valid" has no delivery section: it releases nothing to promote',
  ],
  [
    "a connection shared by an unknown environment",
    withDelivery({ connectionFrom: "staging" }),
    "delivery.connectionFrom: names no environment (environments: dev, valid)",
  ],
  [
    "a connection shared by the environment itself",
    withDelivery({ connectionFrom: "dev" }),
    "delivery.connectionFrom: names this environment itself",
  ],
  [
    "a connection shared by an environment without a pipeline",
    withDelivery({ connectionFrom: "valid" }),
    'delivery.connectionFrom: environment "valid" has no delivery section, so no connection to share',
  ],
  [
    "both a connection ARN and an environment to share one",
    withDelivery({ connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/abc", connectionFrom: "valid" }),
    "delivery.connectionFrom: give connectionArn or connectionFrom, not both",
  ],
  [
    "a blue/green service that has no load balancer to shift (a worker)",
    withServices([api, { ...worker, connectsTo: [], deployment: "blueGreen" }], { delivery }),
    "services.1.deployment: blue/green shifts load-balancer traffic; only web services can use it",
  ],
  [
    "more services than the pipeline role's policy can name",
    withServices(
      Array.from({ length: 21 }, (_, i) => ({ ...api, name: `web${i}`, routing: { paths: [`/w${i}/*`], priority: i + 1 } })),
      { delivery: { repository: "acme/product", builds: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`web${i}`, {}])) } },
    ),
    "delivery.builds: the pipeline would deploy 21 services; its role's policies (IAM: 10,240 characters) hold at most 20 rolling services",
  ],
  [
    "requests per target on a blue/green service (it counts one of its two target groups)",
    withServices([{ ...api, deployment: "blueGreen", scaling: { min: 1, max: 2, requestsPerTarget: 100 } }], { delivery }),
    "services.0.scaling: requestsPerTarget counts one target group's requests, and blue/green moves traffic to the other one",
  ],
  [
    "a blue/green service whose test listener takes a production port",
    withServices([{ ...api, deployment: "blueGreen" }], { delivery, alb: { testListenerPort: 443 } }),
    "alb.testListenerPort: must differ from the production listeners' ports (80, 443)",
  ],
  [
    "a blue/green service no pipeline releases",
    withServices([{ ...api, deployment: "blueGreen", scaling: undefined }]),
    "services.0.deployment: a blue/green service is released only by its pipeline",
  ],
  [
    "a production test listener open to the internet",
    withServices([{ ...api, deployment: "blueGreen" }], { delivery, production: true, alb: { testListenerCidrs: ["0.0.0.0/0"] } }),
    "alb.testListenerCidrs: a production test listener serves unreleased versions",
  ],
  [
    "a test listener source that is no CIDR",
    withServices([{ ...api, deployment: "blueGreen" }], { delivery, alb: { testListenerCidrs: ["office"] } }),
    'alb.testListenerCidrs.0: "office" is not an IPv4 CIDR block',
  ],
  ["an unknown delivery key", withDelivery({ stages: [] }), 'delivery: unknown key "stages"; expected one of:'],
];

const job = { name: "nightly", schedule: "cron(0 3 * * ? *)", service: "api", command: ["python", "-m", "app.nightly"] };
/** An environment with one job, `fields` changed. */
const withJob = (fields: Record<string, unknown>, more: Record<string, unknown>[] = []) =>
  withServices([api], { jobs: [{ ...job, ...fields }, ...more] } as unknown as Partial<EnvironmentInput>);
const jobCases: [string, unknown, string][] = [
  [
    "a cron expression with five fields",
    withJob({ schedule: "cron(0 3 * * *)" }),
    "jobs.0.schedule: cron(...) takes 6 fields (minutes hours day-of-month month day-of-week year), and this has 5",
  ],
  [
    "a cron expression with * in both day fields",
    withJob({ schedule: "cron(0 3 * * * *)" }),
    "jobs.0.schedule: cron(...) needs ? in exactly one of day-of-month and day-of-week",
  ],
  [
    "a cron expression with ? in both day fields",
    withJob({ schedule: "cron(0 3 ? * ? *)" }),
    "jobs.0.schedule: cron(...) needs ? in exactly one of day-of-month and day-of-week",
  ],
  ["minute 60", withJob({ schedule: "cron(60 3 * * ? *)" }), 'jobs.0.schedule: minutes "60" is not a value 0-59'],
  [
    "a backwards range",
    withJob({ schedule: "cron(0 3 ? * FRI-MON *)" }),
    'jobs.0.schedule: day-of-week "FRI-MON": the range FRI-MON runs backwards',
  ],
  [
    "a rate in seconds",
    withJob({ schedule: "rate(30 seconds)" }),
    "jobs.0.schedule: rate(...) takes a whole number and minute(s), hour(s) or day(s)",
  ],
  ["a rate of zero minutes", withJob({ schedule: "rate(0 minutes)" }), "jobs.0.schedule: rate(...) runs at most once a minute"],
  [
    "a plural unit for 1",
    withJob({ schedule: "rate(1 hours)" }),
    'jobs.0.schedule: rate(...) takes "1 hour": the unit is singular for 1 only',
  ],
  ["a one-time at() schedule", withJob({ schedule: "at(2027-01-01T00:00:00)" }), "jobs.0.schedule: must be cron(...) or rate(...)"],
  ["an unknown time zone", withJob({ timeZone: "Europe/Berlln" }), "jobs.0.timeZone: must be an IANA time zone"],
  ["a job on an unknown service", withJob({ service: "reports" }), "jobs.0.service: names no service of this environment (services: api)"],
  ["two jobs of one name", withJob({}, [{ ...job, schedule: "rate(1 hour)" }]), 'jobs.1.name: "nightly" is already the name of jobs[0]'],
  ["a job without a command", withJob({ command: [] }), "jobs.0.command: give the command and its arguments"],
  ["retries above Scheduler's 185", withJob({ retries: 186 }), "jobs.0.retries:"],
  ["a time limit on ECS", withJob({ timeoutMinutes: 30 }), "jobs.0.timeoutMinutes: ECS stops a task only when asked"],
  [
    "last-day-of-month on a single host",
    withHost({ jobs: [{ ...job, schedule: "cron(0 3 L * ? *)" }] }),
    "jobs.0.schedule: a single host's systemd timer has no L, W or #",
  ],
];

const hours = { weekdays: "08:00-18:00", timeZone: "Europe/Berlin" };
/** An environment with office hours, `fields` changed. */
const withHours = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  withServices([api], { officeHours: { ...hours, ...fields }, ...extra } as unknown as Partial<EnvironmentInput>);
const officeHoursCases: [string, unknown, string][] = [
  [
    "office hours in production",
    withHours({}, { production: true, account: "123456789012" }),
    "officeHours: production runs around the clock: remove officeHours",
  ],
  ["a window that does not parse", withHours({ weekdays: "8-18" }), 'officeHours.weekdays: must be "HH:MM-HH:MM", e.g. "08:00-18:00"'],
  [
    "a window past midnight",
    withHours({ weekdays: "18:00-08:00" }),
    "officeHours.weekdays: 18:00-08:00 must open at least an hour before it closes",
  ],
  ["a time that is no time of day", withHours({ weekdays: "08:00-24:30" }), "officeHours.weekdays: 08:00-24:30 is not a time of day"],
  [
    "a window whose database would start the day before",
    withHours({ weekdays: "00:10-06:00" }),
    "officeHours.weekdays: 00:10-06:00 opens before 00:20: the database starts 20 minutes earlier, on the day before",
  ],
  [
    "a window whose database would stop the next day",
    withHours({ weekdays: "20:00-23:50" }),
    "officeHours.weekdays: 20:00-23:50 closes after 23:44: the database stops 15 minutes later, on the next day",
  ],
  ["a time zone that is none", withHours({ timeZone: "Berlin" }), "officeHours.timeZone: must be an IANA time zone"],
  [
    "a database with read replicas",
    withHours({}, { database: { ...database, readReplicas: 1 } }),
    "database.readReplicas: RDS cannot stop an instance that has read replicas",
  ],
  [
    "a job at night",
    withHours({}, { jobs: [{ ...job, timeZone: "Europe/Berlin" }] }),
    "jobs.0.schedule: cron(0 3 * * ? *) may run while the environment is stopped: run it on weekdays (day-of-week MON-FRI) at a fixed time inside officeHours 08:00-18:00 Europe/Berlin",
  ],
  [
    "a job at a rate",
    withHours({}, { jobs: [{ ...job, schedule: "rate(1 hour)", timeZone: "Europe/Berlin" }] }),
    "jobs.0.schedule: rate(...) runs around the clock",
  ],
  [
    "a job in another time zone",
    withHours({}, { jobs: [{ ...job, schedule: "cron(0 9 ? * MON-FRI *)" }] }),
    "jobs.0.schedule: runs in UTC, officeHours in Europe/Berlin",
  ],
  [
    "office hours on a single host",
    withHost({ officeHours: hours }),
    "officeHours: office hours stop an ECS environment's services and database",
  ],
];

/** An environment with a web ACL, `fields` changed. */
const withWaf = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  withServices([api], { edge: { waf: fields }, ...extra } as unknown as Partial<EnvironmentInput>);
/** An ECS environment on app.example.com behind CloudFront, `fields` its edge.cdn. */
const withCdn = (fields: Record<string, unknown>, service: unknown = api, extra: Record<string, unknown> = {}) =>
  withServices([service], {
    ...extra,
    alb: { domain: { name: "app.example.com", hostedZone: "example.com" }, ...(extra.alb as object) },
    edge: { cdn: fields },
  } as unknown as Partial<EnvironmentInput>);
const edgeCases: [string, unknown, string][] = [
  [
    "a rate limit below WAF's minimum",
    withWaf({ rateLimitPer5Minutes: 5 }),
    "edge.waf.rateLimitPer5Minutes: must be at least 10, WAF's minimum",
  ],
  [
    "an IP set with an invalid CIDR",
    withWaf({ denyCidrs: ["203.0.113.300/32"] }),
    'edge.waf.denyCidrs.0: "203.0.113.300/32" has an octet above 255',
  ],
  [
    "an IP set with the whole internet",
    withWaf({ allowCidrs: ["0.0.0.0/0"] }),
    "edge.waf.allowCidrs.0: must not be /0: WAF's IP sets take /1 to /32",
  ],
  [
    "count mode in production",
    withWaf({ ruleGroups: { common: "count" } }, { production: true, account: "123456789012" }),
    "edge.waf: ruleGroups.common only count in production, where they should block; set allowCountInProduction for a rollout",
  ],
  [
    "an address on both lists",
    withWaf({ allowCidrs: ["198.51.100.0/24"], denyCidrs: ["198.51.100.0/24"] }),
    "edge.waf.allowCidrs: 198.51.100.0/24 also in denyCidrs",
  ],
  ["an unknown rule group", withWaf({ ruleGroups: { botControl: "block" } }), 'edge.waf.ruleGroups: unknown key "botControl"'],
  [
    "a web ACL without a web service",
    withServices([worker], { edge: { waf: {} } } as never),
    "edge: protects the load balancer, and this environment has no web service",
  ],
  [
    "a web ACL on a single host",
    withHost({ edge: { waf: {} } }),
    "edge: AWS WAF attaches to a load balancer, API Gateway or CloudFront, and a single host has none of them",
  ],
  [
    "a CDN without a domain",
    withServices([api], { edge: { cdn: {} } } as never),
    "edge.cdn: needs alb.domain: CloudFront serves the environment's name with a certificate for it",
  ],
  [
    "a cacheable path that is also an API route",
    withCdn({ cachePaths: ["/api/*"] }),
    "edge.cdn.cachePaths.0: /api/* overlaps /api/*, which the api service routes: a service's routes are API paths, never cached",
  ],
  [
    "a cacheable path inside an API route",
    withCdn({ cachePaths: ["/api/static/*"] }),
    "edge.cdn.cachePaths.0: /api/static/* overlaps /api/*, which the api service routes",
  ],
  [
    "a cacheable path that holds an API route",
    withCdn({ cachePaths: ["/*"] }),
    "edge.cdn.cachePaths.0: /* overlaps /api/*, which the api service routes",
  ],
  [
    "more test listener addresses than a security group with CloudFront's prefix list takes",
    withCdn(
      {},
      { ...api, deployment: "blueGreen", scaling: undefined },
      {
        delivery,
        alb: { testListenerCidrs: ["198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32", "198.51.100.4/32", "198.51.100.5/32"] },
      },
    ),
    "alb.testListenerCidrs: 6 test listener rules beside CloudFront's prefix list (55 rules) exceed the 60 inbound rules a security group takes: at most 4 CIDRs",
  ],
  [
    "office hours with a CDN outside us-east-1",
    withCdn({}, api, { region: "eu-west-1", officeHours: hours }),
    "officeHours: with edge.cdn outside us-east-1 the CloudFront and WAF alarms live in us-east-1",
  ],
  [
    "a cacheable path that is no path",
    withCdn({ cachePaths: ["assets/*"] }),
    "edge.cdn.cachePaths.0: must be a URL path pattern starting with /",
  ],
  [
    "more cache behaviours than a distribution takes",
    withCdn({ cachePaths: Array.from({ length: 25 }, (_, i) => `/static-${i}/*`) }),
    "edge.cdn: 26 cache behaviours (cachePaths and routed paths); a distribution takes 25 unless AWS raises the quota",
  ],
  [
    "a host route behind a CDN",
    withCdn({}, { ...api, routing: { paths: ["/api/*"], hosts: ["api.example.com"], priority: 10 } }),
    "services.0.routing.hosts: behind edge.cdn the load balancer is reached only through CloudFront, which serves one name and sends cached requests under the origin's: route by path",
  ],
  [
    "an unknown price class",
    withCdn({ priceClass: "PriceClass_Cheap" }),
    "edge.cdn.priceClass: must be one of: PriceClass_100, PriceClass_200, PriceClass_All",
  ],
];

const migrate = { service: "api", command: ["alembic", "upgrade", "head"] };
/** An ECS environment with a pipeline building api and a migration, `fields` changed. */
const withMigration = (fields: Record<string, unknown>, extra: Record<string, unknown> = { delivery }) =>
  withServices([api, sharing], { ...extra, release: { migrate: { ...migrate, ...fields } } } as unknown as Partial<EnvironmentInput>);
const releaseCases: [string, unknown, string][] = [
  [
    "a migration on an unknown service",
    withMigration({ service: "db" }),
    "release.migrate.service: names no service of this environment (services: api, worker)",
  ],
  ["a migration on ECS without a pipeline", withMigration({}, {}), "release.migrate: on ECS the migration runs in the release pipeline"],
  [
    "a migration on a service whose image the pipeline does not build",
    withServices([api, { ...worker, connectsTo: [], image: { repository: "jobs", tag: "1" } }], {
      delivery,
      release: { migrate: { ...migrate, service: "worker" } },
    } as unknown as Partial<EnvironmentInput>),
    'release.migrate.service: the pipeline does not build "worker"',
  ],
  ["a migration without a command", withMigration({ command: [] }), "release.migrate.command: give the command and its arguments"],
  ["a migration allowed more than an hour", withMigration({ timeoutMinutes: 90 }), "release.migrate.timeoutMinutes:"],
];

const withoutPrefix = (message: string) => message.replace(/^environment "[^"]*": /, "");

const cases: Case[] = [
  ...networkCases.map(([title, name, input, message]) => ({
    section: "network and top level",
    title,
    name,
    input,
    message: withoutPrefix(message),
  })),
  ...serviceCases.map(([title, input, message]) => ({ section: "services", title, name: "dev", input, message: withoutPrefix(message) })),
  ...dataCases.map(([title, data, services, message]) => ({
    section: "data",
    title,
    name: "dev",
    input: withData(data, services),
    message: withoutPrefix(message),
  })),
  ...observabilityCases.map(([title, observability, message]) => ({
    section: "observability",
    title,
    name: "dev",
    input: { ...validInput(), observability },
    message: withoutPrefix(message),
  })),
  ...singleHostCases.map(([title, input, message]) => ({ section: "single host", title, name: "edge", input, message })),
  ...deliveryCases.map(([title, input, message]) => ({ section: "delivery", title, name: "dev", input, message })),
  ...jobCases.map(([title, input, message]) => ({ section: "jobs", title, name: "dev", input, message })),
  ...releaseCases.map(([title, input, message]) => ({ section: "release", title, name: "dev", input, message })),
  ...officeHoursCases.map(([title, input, message]) => ({ section: "office hours", title, name: "dev", input, message })),
  ...edgeCases.map(([title, input, message]) => ({ section: "edge", title, name: "dev", input, message })),
];

/**
 * Files themselves: what a definition folder holds, byte for byte (a string is a file's text, null a
 * directory of that name), and what one definition may not share with another.
 */
const definition = (extra: Record<string, unknown> = {}) => JSON.stringify({ ...validInput(), ...extra });
const fileCases: { title: string; files: Record<string, string | null>; message: string }[] = [
  {
    title: "a key written twice",
    files: {
      "dev.json": `{"project": "webapp", "project": "shop", "region": "us-east-1", "network": ${JSON.stringify(validInput().network)}}`,
    },
    message:
      'environment "dev": (file): dev.json: key "project" appears twice in the top level (line 1, column 2 and line 1, column 23); keep one',
  },
  {
    title: "a trailing comma",
    files: { "dev.json": `{\n  "project": "webapp",\n}` },
    message: 'environment "dev": (file): dev.json is not valid JSON: property name expected at line 3, column 1',
  },
  {
    title: "a variable named __proto__",
    files: {
      "dev.json": definition({ services: [{ ...api, environment: { __proto__: "x" } }] }).replace(
        '"environment":{}',
        '"environment":{"__proto__":"x"}',
      ),
    },
    message:
      'environment "dev": (file): dev.json: key "__proto__" at services.0.environment is not allowed: a JavaScript object would drop it',
  },
  {
    title: "an extension in capitals",
    files: { "prod.JSON": definition() },
    message: "prod.JSON ends in .JSON; definitions end in .json",
  },
  { title: "a directory named like a definition", files: { "qa.json": null }, message: "qa.json is a directory, not a definition" },
  {
    title: "two definitions with one name prefix",
    files: {
      "app-dev.json": definition({ project: "web" }),
      "dev.json": definition({ project: "web-app", network: { ...validInput().network, vpcCidr: "10.1.0.0/16" } }),
    },
    message:
      'environment "dev": project: "web-app-dev" is also app-dev\'s name prefix (project-environment): their resources would collide',
  },
  {
    title: "a promotion across regions (the image repositories are regional)",
    files: {
      "dev.json": definition({ services: [api], delivery: { repository: "acme/product", builds: { api: {} } } }),
      "qa.json": definition({
        region: "eu-west-1",
        network: { ...validInput().network, vpcCidr: "10.1.0.0/16" },
        services: [api],
        delivery: { promoteFrom: "dev" },
      }),
    },
    message:
      'environment "qa": delivery.promoteFrom: environment "dev" has region us-east-1, this one eu-west-1: a promotion deploys the images of the repositories both share',
  },
  {
    title: "a GitHub Actions release promoting a CodePipeline one",
    files: {
      "dev.json": definition({ services: [api], delivery: { repository: "acme/product", builds: { api: {} } } }),
      "qa.json": definition({
        network: { ...validInput().network, vpcCidr: "10.1.0.0/16" },
        services: [api],
        delivery: { via: "github-actions", promoteFrom: "dev" },
      }),
    },
    message:
      'environment "qa": delivery.promoteFrom: environment "dev" releases through codepipeline, this one through github-actions: a promotion stays on one path',
  },
  {
    title: "promotions in a circle",
    files: {
      "qa.json": definition({ services: [api], delivery: { promoteFrom: "uat" } }),
      "uat.json": definition({
        network: { ...validInput().network, vpcCidr: "10.1.0.0/16" },
        services: [api],
        delivery: { promoteFrom: "qa" },
      }),
    },
    message: "delivery.promoteFrom: promotions go round in a circle: qa → uat → qa",
  },
  {
    title: "a promotion of images the environment does not run",
    files: {
      "dev.json": definition({ services: [api], delivery: { repository: "acme/product", builds: { api: {} } } }),
      "qa.json": definition({
        network: { ...validInput().network, vpcCidr: "10.1.0.0/16" },
        services: [{ ...api, name: "web" }],
        delivery: { promoteFrom: "dev" },
      }),
    },
    message: 'environment "qa": delivery.promoteFrom: runs none of the images "dev" releases (repositories: api)',
  },
  {
    title: "overlapping VPCs in one account and region",
    files: { "dev.json": definition(), "qa.json": definition({ network: { ...validInput().network, vpcCidr: "10.0.128.0/17" } }) },
    message:
      'environment "qa": network.vpcCidr: 10.0.128.0/17 overlaps dev\'s 10.0.0.0/16 in us-east-1: pick another range, or set network.allowOverlap',
  },
];

describe("a malformed definition fails synth, naming the environment and the field, and writes no stack", () => {
  it.each(fileCases)("files: $title", ({ files, message }) => {
    const dir = scratchDir("bad-file-");
    for (const [file, text] of Object.entries(files)) {
      if (text === null) mkdirSync(join(dir, file));
      else writeFileSync(join(dir, file), text);
    }
    const outdir = join(dir, "cdktf.out");
    let error: unknown;
    try {
      buildApp({ environmentsDir: dir, env: {}, outdir }).synth();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(message);
    expect(existsSync(outdir)).toBe(false);
  });

  it("covers every section with at least 40 cases", () => {
    expect(cases.length + fileCases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.section))).toEqual(
      new Set([
        "network and top level",
        "services",
        "data",
        "observability",
        "single host",
        "delivery",
        "jobs",
        "release",
        "office hours",
        "edge",
      ]),
    );
  });

  it.each(cases)("$section: $title", ({ name, input, message }) => {
    const dir = scratchDir("bad-input-");
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(input));
    // A valid neighbour, on its own addresses: definitions in one account and region must not overlap.
    writeFileSync(join(dir, "valid.json"), JSON.stringify(withNetwork({ vpcCidr: "10.255.0.0/16" })));
    const outdir = join(dir, "cdktf.out");
    let error: unknown;
    try {
      buildApp({ environmentsDir: dir, env: {}, outdir }).synth();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`environment "${name}": ${message}`);
    expect(existsSync(outdir)).toBe(false);
  });
});
