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

/** When the drift check runs unless a definition says otherwise: 06:00 UTC daily. */
export const DEFAULT_DRIFT_SCHEDULE = "cron(0 6 * * ? *)";

/**
 * An EventBridge Scheduler expression for a recurring check: `cron(minutes hours day-of-month
 * month day-of-week year)`, with fixed minutes and `?` in one of the day fields as Scheduler
 * demands, or `rate(n hours|days)`: no more often than hourly (each run is a CodeBuild build).
 */
const driftSchedule = z
  .string()
  .regex(/^(cron|rate)\(.+\)$/, 'must be cron(...) or rate(...), e.g. "cron(0 6 * * ? *)"')
  .refine(
    (expression) => {
      const rate = /^rate\((\d{1,3}) (hour|hours|day|days)\)$/.exec(expression);
      if (rate) return Number(rate[1]) >= 1 && (Number(rate[1]) === 1) === !rate[2].endsWith("s");
      const cron = /^cron\(([^()]+)\)$/.exec(expression);
      if (!cron) return false;
      const fields = cron[1].split(" ");
      return (
        fields.length === 6 &&
        fields.every((field) => /^[\dA-Z*?,/#L-]+$/.test(field)) &&
        /^\d{1,2}(,\d{1,2})*$/.test(fields[0]) &&
        (fields[2] === "?") !== (fields[4] === "?")
      );
    },
    {
      message:
        'must be cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) with fixed minutes and ? in one day field, or rate(<n> hours|days), e.g. "cron(0 6 * * ? *)"',
    },
  );

const githubRepository = z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be a GitHub repository, "owner/name"');
const branchName = z.string().regex(/^[\w][\w./-]{0,99}$/, "must be a branch name of letters, digits, _ . / and -");

const driftCheckSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Run the drift check."),
    schedule: driftSchedule
      .default(DEFAULT_DRIFT_SCHEDULE)
      .describe(
        "When it runs, in UTC: an EventBridge Scheduler cron(...) expression with fixed minutes, or rate(<n> hours|days); at most hourly, since each run is a CodeBuild build of a few minutes.",
      ),
    repository: githubRepository
      .optional()
      .describe(
        "The GitHub repository (owner/name) holding this infrastructure app, package.json at its root, read through the pipeline's connection (its GitHub app must be installed on it). Default: delivery.repository, for a product whose infrastructure lives beside it.",
      ),
    branch: branchName.optional().describe("The branch whose definitions are compared with what is deployed. Default: delivery.branch."),
  })
  .default({ enabled: true, schedule: DEFAULT_DRIFT_SCHEDULE })
  .describe(
    "A scheduled terraform plan of this environment's own stack (read-only, without the state lock), from the infrastructure repository through the pipeline's connection: changes are published to the alarm topic, a plan that fails pages as a failed check.",
  );

/** The branch a pipeline releases unless its definition names another. */
export const DEFAULT_BRANCH = "main";

/** Who runs releases: an AWS CodePipeline pipeline per environment, or the release workflow on GitHub Actions. */
export const DELIVERY_RUNNERS = ["codepipeline", "github-actions"] as const;

/** The delivery fields only a CodePipeline pipeline reads: a definition released through GitHub Actions refuses them. */
export const CODEPIPELINE_FIELDS = [
  "connectionArn",
  "connectionFrom",
  "manualApproval",
  "computeType",
  "logRetentionDays",
  "artifactRetentionDays",
  "driftCheck",
] as const;

export const deliverySchema = z.strictObject({
  via: z
    .enum(DELIVERY_RUNNERS, { error: `must be one of: ${DELIVERY_RUNNERS.join(", ")}` })
    .default("codepipeline")
    .describe(
      "Who releases: codepipeline, a pipeline in the account (CodeConnections, CodeBuild, approval, deploy); or github-actions, the release workflow (.github/workflows/release.yml, npm run release), which builds with Docker on the runner and deploys through a reviewed terraform apply, its approval the GitHub environment's required reviewers. Both build each image once, tag it with the commit, record what was deployed, and promote by digest. github-actions takes none of the CodePipeline settings (connectionArn, connectionFrom, manualApproval, computeType, logRetentionDays, artifactRetentionDays, driftCheck: drift.yml checks drift) and no blue/green services (CodeDeploy is driven by the pipeline).",
    ),
  repository: githubRepository
    .optional()
    .describe("The GitHub repository to release from, owner/name. Required unless promoteFrom names where releases come from."),
  branch: branchName.optional().describe(`The branch whose every commit is released; not with promoteFrom. Default: ${DEFAULT_BRANCH}.`),
  promoteFrom: z
    .string()
    .optional()
    .describe(
      "Another environment whose releases this pipeline deploys without building: each release that environment's pipeline deploys is recorded (commit and image digests) and starts this pipeline, which refuses any image whose digest differs, then approves, migrates and deploys it. Same project, account and region (the image repositories are shared). Not with repository, branch or builds: they come from it. The pipeline reads no repository; its drift check reads this app through its own connection (connectionArn or connectionFrom to share one).",
    ),
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
    .optional()
    .describe(
      "The images to build, keyed by the name of a service that runs each; every service on that service's ECR repository is deployed with it. A pipeline deploys at most 20 rolling services (a blue/green one counts 1.5). Required unless promoteFrom.",
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
  driftCheck: driftCheckSchema,
});

export type DeliveryDefinition = z.output<typeof deliverySchema>;
