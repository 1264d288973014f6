/** Field types more than one section of a definition uses. */
import { z } from "zod";
import { CidrError, parseCidr } from "./cidr";

export const cidrBlock = z.string().superRefine((value, ctx) => {
  try {
    parseCidr(value);
  } catch (error) {
    if (!(error instanceof CidrError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message });
  }
});

/** Secrets Manager secret or SSM parameter ARNs: the only things a container secret may name. */
export const SECRET_ARN =
  /^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+|ssm:[a-z0-9-]+:\d{12}:parameter\/[\w/.-]+)$/;

export const dnsName = z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "must be a DNS name like app.example.com");
export const hostedZoneName = z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "must be the Route53 public zone name, like example.com");
