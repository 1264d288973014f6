import { existsSync, readdirSync, rmSync } from "node:fs";
import { basename } from "node:path";
import { App } from "cdktf";
import type { EnvironmentConfig } from "./config/environment";
import { ConfigError, problem } from "./config/errors";
import { loadEnvironments } from "./config/load";
import { readSettings } from "./config/settings";
import { imageStacks } from "./config/image-stacks";
import { BootstrapStack } from "./stacks/bootstrap-stack";
import { ImagesStack } from "./stacks/images-stack";
import { EnvironmentStack } from "./stacks/environment-stack";

export interface BuildAppOptions {
  /** Folder of `<environment>.json` definitions. */
  readonly environmentsDir: string;
  /**
   * Folder of example definitions (the reference designs), built like environments.
   * @default none
   */
  readonly examplesDir?: string;
  /** Process environment to read settings from (state bucket, local AWS). */
  readonly env: NodeJS.ProcessEnv;
  /** @default cdktf's own (cdktf.out, or what the CLI passes) */
  readonly outdir?: string;
}

function refusePlaceholders(environments: readonly EnvironmentConfig[]): void {
  const problems = environments.flatMap((env) =>
    env.placeholders.map((p) =>
      problem(
        env.name,
        p.field,
        `"${p.value}" is ${p.reason}: put the real value here before deploying (TF_STATE_BUCKET is set: a synth for a real account)`,
      ),
    ),
  );
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * Validates every definition and setting first, then builds the bootstrap stack, one images
 * stack per project and region, and one stack per environment. Throws ConfigError on bad input,
 * before any stack is written (a host's user data over EC2's limit is found while building it).
 */
export function buildApp(options: BuildAppOptions): App {
  const settings = readSettings(options.env);
  const environments = loadEnvironments(options.environmentsDir, ...(options.examplesDir ? [options.examplesDir] : []));
  // With a state bucket and no emulator, this synth is what `cdktf deploy` applies to a real account.
  if (settings.state.bucket && !settings.localAwsEndpoint) refusePlaceholders(environments);
  const images = imageStacks(environments);
  // drift.yml checks the environments, not the examples: the bootstrap's drift role reads only their secrets.
  const ownFiles = new Set(
    readdirSync(options.environmentsDir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => basename(f, ".json")),
  );
  const checked = environments.filter((env) => ownFiles.has(env.name));
  const outdir = options.outdir ?? options.env.CDKTF_OUTDIR ?? "cdktf.out";
  const outdirExisted = existsSync(outdir);
  // cdktf's App creates its folder at once; a definition refused while its stack is built leaves none behind.
  const app = new App({ outdir });
  try {
    new BootstrapStack(app, settings, checked);
    for (const config of images) new ImagesStack(app, config, settings);
    for (const env of environments) new EnvironmentStack(app, env, settings);
  } catch (error) {
    if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
  return app;
}
