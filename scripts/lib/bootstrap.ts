import { join } from "node:path";
import type { EnvironmentConfig } from "../../src/config/environment";
import { imageStacks, repositoryName } from "../../src/config/image-stacks";
import { BOOTSTRAP_STACK } from "../../src/stacks/bootstrap-stack";
import { pushImage } from "./local-aws";
import type { RunResult } from "./process";
import { terraform } from "./terraform";

export class StepError extends Error {}

export function check(result: RunResult, what: string, okCodes = [0]): void {
  if (!okCodes.includes(result.code)) {
    const output = `${result.stderr}\n${result.stdout}`.trim().split("\n").slice(-40).join("\n");
    throw new StepError(`${what} failed (exit ${result.code}):\n${output}`);
  }
}

/**
 * Creates the state bucket by applying the synthesized bootstrap stack in `outDir`, keeping its
 * local state in `stateFile` (not the project root's, which belongs to the real bucket). Returns
 * the apply, and the bucket's name (its `state_bucket` output): what TF_STATE_BUCKET must be.
 */
export async function applyBootstrap(
  outDir: string,
  stateFile: string,
  env: NodeJS.ProcessEnv,
): Promise<{ apply: RunResult; stateBucket: string }> {
  const dir = join(outDir, "stacks", BOOTSTRAP_STACK);
  check(await terraform(dir, ["init", "-input=false", "-reconfigure", `-backend-config=path=${stateFile}`], env), "bootstrap init");
  const apply = await terraform(dir, ["apply", "-auto-approve", "-input=false"], env);
  check(apply, "bootstrap apply");
  const output = await terraform(dir, ["output", "-raw", "state_bucket"], env);
  check(output, "bootstrap output");
  return { apply, stateBucket: output.stdout.trim() };
}

/**
 * The first deploy's next steps on the local AWS: applies the images stacks `environments` need
 * (synthesized in `outDir`), then pushes every image they name. Returns how many were pushed.
 */
export async function applyImagesAndPush(
  outDir: string,
  environments: readonly EnvironmentConfig[],
  env: NodeJS.ProcessEnv,
  endpoint: string,
): Promise<number> {
  for (const images of imageStacks(environments)) {
    const dir = join(outDir, "stacks", images.name);
    for (const args of [
      ["init", "-input=false"],
      ["apply", "-auto-approve", "-input=false"],
    ])
      check(await terraform(dir, args, env), `${images.name}: terraform ${args[0]}`);
  }
  const pushes = new Set(
    environments.flatMap((e) => e.services.map((s) => `${repositoryName(e.project, s.image.repository)}:${s.image.tag}`)),
  );
  for (const image of pushes) {
    const [repository, tag] = image.split(":");
    await pushImage(endpoint, repository, tag);
  }
  return pushes.size;
}
