/**
 * `npm run validate`: synthesizes every stack, then runs `terraform init -backend=false` (from
 * the local provider mirror when there is one) and `terraform validate -json` in each. Fails
 * on any error or warning; prints a table of stack, resources, result and seconds.
 */
import { join } from "node:path";
import { mapLimited, printTable } from "./lib/process";
import { providerMirror, resourceCount, STACKS_DIR, synthAll, terraform, terraformEnv } from "./lib/terraform";

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

async function main(): Promise<void> {
  const stacks = await synthAll();
  const env = terraformEnv();
  console.log(`providers from ${providerMirror() ?? "the registry"}; validating ${stacks.length} stacks`);
  const results = await mapLimited(stacks, 2, (stack) => validateStack(stack, env));
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
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
