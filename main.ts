import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildApp } from "./src/app";
import { ConfigError } from "./src/config/errors";

// Compiled to dist/main.js, so the definitions live one level up.
const environmentsDir = process.env.ENVIRONMENTS_DIR ?? join(__dirname, "..", "environments");
const examplesDir = process.env.EXAMPLES_DIR ?? join(__dirname, "..", "examples");

try {
  buildApp({ environmentsDir, ...(existsSync(examplesDir) ? { examplesDir } : {}), env: process.env }).synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
