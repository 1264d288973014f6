/**
 * `npm run bench`: times the app's synth of every stack against bare `require('cdktf')`, and
 * the jest suite, printing medians beside the budgets. It reports; it does not fail.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  console.log(`medians of ${runs} runs (jest: ${Math.max(1, Math.floor(runs / 2))}) after one warm-up each`);
  printTable(
    ["what", "wall s", "peak MiB", "budget"],
    [
      ["node -e \"require('cdktf')\"", baseline.seconds.toFixed(2), baseline.peakMiB.toFixed(0), "baseline"],
      ["synth every stack (node dist/main.js)", synth.seconds.toFixed(2), synth.peakMiB.toFixed(0), "<= 1.5 s, <= 200 MiB, <= 4x baseline"],
      ["jest suite", jest.seconds.toFixed(2), jest.peakMiB.toFixed(0), "<= 30 s"],
    ],
  );
  const verdict = (ok: boolean) => (ok ? "within budget" : "OVER BUDGET");
  console.log(`synth/baseline = ${ratio.toFixed(1)}x: ${verdict(synth.seconds <= 1.5 && synth.peakMiB <= 200 && ratio <= 4)}`);
  console.log(`jest: ${verdict(jest.seconds <= 30)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
