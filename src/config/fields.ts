/** Field types more than one section of a definition uses. */
import { z } from "zod";
import { CidrError, parseCidr } from "./cidr";

/** IANA time zones this Node knows, as EventBridge Scheduler and Application Auto Scaling take them. */
const TIME_ZONES = new Set(["UTC", ...Intl.supportedValuesOf("timeZone")]);

/** A time zone a schedule reads its hours in (a job's cron, office hours' window). */
export const timeZone = z.string().refine((zone) => TIME_ZONES.has(zone), "must be an IANA time zone such as Europe/Berlin, or UTC");

/** A service's or a job's name: it lands in resource names (<project>-<environment>-<name>), ALB target groups among them. */
export const shortName = z
  .string()
  .regex(
    /^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/,
    "must be 1-20 lower-case letters, digits or hyphens, starting with a letter and not ending with a hyphen",
  );

export const cidrBlock = z
  .string()
  .superRefine((value, ctx) => {
    try {
      parseCidr(value);
    } catch (error) {
      if (!(error instanceof CidrError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message });
    }
  })
  .describe("An IPv4 CIDR block, like 10.0.0.0/16.");

/**
 * Secrets Manager secret or SSM parameter ARNs: the only things a container secret may name. A
 * secret's ARN ends in the 6-character suffix Secrets Manager adds: IAM grants by the full ARN.
 */
export const SECRET_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):(secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}|ssm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:parameter\/[\w/.-]+)$/;

/** A host name as DNS and ACM take it: labels of 1-63 letters, digits and inner hyphens, 253 in all. */
const DNS_NAME = /^(?=.{1,253}$)((?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$/;

export const dnsName = z
  .string()
  .regex(DNS_NAME, "must be a DNS name like app.example.com: labels of 1-63 letters, digits or inner hyphens")
  .describe("A lower-case DNS name, like app.example.com: labels of 1-63 letters, digits or inner hyphens, at most 253 characters.");
export const hostedZoneName = z
  .string()
  .regex(DNS_NAME, "must be the Route53 public zone name, like example.com")
  .describe("The name of an existing public Route53 hosted zone, like example.com.");

/** Why `name` cannot live in the Route53 zone `zone`, or undefined: the zone's apex or a name under it. */
export function outsideZone(name: string, zone: string): string | undefined {
  return name === zone || name.endsWith(`.${zone}`) ? undefined : `"${name}" is not in the zone ${zone}: use a name that ends in .${zone}`;
}

/**
 * AWS allows 50 tags a resource and the app adds 3 (Project, Environment, ManagedBy); the aws:
 * prefix is AWS's own, and tag text is limited to what every service accepts.
 */
export const MAX_USER_TAGS = 47;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const tags = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .superRefine((record, ctx) => {
    const entries = Object.entries(record);
    if (entries.length > MAX_USER_TAGS)
      ctx.addIssue({ code: "custom", message: `at most ${MAX_USER_TAGS} tags: AWS allows 50 a resource and the app adds 3` });
    const keys = new Map<string, string>();
    for (const [key, value] of entries) {
      const sameKey = keys.get(key.toLowerCase());
      if (sameKey !== undefined)
        ctx.addIssue({ code: "custom", path: [key], message: `differs from "${sameKey}" only in case; IAM treats tag keys as one` });
      keys.set(key.toLowerCase(), key);
      if (/^aws:/i.test(key) || /^aws:/i.test(value))
        ctx.addIssue({ code: "custom", path: [key], message: "keys and values starting with aws: are AWS's own" });
      else if (!TAG_TEXT.test(key) || !TAG_TEXT.test(value))
        ctx.addIssue({ code: "custom", path: [key], message: "tags take letters, digits, spaces and + - = . _ : / @ only" });
      else if (["project", "environment", "managedby"].includes(key.toLowerCase()))
        ctx.addIssue({ code: "custom", path: [key], message: "Project, Environment and ManagedBy are set by the app" });
    }
  })
  .default({})
  .describe(
    `Extra tags for every resource, at most ${MAX_USER_TAGS}: keys of 1-128 and values of up to 256 letters, digits, spaces and + - = . _ : / @, keys unique regardless of case. Keys and values must not start with aws:, and Project, Environment and ManagedBy are set by the app.`,
  );
