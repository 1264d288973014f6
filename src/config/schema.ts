import { z } from "zod";
import { CidrError, parseCidr } from "./cidr";
import { REGIONS, REGION_ZONES } from "./regions";

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const NAT_STRATEGIES = ["single", "perAz"] as const;

const lowerKebab = /^[a-z][a-z0-9-]*[a-z0-9]$/;

const cidrBlock = z.string().superRefine((value, ctx) => {
  try {
    parseCidr(value);
  } catch (error) {
    if (!(error instanceof CidrError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message });
  }
});

const retentionDays = z.number().refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
  message: `must be one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
});

/** How many extra prefix bits each tier's subnets take from the VPC CIDR (cidrsubnet's newbits). */
const subnetBits = z.number().int().min(1).max(12);

export const networkSchema = z.strictObject({
  vpcCidr: cidrBlock.refine((value) => {
    const prefix = Number(value.split("/")[1]);
    return prefix >= 16 && prefix <= 24;
  }, "a VPC CIDR must have a prefix length from /16 to /24"),
  azCount: z.number().int().min(2, "must be at least 2: one AZ is a single point of failure"),
  natStrategy: z.enum(NAT_STRATEGIES, { error: `must be one of: ${NAT_STRATEGIES.join(", ")}` }),
  subnetBits: z
    .strictObject({
      public: subnetBits.default(5),
      private: subnetBits.default(3),
      isolated: subnetBits.default(5),
    })
    .default({ public: 5, private: 3, isolated: 5 }),
  flowLogs: z
    .strictObject({
      enabled: z.boolean().default(true),
      retentionDays: retentionDays.default(90),
    })
    .default({ enabled: true, retentionDays: 90 }),
});

export const environmentSchema = z
  .strictObject({
    /** Short product name; prefixes every resource name. */
    project: z.string().regex(lowerKebab, "must be lower-case letters, digits and hyphens, starting with a letter"),
    region: z.enum(REGIONS as [string, ...string[]], { error: `must be one of the supported regions: ${REGIONS.join(", ")}` }),
    network: networkSchema,
    tags: z
      .record(z.string().regex(/^[\w .:/=+@-]{1,128}$/, "tag keys are 1-128 letters, digits, spaces or _.:/=+-@"), z.string().max(256))
      .default({}),
  })
  .superRefine((env, ctx) => {
    const zones = REGION_ZONES[env.region]?.length ?? 0;
    if (env.network.azCount > zones) {
      ctx.addIssue({
        code: "custom",
        path: ["network", "azCount"],
        message: `${env.region} offers ${zones} availability zones; asked for ${env.network.azCount}`,
      });
    }
  });

export type EnvironmentInput = z.input<typeof environmentSchema>;
export type EnvironmentDefinition = z.output<typeof environmentSchema>;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];
