import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { connectionName, type EnvironmentConfig, resolveEnvironment } from "./environment";
import { ConfigError, problem } from "./errors";

/**
 * Reads every `<name>.json` in each of `dirs` (the environments, then the examples), validates
 * them all and returns their configurations. Problems in all files, and names defined twice, are
 * collected into one ConfigError before anything is built.
 */
export function loadEnvironments(...dirs: string[]): EnvironmentConfig[] {
  const files: { dir: string; file: string }[] = [];
  for (const dir of dirs) {
    try {
      files.push(
        ...readdirSync(dir)
          .filter((f) => f.endsWith(".json"))
          .sort()
          .map((file) => ({ dir, file })),
      );
    } catch (error) {
      throw new ConfigError([`cannot read the environments directory ${dir}: ${(error as Error).message}`]);
    }
  }
  if (files.length === 0) throw new ConfigError([`no environment definitions (*.json) in ${dirs.join(", ")}`]);

  const problems: string[] = [];
  const environments: EnvironmentConfig[] = [];
  const seen = new Map<string, string>();
  for (const { dir, file } of files) {
    const name = basename(file, ".json");
    const path = join(dir, file);
    if (seen.has(name)) {
      problems.push(problem(name, "(file)", `${path} and ${seen.get(name)} define the same stack`));
      continue;
    }
    seen.set(name, path);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      problems.push(problem(name, "(file)", `${file} is not valid JSON: ${(error as Error).message}`));
      continue;
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      problems.push(
        problem(
          name,
          "(file)",
          `${file} must hold one JSON object, not ${Array.isArray(raw) ? "an array" : String(raw === null ? "null" : typeof raw)}`,
        ),
      );
      continue;
    }
    try {
      environments.push(resolveEnvironment(name, raw));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const resolved = environments.map((env) => {
    const shared = shareConnection(env, environments);
    if (typeof shared === "string") problems.push(shared);
    return typeof shared === "string" ? env : shared;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

/**
 * A pipeline that reuses another environment's connection (`delivery.connectionFrom`) looks it up
 * by the name that environment gives it; a problem (as text) when there is no such connection.
 */
function shareConnection(env: EnvironmentConfig, all: readonly EnvironmentConfig[]): EnvironmentConfig | string {
  const connection = env.delivery?.connection;
  if (!env.delivery || !connection || !("from" in connection)) return env;
  const fail = (message: string) => problem(env.name, "delivery.connectionFrom", message);
  const owner = all.find((other) => other.name === connection.from);
  if (!owner) return fail(`names no environment (environments: ${all.map((e) => e.name).join(", ")})`);
  if (owner === env) return fail("names this environment itself; leave it out to create the connection here");
  if (!owner.delivery) return fail(`environment "${owner.name}" has no delivery section, so no connection to share`);
  if (!("create" in owner.delivery.connection))
    return fail(`environment "${owner.name}" reuses a connection itself; name the environment that creates it`);
  if (owner.region !== env.region)
    return fail(`environment "${owner.name}" is in ${owner.region}; a connection serves its own region only`);
  return { ...env, delivery: { ...env.delivery, connection: { lookUp: connectionName(owner.namePrefix) } } };
}
