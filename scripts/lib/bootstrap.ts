import { join } from "node:path";
import { BOOTSTRAP_STACK } from "../../src/stacks/bootstrap-stack";
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
