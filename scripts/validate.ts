/**
 * `npm run validate`: synthesizes every stack, then runs `terraform init -backend=false` (from
 * the local provider mirror when there is one) and `terraform validate -json` in each, and then
 * the independent validators (scripts/lib/validators.ts): tflint with the AWS ruleset on every
 * stack; cloud-init's schema, the Compose schema and `caddy validate` on every single host's user
 * data, compose file and Caddyfile; cfn-lint on the SSM documents. Fails on any error or warning;
 * prints a table per part. `--install-only` installs the validators and stops (CI builds them in
 * the background while other steps run).
 */
import { join } from "node:path";
import { mapLimited, printTable } from "./lib/process";
import { Progress } from "./lib/progress";
import { providerMirror, resourceCount, STACKS_DIR, synthAll, terraform, terraformEnv } from "./lib/terraform";
import {
  composeSchema,
  ensureCaddy,
  ensureCloudInit,
  ensureTflint,
  hostsOf,
  runCaddy,
  runCanaries,
  runCloudInit,
  runComposeSchema,
  runSsmDocuments,
  runTflint,
  type Verdict,
} from "./lib/validators";

interface Diagnostic {
  severity: "error" | "warning";
  summary: string;
  detail?: string;
}

async function validateStack(stack: string, env: NodeJS.ProcessEnv) {
  const dir = join(STACKS_DIR, stack);
  const started = Date.now();
  const init = await terraform(dir, ["init", "-backend=false", "-input=false"], env);
  if (init.code !== 0)
    return { stack, problems: [`init failed: ${init.stderr.trim() || init.stdout.trim()}`], seconds: (Date.now() - started) / 1000 };
  const validate = await terraform(dir, ["validate", "-json"], env);
  const report = JSON.parse(validate.stdout) as { valid: boolean; diagnostics: Diagnostic[] };
  const problems = report.diagnostics.map((d) => `${d.severity}: ${d.summary}${d.detail ? ` — ${d.detail}` : ""}`);
  if (!report.valid && problems.length === 0) problems.push("invalid, without diagnostics");
  return { stack, problems, seconds: (Date.now() - started) / 1000 };
}

/** The validators' binaries, installed (or found in .local/) one after another: the Go builds take the machine's cores. */
async function installValidators() {
  const log = (line: string) => console.log(line);
  const tflint = await ensureTflint(log);
  const caddy = await ensureCaddy(log);
  const cloudInit = await ensureCloudInit(log);
  const schema = await composeSchema();
  return { tflint, caddy, cloudInit, schema };
}

async function runValidators(
  stacks: readonly string[],
  tools: Awaited<ReturnType<typeof installValidators>>,
  progress: Progress,
): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  const add = (...found: Verdict[]) => {
    for (const v of found) {
      verdicts.push(v);
      progress.report(v.target, v.validator, v.problems ? "FAILED" : "ok", v.seconds);
    }
  };
  add(...(await runCanaries(tools)));
  add(await runTflint(tools.tflint, STACKS_DIR, stacks));
  for (const host of hostsOf(STACKS_DIR, stacks)) {
    add(await runCloudInit(tools.cloudInit, host.stack, host.userData));
    if (host.nat) continue;
    add(await runComposeSchema(tools.schema, host.stack, host.files["/etc/app-host/compose.json"]));
    add(await runCaddy(tools.caddy, host.stack, host.files["/etc/app-host/Caddyfile"]));
  }
  const documents = await runSsmDocuments(STACKS_DIR, stacks);
  if (documents) add(documents);
  return verdicts;
}

async function main(): Promise<void> {
  if (process.argv.includes("--install-only")) {
    const started = Date.now();
    await installValidators();
    console.log(`validators installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return;
  }
  const progress = new Progress();
  const stacks = await progress.step("all stacks", "synth", () => synthAll());
  const env = terraformEnv();
  console.log(`providers from ${providerMirror() ?? "the registry"}; validating ${stacks.length} stacks`);
  // Installing the validators is mostly compiling; terraform's inits mostly wait on the disk.
  const installing = progress.step("validators", "install, or find in .local/", installValidators);
  installing.catch(() => undefined);
  const results = await mapLimited(stacks, 2, async (stack) => {
    const result = await validateStack(stack, env);
    progress.report(stack, "terraform validate", result.problems.length === 0 ? "ok" : "FAILED", result.seconds);
    return result;
  });
  printTable(
    ["stack", "resources", "result", "seconds"],
    results.map((r) => [
      r.stack,
      String(resourceCount(join(STACKS_DIR, r.stack))),
      r.problems.length === 0 ? "valid" : "FAILED",
      r.seconds.toFixed(1),
    ]),
  );
  const failed = results.filter((r) => r.problems.length > 0);
  for (const r of failed) console.error(`\n${r.stack}:\n  ${r.problems.join("\n  ")}`);
  if (failed.length > 0) process.exitCode = 1;

  const verdicts = await runValidators(stacks, await installing, progress);
  console.log("");
  printTable(
    ["validator", "of", "result", "seconds"],
    verdicts.map((v) => [v.validator, v.target, v.problems ? "FAILED" : (v.expected ?? "valid"), v.seconds.toFixed(1)]),
  );
  console.log(`\nvalidate took ${progress.elapsed().toFixed(0)} s`);
  for (const v of verdicts.filter((v) => v.problems)) console.error(`\n${v.validator}, ${v.target}:\n${v.problems}`);
  if (verdicts.some((v) => v.problems)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
