import { z } from "zod";
import { sqlName } from "./data-schema";
import { cidrBlock, dnsName, hostedZoneName, SECRET_ARN } from "./fields";
import { retentionDays, retentionDescription } from "./log-retention";

const SIZES_MIB = { micro: 1024, small: 2048, medium: 4096, large: 8192, xlarge: 16384, "2xlarge": 32768 } as const;
const fromLarge = (large: number) => ({ large, xlarge: large * 2, "2xlarge": large * 4, "4xlarge": large * 8 });

/** Memory of the instance types a single host may use, MiB (burstable and current general, compute, memory families). */
export const INSTANCE_MEMORY_MIB: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries({
    t3: SIZES_MIB,
    t3a: SIZES_MIB,
    t4g: SIZES_MIB,
    m6i: fromLarge(8192),
    m6g: fromLarge(8192),
    m7i: fromLarge(8192),
    m7g: fromLarge(8192),
    c7i: fromLarge(4096),
    c7g: fromLarge(4096),
    r7i: fromLarge(16384),
    r7g: fromLarge(16384),
  }).flatMap(([family, sizes]) => Object.entries(sizes).map(([size, mib]) => [`${family}.${size}`, mib])),
);

/** Containers a single host runs beside the services; no service may take their names. */
export const PROXY_CONTAINER = "proxy";
export const DATABASE_CONTAINER = "postgres";
/** Memory limit of the reverse proxy container, MiB. */
export const PROXY_MEMORY_MIB = 128;

/** Memory the host keeps for the OS, Docker, the SSM and CloudWatch agents, MiB. */
export const HOST_RESERVED_MIB = 512;

/** Graviton families (a `g` after the generation) run arm64 images. */
export function instanceArchitecture(instanceType: string): "arm64" | "x86_64" {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType) ? "arm64" : "x86_64";
}

export function burstable(instanceType: string): boolean {
  return instanceType.startsWith("t");
}

const databaseContainerSchema = z
  .strictObject({
    mode: z.literal("container").describe("container: PostgreSQL runs in a container on the host."),
    image: z
      .string()
      .regex(
        /^postgres:1[3-7](\.\d+)?(-(alpine|bookworm|bullseye)[\d.]*)?$/,
        'must be an official image with a major version, like "postgres:16-alpine"',
      )
      .default("postgres:16-alpine")
      .describe("An official postgres image with a pinned major version from 13 to 17, like postgres:16-alpine or postgres:16.4-bookworm."),
    databaseName: sqlName
      .default("app")
      .describe(
        "The database created in the container: 1-63 lower-case letters, digits or underscores, starting with a letter; not a PostgreSQL reserved word or built-in database, and not starting with rds or pg_.",
      ),
    username: sqlName
      .default("app")
      .describe("The database's user, under the same naming rules as databaseName; its password is generated and kept in a secret."),
    memory: z
      .number()
      .int()
      .min(256)
      .default(512)
      .describe("Memory limit of the database container, MiB; it counts against the instance's memory with the services'."),
    volumeGb: z.number().int().min(1).max(16384).default(20).describe("Size of the data volume, GiB (gp3, KMS-encrypted)."),
    snapshotRetentionDays: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(7)
      .describe("Daily snapshots of the data volume that Data Lifecycle Manager keeps."),
  })
  .describe("PostgreSQL in a container on the host, its data on a separate encrypted EBS volume snapshotted daily.");

const databaseExternalSchema = z
  .strictObject({
    mode: z.literal("external").describe("external: an existing PostgreSQL server the services connect to."),
    urlSecretArn: z
      .string()
      .regex(SECRET_ARN, "must be a Secrets Manager secret or SSM parameter ARN")
      .describe(
        "ARN of the Secrets Manager secret or SSM SecureString parameter holding the postgresql:// URL, handed to the services as DATABASE_URL.",
      ),
    cidrs: z
      .array(cidrBlock.refine((cidr) => !cidr.endsWith("/0"), "name the database's network, not the whole internet"))
      .min(1, "name the database's network (one or more CIDRs)")
      .max(10)
      .describe("Where the database listens, 1-10 CIDR blocks other than /0: the host may open connections to these ranges only."),
    port: z.number().int().min(1).max(65535).default(5432).describe("The port the database listens on."),
  })
  .describe("An existing PostgreSQL server, reached with a URL kept in a secret, never in the definition.");

export const DATABASE_MODES = ["container", "external"] as const;

export const singleHostSchema = z.strictObject({
  instanceType: z
    .string()
    .refine(
      (type) => Object.hasOwn(INSTANCE_MEMORY_MIB, type),
      "must be a t3/t3a/t4g (micro to 2xlarge), m6i/m6g/m7i/m7g, c7i/c7g or r7i/r7g type",
    )
    .describe(
      "EC2 instance type: t3, t3a or t4g (micro to 2xlarge), or m6i, m6g, m7i, m7g, c7i, c7g, r7i or r7g (large to 4xlarge), offered in the region. Graviton types (a g after the generation) run arm64 images; the containers' memory must fit in the instance's less 512 MiB for the host.",
    ),
  sshCidr: cidrBlock
    .refine((cidr) => Number(cidr.split("/")[1]) >= 8, "must be a narrow range (/8 or longer); SSH is never open to the world")
    .optional()
    .describe("Open SSH (port 22) to this range only, /8 or narrower; Session Manager needs no open port. Default: no SSH."),
  detailedMonitoring: z.boolean().default(false).describe("One-minute EC2 metrics (charged) instead of five-minute ones."),
  rootVolumeGb: z
    .number()
    .int()
    .min(20, "Docker images need room: at least 20 GiB")
    .max(16384)
    .default(30)
    .describe("Size of the root volume, GiB (gp3, KMS-encrypted), which holds the OS, Docker images and container logs."),
  database: z
    .discriminatedUnion("mode", [databaseContainerSchema, databaseExternalSchema], {
      error: `mode must be one of: ${DATABASE_MODES.join(", ")}`,
    })
    .optional()
    .describe("PostgreSQL for the services that connect to the database, in a container on the host or an existing server. Default: none."),
  domain: z
    .strictObject({
      name: dnsName.describe("The host name the site is served on: the zone's apex or a name under it."),
      hostedZone: hostedZoneName.describe("The existing public Route53 hosted zone the A record goes in, like example.com."),
    })
    .optional()
    .describe(
      "Serve HTTPS on 443 for this name, with a Let's Encrypt certificate the reverse proxy obtains, HTTP redirected and an A record in the zone. Default: plain HTTP on 80.",
    ),
  logRetentionDays: retentionDays
    .default(30)
    .describe(
      `${retentionDescription("the host's log groups")} They are /host/<project>-<environment>/system (cloud-init, the start-up and health reports) and one for each container, the services' included.`,
    ),
});

export type SingleHostDefinition = z.output<typeof singleHostSchema>;
export type ContainerDatabase = z.output<typeof databaseContainerSchema>;
