import { z } from "zod";
import { retentionDays, retentionDescription } from "./log-retention";

export const BUILD_COMPUTE_TYPES = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"] as const;

/** A path inside the repository: relative, no segment starting with a dot (so no `..`), nothing a shell or Terraform would read. */
const repositoryPath = z
  .string()
  .regex(/^(\.|[\w-][\w.-]*(\/[\w-][\w.-]*)*)$/, "must be a relative path of letters, digits, _ . - and /, without ..");

const imageBuildSchema = z
  .strictObject({
    context: repositoryPath.default(".").describe("Docker build context, relative to the repository root."),
    dockerfile: repositoryPath.optional().describe("The Dockerfile, relative to the repository root. Default: Dockerfile in the context."),
  })
  .describe("How CodeBuild builds one image.");

export const deliverySchema = z.strictObject({
  repository: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, 'must be a GitHub repository, "owner/name"')
    .describe("The GitHub repository to release from, owner/name."),
  branch: z
    .string()
    .regex(/^[\w][\w./-]{0,99}$/, "must be a branch name of letters, digits, _ . / and -")
    .default("main")
    .describe("The branch whose every commit is released."),
  connectionArn: z
    .string()
    .regex(
      /^arn:aws:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/,
      "must be a CodeConnections (or CodeStar Connections) connection ARN",
    )
    .optional()
    .describe(
      "An approved CodeConnections connection to reuse, so one console approval serves every environment; not with connectionFrom. Default: a new connection, pending until someone approves it in the console.",
    ),
  connectionFrom: z
    .string()
    .optional()
    .describe(
      "Another environment whose connection to reuse, by name: its pipeline creates the connection, which is approved once. It must be in the same account and region (connections are regional) and be applied first; not with connectionArn.",
    ),
  builds: z
    .record(z.string(), imageBuildSchema)
    .refine((builds) => Object.keys(builds).length > 0, "name at least one service to build")
    .describe(
      "The images to build, keyed by the name of a service that runs each; every service on that service's ECR repository is deployed with it. A pipeline deploys at most 20 rolling services (a blue/green one counts 1.5).",
    ),
  manualApproval: z
    .boolean()
    .optional()
    .describe(
      "A person approves each release between build and deploy; production refuses false. Default: on in production, off otherwise.",
    ),
  computeType: z
    .enum(BUILD_COMPUTE_TYPES, { error: `must be one of: ${BUILD_COMPUTE_TYPES.join(", ")}` })
    .default("BUILD_GENERAL1_SMALL")
    .describe("CodeBuild compute type of the image builds."),
  logRetentionDays: retentionDays.default(30).describe(retentionDescription("the build logs")),
  artifactRetentionDays: z.number().int().min(1).max(365).default(30).describe("Days pipeline artifacts are kept in the artifact bucket."),
});

export type DeliveryDefinition = z.output<typeof deliverySchema>;
