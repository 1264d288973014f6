import type { DeliveryConfig, EnvironmentConfig, ImageBuild } from "./environment";
import { problem } from "./errors";
import { MAX_RELEASE_WEIGHT, releaseWeight } from "./schema";

const FIELD = "delivery.promoteFrom";

/**
 * Resolves every `delivery.promoteFrom`: the pipeline promotes the images the named environment
 * releases (built there, or promoted there in turn) to this environment's services on the same
 * repositories, its drift check reads the repository and branch that environment builds from
 * (through this environment's own connection), and the named environment records each release
 * for it. Returns the environments, or the problems.
 */
export function resolvePromotions(environments: readonly EnvironmentConfig[]): { environments: EnvironmentConfig[]; problems: string[] } {
  const byName = new Map(environments.map((env) => [env.name, env]));
  const resolved = new Map<string, EnvironmentConfig>();
  const problems: string[] = [];

  const resolve = (env: EnvironmentConfig, chain: readonly string[]): EnvironmentConfig | undefined => {
    const done = resolved.get(env.name);
    if (done) return done;
    const promotion = env.delivery?.promotion;
    if (!env.delivery || !promotion) {
      resolved.set(env.name, env);
      return env;
    }
    const fail = (message: string) => {
      problems.push(problem(env.name, FIELD, message));
      return undefined;
    };
    const named = byName.get(promotion.from);
    if (!named) return fail(`names no environment (environments: ${environments.map((e) => e.name).join(", ")})`);
    if (named === env) return fail("names this environment itself: a pipeline that builds names repository and builds instead");
    if (chain.includes(named.name)) return fail(`promotions go round in a circle: ${[...chain, env.name, named.name].join(" → ")}`);
    if (!named.delivery) return fail(`environment "${named.name}" has no delivery section: it releases nothing to promote`);
    const upstream = resolve(named, [...chain, env.name]);
    if (!upstream) return undefined;
    const mismatch = (["project", "region", "account"] as const).find((field) => upstream[field] !== env[field]);
    if (mismatch)
      return fail(
        `environment "${upstream.name}" has ${mismatch} ${String(upstream[mismatch] ?? "unset")}, this one ${String(env[mismatch] ?? "unset")}: a promotion deploys the images of the repositories both share, in one project, account and region`,
      );
    if (upstream.delivery!.via !== env.delivery.via)
      return fail(
        `environment "${upstream.name}" releases through ${upstream.delivery!.via}, this one through ${env.delivery.via}: a promotion stays on one path (a recorded release starts the next pipeline; release.yml runs the next environment after it)`,
      );
    if (upstream.architecture !== env.architecture)
      return fail(`environment "${upstream.name}" builds ${upstream.architecture} images; this one runs ${env.architecture}`);

    const builds = upstream.delivery!.builds.flatMap((build): ImageBuild[] => {
      const services = env.services.filter((s) => s.image.repository === build.repository);
      return services.length ? [{ ...build, services }] : [];
    });
    if (builds.length === 0)
      return fail(
        `runs none of the images "${upstream.name}" releases (repositories: ${upstream.delivery!.builds.map((b) => b.repository).join(", ")})`,
      );
    const promoted = new Set(builds.map((b) => b.repository));
    const unreleased = (name: string) => !promoted.has(env.services.find((s) => s.name === name)!.image.repository);
    const blueGreen = env.services.filter((s) => s.deployment === "blueGreen" && unreleased(s.name));
    if (blueGreen.length)
      return fail(
        `blue/green services are released only by their pipeline, and "${upstream.name}" releases no image of ${blueGreen.map((s) => s.name).join(", ")}`,
      );
    if (env.migration && !env.singleHost && unreleased(env.migration.service))
      return fail(`the migration runs with the released image of "${env.migration.service}", and "${upstream.name}" releases none`);
    if (!env.singleHost && releaseWeight(builds.flatMap((b) => b.services)) > MAX_RELEASE_WEIGHT)
      return fail(
        `the pipeline would deploy more services than its role's policies hold (at most ${MAX_RELEASE_WEIGHT / 2} rolling services, a blue/green one counting 1.5)`,
      );

    const { repository, branch } = upstream.delivery!;
    const delivery: DeliveryConfig = {
      ...env.delivery,
      repository,
      branch,
      builds,
      promotion: { from: upstream.name, fromNamePrefix: upstream.namePrefix },
      ...(env.delivery.driftCheck
        ? {
            driftCheck: {
              ...env.delivery.driftCheck,
              repository: env.delivery.driftCheck.repository || repository,
              branch: env.delivery.driftCheck.branch || branch,
            },
          }
        : {}),
    };
    const result = { ...env, delivery };
    resolved.set(env.name, result);
    return result;
  };

  const all = environments.map((env) => resolve(env, []) ?? env);
  if (problems.length) return { environments: all, problems };
  // Each environment promoted from records its releases for those that promote it.
  const promotedTo = new Map<string, string[]>();
  for (const env of all) {
    const from = env.delivery?.promotion?.from;
    if (from) promotedTo.set(from, [...(promotedTo.get(from) ?? []), env.name]);
  }
  return {
    environments: all.map((env) =>
      env.delivery && promotedTo.has(env.name) ? { ...env, delivery: { ...env.delivery, promotedTo: promotedTo.get(env.name)! } } : env,
    ),
    problems,
  };
}
