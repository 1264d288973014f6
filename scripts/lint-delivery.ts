/**
 * `npm run lint:delivery`: actionlint over the GitHub Actions workflows (with shellcheck on their
 * `run:` scripts), and shellcheck over the project's own shell scripts and over the commands of
 * every buildspec the stacks generate (each written out as one bash script). Both tools are pinned and
 * installed by this script: actionlint with `go install` into .local/bin, shellcheck from PyPI
 * (lint/requirements.txt) into .local/shellcheck-venv.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { load as parseYaml } from "js-yaml";
import { join } from "node:path";
import { run } from "./lib/process";
import { ensurePythonVenv } from "./lib/python-venv";
import { readStack, ROOT, synthAll } from "./lib/terraform";

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
  if (existsSync(actionlint) && (await run(actionlint, ["-version"])).stdout.startsWith(`v${ACTIONLINT_VERSION}`)) return actionlint;
  console.log(`installing actionlint ${ACTIONLINT_VERSION} into ${bin}`);
  const install = await run("go", ["install", `github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}`], {
    env: { ...process.env, GOBIN: bin },
  });
  if (install.code !== 0) throw new Error(`go install actionlint failed:\n${install.stderr}`);
  return actionlint;
}

/** Each CodeBuild project's buildspec commands, from a fresh synth, as bash scripts in `dir`. */
async function buildSpecScripts(dir: string): Promise<string[]> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const outdir = join(dir, "cdktf.out");
  const scripts: string[] = [];
  for (const stack of await synthAll(outdir)) {
    const projects = readStack(join(outdir, "stacks", stack)).resource.aws_codebuild_project ?? {};
    for (const project of Object.values(projects)) {
      const spec = parseYaml((project.source as { buildspec: string }).buildspec) as { phases: Record<string, { commands: string[] }> };
      const commands = Object.values(spec.phases).flatMap((phase) => phase.commands);
      const file = join(dir, `${stack}-${String(project.name)}.sh`);
      writeFileSync(file, ["#!/usr/bin/env bash", ...commands, ""].join("\n"));
      scripts.push(file);
    }
  }
  return scripts;
}

async function main(): Promise<void> {
  const python = await ensurePythonVenv("shellcheck-venv", join(ROOT, "lint", "requirements.txt"));
  const shellcheck = join(python, "..", "shellcheck");
  const actionlint = await ensureActionlint();
  const workflows = readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith(".yml"))
    .map((f) => join(WORKFLOWS, f));
  const buildSpecs = await buildSpecScripts(join(ROOT, ".local", "buildspecs"));
  const checks: [string, string, string[]][] = [
    [`actionlint: ${workflows.length} workflows`, actionlint, ["-shellcheck", shellcheck, ...workflows]],
    [`shellcheck: ${SHELL_SCRIPTS.length} scripts`, shellcheck, SHELL_SCRIPTS],
    [`shellcheck: ${buildSpecs.length} generated buildspecs`, shellcheck, buildSpecs],
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
