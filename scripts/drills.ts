/**
 * `npm run drills [-- --break <drill>]`: the reliability drills (lib/drills.ts) on the
 * single-host stack against the local AWS: an interrupted apply, concurrent deploys, a state
 * restore, drift, and throttling. Each is recovered with docs/runbook.md's commands (the AWS CLI
 * and terraform) and ends in an empty re-plan. Prints a line per step and a table (drill, fault,
 * survived, resources lost, seconds); exits 1 unless every drill survived with nothing lost.
 * `--break <drill>` removes the property that drill relies on, to show the drill then fails.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadEnvironments } from "../src/config/load";
import { applyBootstrap, applyImagesAndPush } from "./lib/bootstrap";
import {
  concurrentDeploys,
  DrillFailure,
  type DrillContext,
  type DrillName,
  type DrillResult,
  DRILLS,
  drift,
  identities,
  interruptedApply,
  lostBetween,
  orphans,
  stateRestore,
  throttling,
} from "./lib/drills";
import { faultCounts, setFaultRate, startLocalAws, VENV_PYTHON } from "./lib/local-aws";
import { printTable, run } from "./lib/process";
import { Progress } from "./lib/progress";
import { ensurePythonVenv } from "./lib/python-venv";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR, ROOT, synthAll, terraform, terraformEnv } from "./lib/terraform";

/** The smallest stack with a host, a data volume, keys, alarms and logs: every drill has something real to break, and CI time stays small. */
const DRILL_STACK = "single-host";
/** A share of answers the SDK's retries absorb with room to spare (docs/local-aws.md). */
const FAULT_RATE = 0.15;
const WORK_DIR = join(ROOT, ".local", "drills");
const OUT_DIR = join(WORK_DIR, "cdktf.out");

const BREAKS: Record<string, DrillName> = {
  interrupted: "interrupted apply",
  concurrent: "concurrent deploys",
  restore: "state restore",
  drift: "drift",
  throttling: "throttling",
};

const USAGE = `usage: npm run drills [-- --break <drill>]

Runs every drill on the ${DRILL_STACK} stack against a fresh local AWS and prints a table.
--break removes what a drill relies on, so that drill must fail: ${Object.keys(BREAKS).join(", ")}
(interrupted: no force-unlock; concurrent: -lock=false; restore: restores the corrupt version;
drift: no reverting apply; throttling: every answer a fault).`;

const FAULTS: Record<DrillName, string> = {
  "interrupted apply": "SIGINT while the VPC is created, then SIGKILL while the host instance is",
  "concurrent deploys": "a second apply and a plan while an apply holds the lock",
  "state restore": "state object overwritten with garbage, then deleted",
  drift: "4 changes by hand: SG opened, alarm threshold, log group deleted, key rotation off",
  throttling: `${FAULT_RATE * 100} % of answers throttled or 5xx during an apply`,
};

async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const breakIndex = args.indexOf("--break");
  const broken = breakIndex >= 0 ? BREAKS[args[breakIndex + 1] ?? ""] : undefined;
  if (breakIndex >= 0 && !broken) {
    console.error(USAGE);
    return 2;
  }

  const progress = new Progress();
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const localAws = await progress.step("local AWS", "start", () => startLocalAws());
  const results: DrillResult[] = [];
  try {
    const env = terraformEnv({ CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "1" });
    const local = { LOCAL_AWS_ENDPOINT: localAws.endpoint };
    const awsCli = join(
      await progress.step("AWS CLI", "install, or find in .local/", () =>
        ensurePythonVenv("awscli-venv", join(ROOT, "drills", "requirements.txt")),
      ),
      "..",
      "aws",
    );
    const bucket = await progress.step("bootstrap", "synth, apply", async () => {
      await synthAll(OUT_DIR, local);
      return (await applyBootstrap(OUT_DIR, join(WORK_DIR, "bootstrap.tfstate"), env)).stateBucket;
    });
    await progress.step("app", "synth", () => synthAll(OUT_DIR, { ...local, TF_STATE_BUCKET: bucket }));
    const environment = loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR).find((e) => e.name === DRILL_STACK);
    if (!environment) throw new Error(`no definition named ${DRILL_STACK}`);
    await progress.step("images", "apply, push", () => applyImagesAndPush(OUT_DIR, [environment], env, localAws.endpoint));

    const dir = join(OUT_DIR, "stacks", DRILL_STACK);
    const credentials = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_DEFAULT_REGION: environment.region };
    const ctx: Omit<DrillContext, "broken"> = {
      stack: DRILL_STACK,
      dir,
      env,
      bucket,
      key: `${DRILL_STACK}/terraform.tfstate`,
      aws: (cliArgs) => run(awsCli, ["--endpoint-url", localAws.endpoint, ...cliArgs], { env: { ...process.env, ...credentials } }),
      boto3: async (code, codeArgs) => {
        const script = [
          "import boto3, json, sys",
          "def client(service): return boto3.client(service, endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id='test', aws_secret_access_key='test')",
          "args = sys.argv[3:]",
          code,
        ].join("\n");
        const result = await run(VENV_PYTHON, ["-c", script, localAws.endpoint, environment.region, ...codeArgs]);
        if (result.code !== 0) throw new DrillFailure(`a boto3 call failed:\n${result.stderr.slice(-2000)}`);
        return result.stdout;
      },
      faults: {
        set: (rate) => setFaultRate(localAws.endpoint, rate),
        injected: async () => Object.values((await faultCounts(localAws.endpoint)).injected).reduce((a, b) => a + b, 0),
      },
      logFile: join(WORK_DIR, "drills.log"),
    };
    const init = await terraform(dir, ["init", "-input=false"], env);
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.stderr}`);

    const scratch = join(WORK_DIR, "scratch");
    mkdirSync(scratch, { recursive: true });
    const drills: Record<DrillName, (c: DrillContext) => Promise<string>> = {
      "interrupted apply": interruptedApply,
      "concurrent deploys": concurrentDeploys,
      "state restore": (c) => stateRestore(c, scratch),
      drift: (c) => drift(c, scratch),
      throttling: (c) => throttling(c, FAULT_RATE),
    };
    for (const name of DRILLS) {
      const drillCtx = { ...ctx, broken: broken === name };
      const started = Date.now();
      // The first drill creates the stack; the others must not lose what existed before them.
      const before = name === "interrupted apply" ? new Map<string, string>() : await identities(drillCtx);
      let survived = true;
      let detail: string;
      try {
        detail = await progress.step(DRILL_STACK, name, () => drills[name](drillCtx));
      } catch (error) {
        survived = false;
        detail = error instanceof Error ? error.message : String(error);
        if (!(error instanceof DrillFailure)) detail = `not a drill's finding: ${detail}`;
      }
      let lost: string[] = [];
      try {
        lost = [...lostBetween(before, await identities(drillCtx)), ...(await orphans(drillCtx))];
      } catch (error) {
        survived = false;
        detail += `; could not count what was lost: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (lost.length > 0) detail += `; lost or orphaned: ${lost.join(", ")}`;
      results.push({ drill: name, fault: FAULTS[name], survived, lost: lost.length, seconds: (Date.now() - started) / 1000, detail });
      // A drill that failed may leave the lock held or the state broken; the rest would only repeat its failure.
      if (!survived) break;
    }
  } finally {
    await localAws.stop();
  }

  console.log("");
  printTable(
    ["drill", "fault", "survived", "resources lost", "seconds"],
    results.map((r) => [r.drill, r.fault, r.survived ? "yes" : "NO", String(r.lost), r.seconds.toFixed(0)]),
  );
  console.log("");
  for (const r of results) console.log(`${r.drill}: ${r.detail}`);
  console.log(
    `\ndrills took ${progress.elapsed().toFixed(0)} s; terraform's output is in ${join(WORK_DIR, "drills.log").slice(ROOT.length + 1)}`,
  );
  const passed = results.length === DRILLS.length && results.every((r) => r.survived && r.lost === 0);
  if (broken) {
    const result = results.find((r) => r.drill === broken);
    console.log(
      `\n--break ${broken}: the drill ${result && !result.survived ? "failed, as it must" : "DID NOT FAIL: it does not test its property"}`,
    );
    return result && !result.survived ? 0 : 1;
  }
  return passed ? 0 : 1;
}

main(process.argv.slice(2))
  .then((code) => (process.exitCode = code))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
