/**
 * `npm run lint:delivery`: actionlint over the GitHub Actions workflows (with shellcheck on their
 * `run:` scripts) and shellcheck over the project's own shell scripts. Both are pinned and
 * installed by this script: actionlint with `go install` into .local/bin, shellcheck from PyPI
 * (lint/requirements.txt) into .local/shellcheck-venv.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "./lib/process";
import { ensurePythonVenv } from "./lib/python-venv";
import { ROOT } from "./lib/terraform";

const ACTIONLINT_VERSION = "1.7.12";
const WORKFLOWS = join(ROOT, ".github", "workflows");
const SHELL_SCRIPTS = [join(ROOT, ".ci", "run"), ...shellFiles(join(ROOT, "src", "host", "files"))];

function shellFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sh"))
    .map((f) => join(dir, f));
}

async function ensureActionlint(): Promise<string> {
  const bin = join(ROOT, ".local", "bin");
  const actionlint = join(bin, "actionlint");
  if (existsSync(actionlint) && (await run(actionlint, ["-version"])).stdout.startsWith(ACTIONLINT_VERSION)) return actionlint;
  console.log(`installing actionlint ${ACTIONLINT_VERSION} into ${bin}`);
  const install = await run("go", ["install", `github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}`], {
    env: { ...process.env, GOBIN: bin },
  });
  if (install.code !== 0) throw new Error(`go install actionlint failed:\n${install.stderr}`);
  return actionlint;
}

async function main(): Promise<void> {
  const python = await ensurePythonVenv("shellcheck-venv", join(ROOT, "lint", "requirements.txt"));
  const shellcheck = join(python, "..", "shellcheck");
  const actionlint = await ensureActionlint();
  const workflows = readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith(".yml"))
    .map((f) => join(WORKFLOWS, f));
  const checks: [string, string, string[]][] = [
    [`actionlint: ${workflows.length} workflows`, actionlint, ["-shellcheck", shellcheck, ...workflows]],
    [`shellcheck: ${SHELL_SCRIPTS.length} scripts`, shellcheck, SHELL_SCRIPTS],
  ];
  for (const [label, command, args] of checks) {
    const result = await run(command, args);
    console.log(`${label}: ${result.code === 0 ? "clean" : "FAILED"}`);
    if (result.code !== 0) {
      console.error(result.stdout + result.stderr);
      process.exitCode = 1;
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
