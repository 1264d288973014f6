import { z } from "zod";

/** What a migration may take at most: CodeBuild's default build timeout is an hour, and a longer migration locks the release. */
const MAX_MIGRATION_MINUTES = 60;

export const releaseSchema = z
  .strictObject({
    migrate: z
      .strictObject({
        service: z
          .string()
          .describe(
            "The service whose new image, task role, secrets, network and log group the migration runs with (its image is built by the pipeline on ECS).",
          ),
        command: z
          .array(z.string().min(1, "must not be empty"))
          .min(1, "give the command and its arguments")
          .describe('The migration command and its arguments, e.g. ["alembic", "upgrade", "head"]; it must be safe to run again.'),
        timeoutMinutes: z
          .number()
          .int()
          .min(1)
          .max(MAX_MIGRATION_MINUTES)
          .default(15)
          .describe(`Minutes the migration may take (1-${MAX_MIGRATION_MINUTES}); then it is stopped and the release fails.`),
      })
      .optional()
      .describe(
        "A command run once per release with the new image before any service moves: on ECS a one-off Fargate task in the pipeline's Migrate stage; on a single host docker compose run in the deploy script (and before the containers start at boot). A non-zero exit or a timeout stops the release. Default: none.",
      ),
  })
  .describe("Steps of every release.");

export type ReleaseDefinition = z.output<typeof releaseSchema>;
export type MigrationDefinition = NonNullable<ReleaseDefinition["migrate"]>;

/** Issues of the release steps against the rest of the definition. */
export function releaseIssues(
  env: {
    readonly release?: ReleaseDefinition;
    readonly services: readonly { readonly name: string; readonly image: { readonly repository?: string } }[];
    readonly singleHost?: unknown;
    readonly delivery?: { readonly builds?: Readonly<Record<string, unknown>>; readonly promoteFrom?: string };
  },
  issue: (path: (string | number)[], message: string) => void,
): void {
  const migrate = env.release?.migrate;
  if (!migrate) return;
  if (!env.services.some((s) => s.name === migrate.service)) {
    const known = env.services.map((s) => s.name).join(", ") || "none";
    issue(["release", "migrate", "service"], `names no service of this environment (services: ${known})`);
    return;
  }
  if (env.singleHost) return;
  if (!env.delivery)
    issue(
      ["release", "migrate"],
      "on ECS the migration runs in the release pipeline, before its deploy: add a delivery section (a terraform apply alone cannot run a task first)",
    );
  const repository = (name: string) => {
    const svc = env.services.find((s) => s.name === name);
    return svc?.image.repository ?? name;
  };
  const built = new Set(Object.keys(env.delivery?.builds ?? {}).map(repository));
  // A promoted release's images are known once every definition is (loadEnvironments checks them).
  if (env.delivery && !env.delivery.promoteFrom && !built.has(repository(migrate.service)))
    issue(
      ["release", "migrate", "service"],
      `the pipeline does not build "${migrate.service}": the migration runs with the image a release builds (add it to delivery.builds)`,
    );
}
