import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadEnvironments } from "../../src/config/load";
import { run, type RunOptions, type RunResult } from "./process";

/** The project root: the nearest folder above with a package.json (scripts run from dist/ when built, from source under jest). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json"))) {
    if (resolve(dir, "..") === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = resolve(dir, "..");
  }
  return dir;
})();
export const OUT_DIR = join(ROOT, "cdktf.out");
export const STACKS_DIR = join(OUT_DIR, "stacks");

/** Where machine images of this project's CI keep provider binaries (no registry is reachable there). */
const DEFAULT_MIRROR = "/opt/tf-plugins";

/** The provider mirror to install from, or undefined to use the public registry. */
export function providerMirror(): string | undefined {
  const mirror = process.env.TF_PROVIDER_MIRROR ?? DEFAULT_MIRROR;
  return existsSync(join(mirror, "registry.terraform.io")) ? mirror : undefined;
}

/**
 * Environment for running terraform: a generated CLI config that installs providers from the
 * local mirror when there is one, no update checks, no prompts.
 */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0", ...extra };
  const mirror = providerMirror();
  if (mirror) {
    const dir = join(ROOT, ".local");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "terraform.rc");
    writeFileSync(
      file,
      `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.terraform.io/*/*"]\n  }\n}\n`,
    );
    env.TF_CLI_CONFIG_FILE = file;
  }
  return env;
}

export function terraform(
  stackDir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: Pick<RunOptions, "timeoutSeconds"> = {},
): Promise<RunResult> {
  return run("terraform", [...args, "-no-color"], { cwd: stackDir, env, ...options });
}

/** The definitions' folders, as the app reads them (the same variables and defaults as main.ts). */
export const ENVIRONMENTS_DIR = process.env.ENVIRONMENTS_DIR ?? join(ROOT, "environments");
export const EXAMPLES_DIR = process.env.EXAMPLES_DIR ?? join(ROOT, "examples");

/** Of the synthesized stacks, those of an environment or example (not bootstrap, not images). */
export function environmentStacks(stacks: readonly string[]): string[] {
  const names = new Set(loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR).map((env) => env.name));
  return stacks.filter((stack) => names.has(stack));
}

/** Synthesizes every stack with the compiled app into `outdir`; throws with the app's message on failure. */
export async function synthAll(outdir = OUT_DIR, extraEnv: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const env = { ...process.env, ...extraEnv, CDKTF_OUTDIR: outdir };
  const result = await run(process.execPath, [join(ROOT, "dist", "main.js")], { cwd: ROOT, env });
  if (result.code !== 0) throw new Error(`synth failed:\n${result.stderr}${result.stdout}`);
  return readdirSync(join(outdir, "stacks")).sort();
}

/** A synthesized stack's resources: type → logical name → arguments. */
export interface StackJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
}

/** The Terraform JSON of a synthesized stack. */
export function readStack(stackDir: string): StackJson {
  const tf = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as Partial<StackJson>;
  return { ...tf, resource: tf.resource ?? {} };
}

/** Number of resources (not data sources) a synthesized stack declares. */
export function resourceCount(stackDir: string): number {
  return Object.values(readStack(stackDir).resource).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
}
