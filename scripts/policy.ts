/**
 * `npm run policy`: synthesizes every stack and scans each with checkov (pinned in
 * policy/requirements.txt, installed into .local/checkov-venv). A failed check passes only when
 * the resource carries a suppression with its reason (src/policy-suppressions.ts); it is then
 * reported as skipped. Prints passed / failed / skipped per stack, every failure and every
 * suppression; exits 1 on any unsuppressed failure or any suppression no finding uses.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printTable, run } from "./lib/process";
import { Progress } from "./lib/progress";
import { ensurePythonVenv } from "./lib/python-venv";
import { OUT_DIR, ROOT, synthAll } from "./lib/terraform";

interface CheckovRecord {
  check_id: string;
  check_name: string;
  resource: string;
}

interface CheckovReport {
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
  results: { failed_checks?: CheckovRecord[] };
}

type Suppressions = Map<string, { id: string; reason: string }[]>;

/** The suppressions each resource of a synthesized stack carries, by logical name. */
function suppressionsOf(stackFile: string): Suppressions {
  const tf = JSON.parse(readFileSync(stackFile, "utf8")) as {
    resource?: Record<string, Record<string, { "//"?: { checkov?: { skip?: { id: string; reason: string }[] } } }>>;
  };
  const found: Suppressions = new Map();
  for (const byName of Object.values(tf.resource ?? {})) {
    for (const [name, resource] of Object.entries(byName)) {
      const skip = resource["//"]?.checkov?.skip;
      if (skip?.length) found.set(name, skip);
    }
  }
  return found;
}

/**
 * The stack as checkov 3.3.30 can read it: its terraform_json parser fails on any non-object
 * setting of the `terraform` block, so `required_version` (which no check reads) is left out of
 * a scratch copy. Everything the checks read is unchanged.
 */
function scannable(stackFile: string, dir: string, stack: string): string {
  const tf = JSON.parse(readFileSync(stackFile, "utf8")) as { terraform?: Record<string, unknown> };
  if (tf.terraform) delete tf.terraform.required_version;
  const file = join(dir, `${stack}.tf.json`);
  writeFileSync(file, JSON.stringify(tf));
  return file;
}

async function main(): Promise<void> {
  const progress = new Progress();
  const python = await progress.step("checkov", "install, or find in .local/", () =>
    ensurePythonVenv("checkov-venv", join(ROOT, "policy", "requirements.txt")),
  );
  // With a repository, the bootstrap stack holds the GitHub Actions roles too: scan them as well.
  const stacks = await progress.step("all stacks", "synth", () => synthAll(OUT_DIR, { GITHUB_REPOSITORY: "acme/shop" }));
  const rows: string[][] = [];
  const problems: string[] = [];
  const skippedLines: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "policy-"));
  for (const stack of stacks) {
    const started = Date.now();
    const file = join(OUT_DIR, "stacks", stack, "cdk.tf.json");
    const result = await run(
      python,
      [
        "-m",
        "checkov.main",
        "-f",
        scannable(file, scratch, stack),
        "--framework",
        "terraform_json",
        "--skip-download",
        "--compact",
        "--quiet",
        "-o",
        "json",
      ],
      { env: { ...process.env, BC_SKIP_MAPPING: "TRUE" } },
    );
    if (result.code !== 0 && result.code !== 1) throw new Error(`checkov failed on ${stack} (exit ${result.code}):\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as CheckovReport;
    if (report.summary.parsing_errors > 0) throw new Error(`checkov could not parse ${file}`);
    const suppressions = suppressionsOf(file);
    const used = new Set<string>();
    let failed = 0;
    let skipped = 0;
    for (const record of report.results.failed_checks ?? []) {
      // checkov names a resource `<type>.<name>` or `resource.<name>`; cdktf names are unique in a stack.
      const name = record.resource.slice(record.resource.indexOf(".") + 1);
      const suppression = suppressions.get(name)?.find((s) => s.id === record.check_id);
      if (suppression) {
        skipped += 1;
        used.add(`${name} ${record.check_id}`);
        skippedLines.push(`${stack} ${name} ${record.check_id}: ${suppression.reason}`);
      } else {
        failed += 1;
        problems.push(`${stack} ${name} ${record.check_id} ${record.check_name}`);
      }
    }
    for (const [resource, entries] of suppressions) {
      for (const entry of entries) {
        if (!used.has(`${resource} ${entry.id}`))
          problems.push(`${stack} ${resource}: suppression of ${entry.id} matches no finding; remove it`);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    progress.report(stack, "checkov", failed > 0 ? "FAILED" : "ok", seconds);
    rows.push([stack, String(report.summary.passed), String(failed), String(skipped), seconds.toFixed(1)]);
  }
  rmSync(scratch, { recursive: true, force: true });
  printTable(
    ["stack", "passed", "failed", "skipped (suppressed)", "seconds"],
    [...rows, ["total", "", "", "", progress.elapsed().toFixed(1)]],
  );
  if (skippedLines.length) console.log(`\nsuppressed findings:\n${skippedLines.map((l) => `  ${l}`).join("\n")}`);
  if (problems.length) {
    console.error(`\npolicy scan failed:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
