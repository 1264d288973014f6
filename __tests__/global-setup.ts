import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../src/app";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR, REVIEW_SETTINGS, SHARED_SYNTH_ENV } from "./helpers";

/**
 * Synthesizes every committed definition once per test run, with the app's own entry point, as a
 * fresh clone's `npx cdktf synth` does (no state bucket, no emulator: REVIEW_SETTINGS), so suites
 * read the stacks instead of building them again and again.
 */
export default function synthesizeCommittedStacks(): void {
  const outdir = mkdtempSync(join(tmpdir(), "jest-synth-"));
  const env = { TF_STATE_REGION: REVIEW_SETTINGS.state.region };
  buildApp({ environmentsDir: ENVIRONMENTS_DIR, examplesDir: EXAMPLES_DIR, env, outdir }).synth();
  // Workers start after global setup and inherit its environment.
  process.env[SHARED_SYNTH_ENV] = outdir;
}
