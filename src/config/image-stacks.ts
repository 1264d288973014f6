import type { EnvironmentConfig } from "./environment";
import { ConfigError, problem } from "./errors";

/**
 * The ECR repositories of one project in one region, shared by all its environments: images are
 * pushed once and every environment deploys them from there, so what staging ran is what prod
 * gets. They live in their own stack, applied before any environment.
 */
export interface ImageStackConfig {
  /** `<project>-images`, or `<project>-images-<region>` when the project spans regions. */
  readonly name: string;
  readonly project: string;
  readonly region: string;
  /** Repository names within the project (`<project>/<name>` in ECR), sorted. */
  readonly repositories: readonly string[];
  /** Tags of the environments' definitions: the project's own tags apply to its images stack. */
  readonly tags: Readonly<Record<string, string>>;
}

/** The ECR repository an environment's service pulls from. */
export const repositoryName = (project: string, repository: string) => `${project}/${repository}`;

/** The images stacks the environments need: one per project and region that runs services. */
export function imageStacks(environments: readonly EnvironmentConfig[]): ImageStackConfig[] {
  const byProject = new Map<string, Map<string, Set<string>>>();
  for (const env of environments) {
    if (env.services.length === 0) continue;
    const regions = byProject.get(env.project) ?? new Map<string, Set<string>>();
    const repositories = regions.get(env.region) ?? new Set<string>();
    for (const service of env.services) repositories.add(service.image.repository);
    regions.set(env.region, repositories);
    byProject.set(env.project, regions);
  }
  const stacks = [...byProject].flatMap(([project, regions]) =>
    [...regions].map(([region, repositories]) => ({
      name: regions.size === 1 ? `${project}-images` : `${project}-images-${region}`,
      project,
      region,
      repositories: [...repositories].sort(),
      tags: { Project: project, Purpose: "images", ManagedBy: "cdktf" },
    })),
  );
  const taken = environments.filter((env) => stacks.some((stack) => stack.name === env.name));
  if (taken.length > 0)
    throw new ConfigError(
      taken.map((env) => problem(env.name, "(file)", `"${env.name}" is the name of the project's images stack; rename the definition`)),
    );
  return stacks.sort((a, b) => a.name.localeCompare(b.name));
}
