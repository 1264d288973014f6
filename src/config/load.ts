import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type EnvironmentConfig, resolveEnvironment } from "./environment";
import { ConfigError, problem } from "./errors";

/**
 * Reads every `<name>.json` in `dir`, validates them all and returns their configurations.
 * Problems in all files are collected into one ConfigError before anything is built.
 */
export function loadEnvironments(dir: string): EnvironmentConfig[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
  } catch (error) {
    throw new ConfigError([`cannot read the environments directory ${dir}: ${(error as Error).message}`]);
  }
  if (files.length === 0) throw new ConfigError([`no environment definitions (*.json) in ${dir}`]);

  const problems: string[] = [];
  const environments: EnvironmentConfig[] = [];
  for (const file of files) {
    const name = basename(file, ".json");
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(dir, file), "utf8"));
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
