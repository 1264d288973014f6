import { join } from "node:path";
import { buildApp } from "./src/app";
import { ConfigError } from "./src/config/errors";

// Compiled to dist/main.js, so the definitions live one level up.
const environmentsDir = process.env.ENVIRONMENTS_DIR ?? join(__dirname, "..", "environments");

try {
  buildApp({ environmentsDir, env: process.env }).synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
