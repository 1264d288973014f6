import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type EnvironmentConfig, resolveEnvironment } from "./environment";
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
  return environments;
}
