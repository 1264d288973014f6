import { z } from "zod";
import { retentionDays } from "./log-retention";

export const BUILD_COMPUTE_TYPES = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"] as const;

/** A path inside the repository: relative, no segment starting with a dot (so no `..`), nothing a shell or Terraform would read. */
const repositoryPath = z
  .string()
  .regex(/^(\.|[\w-][\w.-]*(\/[\w-][\w.-]*)*)$/, "must be a relative path of letters, digits, _ . - and /, without ..");

const imageBuildSchema = z.strictObject({
  /** Docker build context, relative to the repository root. @default "." */
  context: repositoryPath.default("."),
  /** Dockerfile, relative to the repository root. @default "<context>/Dockerfile" */
  dockerfile: repositoryPath.optional(),
});

/**
 * AWS-native delivery: a CodePipeline that takes each commit of one GitHub branch through a
 * CodeConnections connection, builds the images with CodeBuild (tagged with the commit id), waits
 * for a person's approval where asked, and deploys: ECS rolling or CodeDeploy blue/green per
 * service, or an SSM command on a single host.
 */
export const deliverySchema = z.strictObject({
  /** The GitHub repository, `owner/name`. */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be a GitHub repository, "owner/name"'),
  /** The branch whose commits are released. @default "main" */
  branch: z
    .string()
    .regex(/^[\w][\w./-]{0,99}$/, "must be a branch name of letters, digits, _ . / and -")
    .default("main"),
  /**
   * An approved CodeConnections connection to reuse, so one console approval serves every
   * environment. @default a new connection, pending until approved in the console
   */
  connectionArn: z
    .string()
    .regex(
      /^arn:aws:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/,
      "must be a CodeConnections (or CodeStar Connections) connection ARN",
    )
    .optional(),
  /**
   * Another environment whose connection to reuse, by name: that environment's pipeline creates
   * it and it is approved once. Same region (connections are regional) and account. @default none
   */
  connectionFrom: z.string().optional(),
  /** Images to build, by the name of a service that runs them; every service on the same ECR repository is deployed with it. */
  builds: z.record(z.string(), imageBuildSchema).refine((builds) => Object.keys(builds).length > 0, "name at least one service to build"),
  /** A person approves each release before it deploys. Production pipelines must have it. @default true in production, false elsewhere */
  manualApproval: z.boolean().optional(),
  /** CodeBuild compute for the image builds. @default "BUILD_GENERAL1_SMALL" */
  computeType: z.enum(BUILD_COMPUTE_TYPES, { error: `must be one of: ${BUILD_COMPUTE_TYPES.join(", ")}` }).default("BUILD_GENERAL1_SMALL"),
  /** Retention of the build logs. @default 30 */
  logRetentionDays: retentionDays.default(30),
  /** Days pipeline artifacts are kept in the artifact bucket. @default 30 */
  artifactRetentionDays: z.number().int().min(1).max(365).default(30),
});

export type DeliveryDefinition = z.output<typeof deliverySchema>;
