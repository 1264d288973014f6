import { z } from "zod";
import { sqlName } from "./data-schema";
import { cidrBlock, dnsName, hostedZoneName, SECRET_ARN } from "./fields";
import { retentionDays } from "./log-retention";

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

/** PostgreSQL in a container, its data on a separate encrypted EBS volume snapshotted daily. */
const databaseContainerSchema = z.strictObject({
  mode: z.literal("container"),
  /** An official postgres image with a pinned major version. */
  image: z
    .string()
    .regex(
      /^postgres:1[3-7](\.\d+)?(-(alpine|bookworm|bullseye)[\d.]*)?$/,
      'must be an official image with a major version, like "postgres:16-alpine"',
    )
    .default("postgres:16-alpine"),
  databaseName: sqlName.default("app"),
  username: sqlName.default("app"),
  /** Memory limit of the database container, MiB. */
  memory: z.number().int().min(256).default(512),
  /** Size of the data volume, GiB (gp3, KMS-encrypted). */
  volumeGb: z.number().int().min(1).max(16384).default(20),
  /** Daily snapshots kept by Data Lifecycle Manager. */
  snapshotRetentionDays: z.number().int().min(1).max(1000).default(7),
});

/** An existing PostgreSQL, reached with a URL kept in a secret (never in the definition). */
const databaseExternalSchema = z.strictObject({
  mode: z.literal("external"),
  /** Secrets Manager secret or SSM SecureString parameter holding the `postgresql://…` URL, handed over as DATABASE_URL. */
  urlSecretArn: z.string().regex(SECRET_ARN, "must be a Secrets Manager secret or SSM parameter ARN"),
  /** Where the database listens: the host may open connections to these ranges only. */
  cidrs: z
    .array(cidrBlock.refine((cidr) => !cidr.endsWith("/0"), "name the database's network, not the whole internet"))
    .min(1, "name the database's network (one or more CIDRs)")
    .max(10),
  port: z.number().int().min(1).max(65535).default(5432),
});

export const DATABASE_MODES = ["container", "external"] as const;

export const singleHostSchema = z.strictObject({
  /** An instance type from INSTANCE_MEMORY_MIB; Graviton types run arm64 images. */
  instanceType: z
    .string()
    .refine(
      (type) => Object.hasOwn(INSTANCE_MEMORY_MIB, type),
      "must be a t3/t3a/t4g (micro to 2xlarge), m6i/m6g/m7i/m7g, c7i/c7g or r7i/r7g type",
    ),
  /** SSH (port 22) from this range only; Session Manager needs no open port. @default no SSH */
  sshCidr: cidrBlock
    .refine((cidr) => Number(cidr.split("/")[1]) >= 8, "must be a narrow range (/8 or longer); SSH is never open to the world")
    .optional(),
  /** One-minute EC2 metrics (charged). */
  detailedMonitoring: z.boolean().default(false),
  /** Root volume, GiB (gp3, KMS-encrypted): the OS, Docker images and container logs. */
  rootVolumeGb: z.number().int().min(20, "Docker images need room: at least 20 GiB").max(16384).default(30),
  database: z
    .discriminatedUnion("mode", [databaseContainerSchema, databaseExternalSchema], {
      error: `mode must be one of: ${DATABASE_MODES.join(", ")}`,
    })
    .optional(),
  /** HTTPS on 443 with a Let's Encrypt certificate the reverse proxy obtains, and an A record in the zone. @default HTTP on 80 only */
  domain: z.strictObject({ name: dnsName, hostedZone: hostedZoneName }).optional(),
  /** The host's own log group (cloud-init, the start-up and health reports). */
  logRetentionDays: retentionDays.default(30),
});

export type SingleHostDefinition = z.output<typeof singleHostSchema>;
export type ContainerDatabase = z.output<typeof databaseContainerSchema>;
