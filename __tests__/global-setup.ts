import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../src/app";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR, SETTINGS, SHARED_SYNTH_ENV } from "./helpers";

/**
 * Synthesizes every committed definition once per test run, with the app's own entry point and
 * the tests' settings, so suites read the stacks instead of building them again and again.
 */
export default function synthesizeCommittedStacks(): void {
  const outdir = mkdtempSync(join(tmpdir(), "jest-synth-"));
  const env = { TF_STATE_BUCKET: SETTINGS.state.bucket, TF_STATE_REGION: SETTINGS.state.region };
  buildApp({ environmentsDir: ENVIRONMENTS_DIR, examplesDir: EXAMPLES_DIR, env, outdir }).synth();
  // Workers start after global setup and inherit its environment.
  process.env[SHARED_SYNTH_ENV] = outdir;
}
