/**
 * `npm run e2e [-- [--jobs N] [<stack> ...]]`: the whole life of every stack against a local AWS
 * (moto, patched by local-aws/patches.py). Applies the bootstrap stack (the state bucket) first,
 * then cycles the environments, N at a time against the same emulator (lib/e2e-cycle.ts: apply,
 * empty re-plan, state scan, dev's password rotation and plan-guard check, production's
 * protections, destroy). Prints a line per step as it finishes, then a table, and exits non-zero
 * naming every stack that failed; a failure in one stack never stops the others' destroy.
 */
import { availableParallelism } from "node:os";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { imageStacks, repositoryName } from "../src/config/image-stacks";
import { loadEnvironments } from "../src/config/load";
import { BOOTSTRAP_STACK } from "../src/stacks/bootstrap-stack";
import { slowestTypes } from "./lib/apply-timings";
import { applyBootstrap, check } from "./lib/bootstrap";
import {
  applyImages,
  cycleEnvironment,
  type CycleRow,
  destroyImages,
  E2E_SUMMARY,
  E2E_WORK_DIR,
  type E2eSummary,
  expectDestroyRefused,
  expectEmptyPlan,
  expectMissingImage,
  runPreflight,
  type StackCycle,
} from "./lib/e2e-cycle";
import { createHostedZone, pushImage, startLocalAws } from "./lib/local-aws";
import { mapLimited, printTable } from "./lib/process";
import { Progress } from "./lib/progress";
import { ensurePythonVenv } from "./lib/python-venv";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR, ROOT, environmentStacks, resourceCount, synthAll, terraformEnv } from "./lib/terraform";

const WORK_DIR = E2E_WORK_DIR;
const OUT_DIR = join(WORK_DIR, "cdktf.out");
const TEARDOWN_DIR = join(WORK_DIR, "cdktf.teardown");
const LOG_DIR = join(WORK_DIR, "logs");

/** The stack deployed with `cdktf deploy` rather than `terraform apply`, to prove the user's command. */
const CDKTF_DEPLOYED_STACK = "dev";
/** The stack that also releases an image whose tasks never become healthy (an ECS stack running its definition's tags). */
const ROLLBACK_STACK = "autoblog-ecs";
/**
 * Stacks cycled at once. The work is mostly waiting on the provider's pollers, so twice the
 * cores, capped at 4: measured on 2 cores, more jobs stopped shortening the run (docs/local-aws.md).
 */
const DEFAULT_JOBS = Math.min(4, Math.max(2, availableParallelism() * 2));

const USAGE = `usage: npm run e2e -- [--jobs N] [<stack> ...]
  --jobs N   stacks cycled at once against the emulator (default ${DEFAULT_JOBS} on this machine)
  <stack>    cycle only these stacks (the bootstrap stack is always applied first)`;

interface Options {
  readonly jobs: number;
  readonly only: readonly string[];
}

function parseOptions(args: readonly string[]): Options {
  let jobs = DEFAULT_JOBS;
  const only: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === "--jobs" || arg.startsWith("--jobs=")) {
      const value = arg === "--jobs" ? args[++i] : arg.slice("--jobs=".length);
      jobs = Number(value);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16)
        throw new Error(`--jobs: "${value}" must be a whole number from 1 to 16\n${USAGE}`);
    } else if (arg.startsWith("-")) {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    } else {
      only.push(arg);
    }
  }
  return { jobs, only };
}

/**
 * The README's first step: bootstrap, synthesized without TF_STATE_BUCKET, names the bucket after
 * the account and region; its output is what every later synth exports as TF_STATE_BUCKET.
 */
async function bootstrap(
  progress: Progress,
  synthEnv: NodeJS.ProcessEnv,
  env: NodeJS.ProcessEnv,
): Promise<{ row: CycleRow; stateBucket: string }> {
  const dir = join(OUT_DIR, "stacks", BOOTSTRAP_STACK);
  const step = <T>(name: string, fn: () => Promise<T>) => progress.step(BOOTSTRAP_STACK, name, fn);
  const started = Date.now();
  await step("synth without TF_STATE_BUCKET", () => synthAll(OUT_DIR, synthEnv));
  const row: CycleRow = { stack: BOOTSTRAP_STACK, resources: resourceCount(dir) };
  const applied = await step(`init, apply (${row.resources})`, () => applyBootstrap(OUT_DIR, join(WORK_DIR, "bootstrap.tfstate"), env));
  row.applySeconds = applied.apply.seconds;
  progress.note(BOOTSTRAP_STACK, `export TF_STATE_BUCKET=${applied.stateBucket}`);
  row.wallSeconds = (Date.now() - started) / 1000;
  return { row, stateBucket: applied.stateBucket };
}

/** With TF_STATE_BUCKET set to its own output, bootstrap plans no change; its bucket refuses a destroy. */
async function checkBootstrap(cycle: StackCycle, row: CycleRow): Promise<void> {
  const dir = join(cycle.dirs.out, "stacks", BOOTSTRAP_STACK);
  const step = <T>(name: string, fn: () => Promise<T>) => cycle.progress.step(BOOTSTRAP_STACK, name, fn);
  row.replanChanges = String(await step("re-plan with the exported name", () => expectEmptyPlan(cycle, dir)));
  // The state bucket outlives the run on purpose: prevent_destroy must refuse to delete it.
  await step("destroy refused", () => expectDestroyRefused(cycle, dir));
  row.destroyed = false;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const progress = new Progress();
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(LOG_DIR, { recursive: true });
  const localAws = await progress.step("local AWS", "start", () => startLocalAws());
  progress.note("local AWS", `at ${localAws.endpoint}; terraform output of each stack in ${LOG_DIR.slice(ROOT.length + 1)}/<stack>.log`);
  const rows: CycleRow[] = [];
  try {
    const env = terraformEnv({ CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "1" });
    // The bootstrap makes GitHub's OIDC roles too, as the one-time setup in docs/delivery.md does.
    const local = { LOCAL_AWS_ENDPOINT: localAws.endpoint, TF_STATE_BUCKET: "", GITHUB_REPOSITORY: "acme/shop" };
    const first = await bootstrap(progress, local, env);
    rows.push(first.row);
    const synthEnv = { ...local, TF_STATE_BUCKET: first.stateBucket };
    const stacks = await progress.step("app", "synth (and ALLOW_DESTROY synth)", async () => {
      const synthesized = await synthAll(OUT_DIR, synthEnv);
      await synthAll(TEARDOWN_DIR, { ...synthEnv, ALLOW_DESTROY: "true" });
      return synthesized;
    });
    const unknown = options.only.filter((s) => !stacks.includes(s));
    if (unknown.length > 0) throw new Error(`no stack named ${unknown.join(", ")}; the stacks are: ${stacks.join(", ")}`);
    const environments = loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR);
    const production = new Set(environments.filter((e) => e.production).map((e) => e.name));
    const zones = new Set(
      environments.flatMap((e) => [e.alb.domain?.hostedZone, e.singleHost?.domain?.hostedZone].filter((z) => z !== undefined)),
    );
    await progress.step("local AWS", `hosted zones (${zones.size})`, async () => {
      for (const zone of zones) await createHostedZone(localAws.endpoint, zone);
    });
    const dirs = { out: OUT_DIR, teardown: TEARDOWN_DIR, work: WORK_DIR, environments: ENVIRONMENTS_DIR, examples: EXAMPLES_DIR };
    const released = (via: string) => (e: (typeof environments)[number]) => e.delivery?.via === via && stacks.includes(e.name);
    // A GitHub Actions release runs its migration through npm run release, checked by its own step.
    const migrating = new Set(environments.filter((e) => e.migration && !e.singleHost && released("codepipeline")(e)).map((e) => e.name));
    const workflowReleased = new Set(environments.filter((e) => !e.singleHost && released("github-actions")(e)).map((e) => e.name));
    const promoting = new Set(
      environments.filter((e) => e.delivery?.promotion && e.delivery.promotedTo.length > 0 && stacks.includes(e.name)).map((e) => e.name),
    );
    // The migration and promotion checks run the pipeline's commands with the AWS CLI, as CodeBuild does.
    const awsCliBin =
      migrating.size + promoting.size + workflowReleased.size > 0
        ? dirname(
            await progress.step("AWS CLI", "install, or find in .local/", () =>
              ensurePythonVenv("awscli-venv", join(ROOT, "drills", "requirements.txt")),
            ),
          )
        : "";
    const push = (repository: string, tag: string) => pushImage(localAws.endpoint, repository, tag);
    const cycleOf = (stack: string): StackCycle => ({
      stack,
      production: production.has(stack),
      viaCdktf: stack === CDKTF_DEPLOYED_STACK,
      ...(stack === ROLLBACK_STACK ? { rollback: push } : {}),
      ...(migrating.has(stack) ? { migration: { awsCliBin } } : {}),
      ...(promoting.has(stack) ? { promotion: { awsCliBin, push } } : {}),
      ...(workflowReleased.has(stack) ? { workflowRelease: { awsCliBin, push } } : {}),
      ...(stack === CDKTF_DEPLOYED_STACK ? { releases: { push } } : {}),
      endpoint: localAws.endpoint,
      env,
      synthEnv,
      dirs,
      progress,
      logFile: join(LOG_DIR, `${stack}.log`),
    });
    // Its checks need nothing that follows: they run beside the images stacks.
    const bootstrapChecked = checkBootstrap(cycleOf(BOOTSTRAP_STACK), first.row).catch((error: unknown) => {
      first.row.failure ??= error instanceof Error ? error.message : String(error);
    });
    // Largest first, so the longest cycles do not start last.
    const selected = environmentStacks(stacks)
      .filter((s) => options.only.length === 0 || options.only.includes(s))
      .sort((a, b) => resourceCount(join(OUT_DIR, "stacks", b)) - resourceCount(join(OUT_DIR, "stacks", a)));
    const chosen = environments.filter((e) => selected.includes(e.name));
    const images = imageStacks(chosen);

    // The README's first deploy: the images stacks, a plan that stops for want of an image, the push.
    const [imageRows] = await Promise.all([
      mapLimited(images, options.jobs, (config) => applyImages(cycleOf(config.name))),
      bootstrapChecked,
    ]);
    rows.push(...imageRows);
    if (imageRows.some((r) => r.failure)) throw new Error("an images stack failed to apply");
    // A released image's tag comes from the stack's own release parameter, so its lookup waits for the apply: probe a fixed tag.
    const probe = [...chosen]
      .filter(
        (e) => e.services.length > 0 && !(e.delivery?.builds ?? []).some((b) => b.services.some((s) => s.name === e.services[0].name)),
      )
      .sort((a, b) => resourceCount(join(OUT_DIR, "stacks", a.name)) - resourceCount(join(OUT_DIR, "stacks", b.name)))[0];
    const probeImage = probe && {
      repo: probe.services[0].image.repository,
      repository: repositoryName(probe.project, probe.services[0].image.repository),
      tag: probe.services[0].image.tag,
    };
    // A failed check here is reported, and the run goes on to cycle (and destroy) everything.
    const firstDeploy = async (what: string, fn: () => Promise<void>) => {
      try {
        await progress.step(probe!.name, what, fn);
      } catch (error) {
        rows.push({ stack: `${probe!.name}: ${what}`, resources: 0, failure: error instanceof Error ? error.message : String(error) });
      }
    };
    if (probe && probeImage) await firstDeploy("image not pushed: stops", () => expectMissingImage(cycleOf(probe.name), probeImage));
    const pushes = new Set(chosen.flatMap((e) => e.services.map((s) => `${repositoryName(e.project, s.image.repository)}:${s.image.tag}`)));
    await progress.step("local AWS", `push ${pushes.size} images (ECR API)`, async () => {
      for (const image of pushes) {
        const [repository, tag] = image.split(":");
        await push(repository, tag);
      }
    });
    if (probe) await firstDeploy("preflight passes", async () => check(await runPreflight(cycleOf(probe.name)), "npm run preflight"));

    progress.note("e2e", `cycling ${selected.length} stacks, ${options.jobs} at a time`);
    rows.push(...(await mapLimited(selected, options.jobs, (stack) => cycleEnvironment(cycleOf(stack)))));
    await mapLimited(images, options.jobs, (config) =>
      destroyImages(
        cycleOf(config.name),
        imageRows.find((r) => r.stack === config.name)!,
      ),
    );
  } catch (error) {
    const failure = error instanceof Error ? error.message : String(error);
    const bootstrapRow = rows.find((r) => r.stack === BOOTSTRAP_STACK);
    if (bootstrapRow) bootstrapRow.failure ??= failure;
    else rows.push({ stack: BOOTSTRAP_STACK, resources: 0, failure });
  } finally {
    await localAws.stop();
  }
  report(rows, progress.elapsed());
  console.log(
    localAws.unchecked.size === 0
      ? "\nstrict local AWS: every request was checked against its API model"
      : `\nstrict local AWS: requests of ${localAws.unchecked.size} operations could not be read against their model, so went unchecked:\n  ${[...localAws.unchecked].sort().join("\n  ")}`,
  );
  const summary: E2eSummary = { finished: new Date().toISOString(), jobs: options.jobs, totalSeconds: progress.elapsed(), rows };
  writeFileSync(E2E_SUMMARY, JSON.stringify(summary, null, 2));
}

function report(rows: readonly CycleRow[], totalSeconds: number): void {
  console.log();
  printTable(
    [
      "stack",
      "resources",
      "apply s",
      "re-plan changes",
      "password rotated",
      "replacement guarded",
      "rollback fails",
      "migration gates",
      "rollback restores",
      "promoted by digest",
      "released (workflow)",
      "destroy ok",
      "wall s",
      "result",
    ],
    [...rows]
      .sort((a, b) => (a.stack === BOOTSTRAP_STACK ? -1 : b.stack === BOOTSTRAP_STACK ? 1 : a.stack.localeCompare(b.stack)))
      .map((r) => [
        r.stack,
        String(r.resources),
        r.applySeconds === undefined ? "-" : r.applySeconds.toFixed(0),
        r.replanChanges ?? "-",
        r.rotated ?? "-",
        r.guarded ?? "-",
        r.rolledBack ?? "-",
        r.migrated ?? "-",
        r.rolledBackRelease ?? "-",
        r.promoted ?? "-",
        r.releasedByWorkflow ?? "-",
        r.stack === BOOTSTRAP_STACK ? "kept (prevent_destroy)" : r.destroyed ? "yes" : "NO",
        r.wallSeconds === undefined ? "-" : r.wallSeconds.toFixed(0),
        r.failure ? "FAILED" : "ok",
      ]),
  );
  console.log(`total ${totalSeconds.toFixed(0)} s wall`);
  const logs = readdirSync(LOG_DIR).map((file) => readFileSync(join(LOG_DIR, file), "utf8"));
  console.log("\nslowest resource types (terraform's own times, summed over every apply and destroy):");
  printTable(
    ["type", "seconds", "completions", "longest s"],
    slowestTypes(logs).map((t) => [t.type, String(t.seconds), String(t.count), String(t.maxSeconds)]),
  );
  const failed = rows.filter((r) => r.failure);
  for (const r of failed) console.error(`\n${r.stack}: ${r.failure}`);
  if (failed.length > 0) {
    console.error(`\nfailed: ${failed.map((r) => r.stack).join(", ")} (terraform output in ${LOG_DIR.slice(ROOT.length + 1)}/)`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
