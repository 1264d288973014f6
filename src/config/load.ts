import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";
import { connectionName, type EnvironmentConfig, resolveEnvironment } from "./environment";
import { overlaps, parseCidr } from "./cidr";
import { ConfigError, problem } from "./errors";
import { resolvePromotions } from "./promotion";

/**
 * Reads every `<name>.json` in each of `dirs` (the environments, then the examples), validates
 * them all and returns their configurations. Problems in all files, and names defined twice, are
 * collected into one ConfigError before anything is built.
 */
export function loadEnvironments(...dirs: string[]): EnvironmentConfig[] {
  const files: { dir: string; file: string }[] = [];
  const problems: string[] = [];
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (error) {
      throw new ConfigError([`cannot read the environments directory ${dir}: ${(error as Error).message}`]);
    }
    for (const file of entries.filter((f) => /\.json$/i.test(f)).sort()) {
      // A definition named prod.JSON would otherwise be skipped without a word.
      if (!file.endsWith(".json"))
        problems.push(
          problem(basename(file, extname(file)), "(file)", `${join(dir, file)} ends in ${extname(file)}; definitions end in .json`),
        );
      else files.push({ dir, file });
    }
  }
  if (files.length === 0 && problems.length === 0) throw new ConfigError([`no environment definitions (*.json) in ${dirs.join(", ")}`]);

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
    const read = readDefinition(path);
    if ("problem" in read) {
      problems.push(problem(name, "(file)", read.problem));
      continue;
    }
    const raw = read.value;
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
  problems.push(...crossDefinitionProblems(environments));
  const promotions = resolvePromotions(environments);
  if (promotions.problems.length > 0) throw new ConfigError([...problems, ...promotions.problems]);
  const resolved = promotions.environments.map((env) => {
    const shared = shareConnection(env, environments);
    if (typeof shared === "string") problems.push(shared);
    return typeof shared === "string" ? env : shared;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

/**
 * What two definitions cannot share: a name prefix (their IAM roles, load balancers, log groups
 * would be one), or, in one account and region, VPC addresses (unless one says it is never routed
 * to the others). Definitions without an account may meet in one.
 */
function crossDefinitionProblems(environments: readonly EnvironmentConfig[]): string[] {
  const problems: string[] = [];
  environments.forEach((env, i) => {
    for (const other of environments.slice(0, i)) {
      if (other.namePrefix === env.namePrefix)
        problems.push(
          problem(
            env.name,
            "project",
            `"${env.namePrefix}" is also ${other.name}'s name prefix (project-environment): their resources would collide`,
          ),
        );
      const sameAccount = !env.account || !other.account || env.account === other.account;
      if (
        sameAccount &&
        other.region === env.region &&
        !env.network.allowOverlap &&
        !other.network.allowOverlap &&
        overlaps(parseCidr(env.network.vpcCidr), parseCidr(other.network.vpcCidr))
      )
        problems.push(
          problem(
            env.name,
            "network.vpcCidr",
            `${env.network.vpcCidr} overlaps ${other.name}'s ${other.network.vpcCidr} in ${env.region}: pick another range, or set network.allowOverlap when the two are never routed to each other`,
          ),
        );
    }
  });
  return problems;
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

/** 1-based line and column of an offset in `text`. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** Keys a JSON object holds twice (JSON.parse keeps the last without a word), and __proto__ keys (which JavaScript objects drop). */
function keyProblems(node: Node, text: string, path: string[] = []): string[] {
  const at = (p: string[]) => (p.length ? p.join(".") : "the top level");
  if (node.type === "array") return (node.children ?? []).flatMap((child, i) => keyProblems(child, text, [...path, String(i)]));
  if (node.type !== "object") return [];
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const property of node.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    const key = String(keyNode.value);
    if (key === "__proto__") problems.push(`key "__proto__" at ${at(path)} is not allowed: a JavaScript object would drop it`);
    const first = seen.get(key);
    if (first !== undefined)
      problems.push(`key "${key}" appears twice in ${at(path)} (${position(text, first)} and ${position(text, keyNode.offset)}); keep one`);
    else seen.set(key, keyNode.offset);
    if (valueNode) problems.push(...keyProblems(valueNode, text, [...path, key]));
  }
  return problems;
}

/** One definition file's JSON value, or what keeps it from being one, in words a person can act on. */
export function readDefinition(path: string): { value: unknown } | { problem: string } {
  const file = basename(path);
  let text: string;
  try {
    if (statSync(path).isDirectory()) return { problem: `${path} is a directory, not a definition` };
    text = readFileSync(path, "utf8");
  } catch (error) {
    return { problem: `${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  // Editors on Windows may start the file with a byte-order mark; it is not part of the JSON.
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || !tree) {
    const [first] = errors;
    const what = first
      ? printParseErrorCode(first.error)
          .replace(/([a-z])([A-Z])/g, "$1 $2")
          .toLowerCase()
      : "no JSON value";
    return { problem: `${file} is not valid JSON: ${what} at ${position(text, first?.offset ?? 0)}` };
  }
  const keys = keyProblems(tree, text);
  if (keys.length > 0) return { problem: `${file}: ${keys.join("; ")}` };
  return { value: getNodeValue(tree) };
}
