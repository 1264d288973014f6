import { rmSync } from "node:fs";
import { SHARED_SYNTH_ENV } from "./helpers";

export default function removeSharedSynth(): void {
  const outdir = process.env[SHARED_SYNTH_ENV];
  if (outdir) rmSync(outdir, { recursive: true, force: true });
}
