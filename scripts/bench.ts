/**
 * `npm run bench`: times the app's synth of every stack against bare `require('cdktf')`, and
 * the jest suite, printing medians beside the budgets, with the last `npm run e2e`'s wall time
 * (from its summary). It reports; it does not fail.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { E2E_SUMMARY, type E2eSummary } from "./lib/e2e-cycle";
import { printTable, run } from "./lib/process";
import { ROOT } from "./lib/terraform";

interface Sample {
  readonly seconds: number;
  readonly peakMiB: number;
}

/** Runs a command under GNU time, which reports the process's wall time and peak RSS. */
async function measure(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), "bench-"));
  const report = join(dir, "time");
  const result = await run("/usr/bin/time", ["-f", "%e %M", "-o", report, command, ...args], { cwd: ROOT, env });
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stderr}`);
  const [seconds, kib] = readFileSync(report, "utf8").trim().split(/\s+/).map(Number);
  rmSync(dir, { recursive: true });
  return { seconds, peakMiB: kib / 1024 };
}

async function median(runs: number, sample: () => Promise<Sample>): Promise<Sample> {
  await sample(); // warm-up: file cache, not counted
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await sample());
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return { seconds: mid(samples.map((s) => s.seconds)), peakMiB: mid(samples.map((s) => s.peakMiB)) };
}

const verdict = (ok: boolean) => (ok ? "within budget" : "OVER BUDGET");

/** The budgets the project holds itself to (docs/operations.md, Checks). */
const BUDGET = { synthSeconds: 2.2, synthMiB: 200, jestSeconds: 30, e2eSeconds: 20 * 60 };

/** The last e2e run's figures, or why there are none. */
function lastE2e(): { row: string[]; verdict: string } {
  if (!existsSync(E2E_SUMMARY)) return { row: ["npm run e2e (last run)", "-", "-", "<= 20 min"], verdict: "e2e: no run recorded yet" };
  const summary = JSON.parse(readFileSync(E2E_SUMMARY, "utf8")) as E2eSummary;
  const failed = summary.rows.filter((r) => r.failure).map((r) => r.stack);
  const what = `npm run e2e (${summary.finished.slice(0, 16)}, ${summary.rows.length} stacks, --jobs ${summary.jobs})`;
  const outcome =
    failed.length > 0 ? `e2e: last run FAILED (${failed.join(", ")})` : `e2e: ${verdict(summary.totalSeconds <= BUDGET.e2eSeconds)}`;
  return { row: [what, summary.totalSeconds.toFixed(0), "-", "<= 20 min"], verdict: outcome };
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const outdir = mkdtempSync(join(tmpdir(), "bench-out-"));
  const node = process.execPath;
  const baseline = await median(runs, () => measure(node, ["-e", "require('cdktf')"]));
  const synth = await median(runs, () => measure(node, [join(ROOT, "dist", "main.js")], { ...process.env, CDKTF_OUTDIR: outdir }));
  const jest = await median(Math.max(1, Math.floor(runs / 2)), () =>
    measure(node, [join(ROOT, "node_modules", "jest", "bin", "jest.js"), "--silent"]),
  );
  rmSync(outdir, { recursive: true, force: true });

  const ratio = synth.seconds / baseline.seconds;
  const e2e = lastE2e();
  console.log(`medians of ${runs} runs (jest: ${Math.max(1, Math.floor(runs / 2))}) after one warm-up each`);
  printTable(
    ["what", "wall s", "peak MiB", "budget"],
    [
      ["node -e \"require('cdktf')\"", baseline.seconds.toFixed(2), baseline.peakMiB.toFixed(0), "baseline"],
      ["synth every stack (node dist/main.js)", synth.seconds.toFixed(2), synth.peakMiB.toFixed(0), "<= 2.2 s, <= 200 MiB"],
      ["jest suite", jest.seconds.toFixed(2), jest.peakMiB.toFixed(0), "<= 30 s"],
      e2e.row,
    ],
  );
  console.log(
    `synth (${ratio.toFixed(1)}x baseline): ${verdict(synth.seconds <= BUDGET.synthSeconds && synth.peakMiB <= BUDGET.synthMiB)}`,
  );
  console.log(`jest: ${verdict(jest.seconds <= BUDGET.jestSeconds)}`);
  console.log(e2e.verdict);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
