/**
 * `npm run review -- <environment> [--allow <address>]...`: the synth → plan → review loop in one
 * command. It synthesizes every stack, initialises the environment's stack (its S3 backend) and
 * saves a plan, then prints one report: the changes by action with replacements and deletions
 * first, the destructive-plan guard's verdict, the monthly estimate, and the command that applies
 * exactly the reviewed plan. Works against the local AWS with LOCAL_AWS_ENDPOINT. Exits 1 when
 * the guard refuses the plan or a step fails, 2 on a usage error.
 */
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError } from "../src/config/errors";
import { estimate, total, usd } from "../src/cost/estimate";
import { printTable } from "./lib/process";
import { Progress } from "./lib/progress";
import { describeChanges, describeGuard, review, type ReviewPlan } from "./lib/review";
import { OUT_DIR, readStack, ROOT, synthAll, terraform, terraformEnv } from "./lib/terraform";

const USAGE = `usage: npm run review -- <environment> [--allow <resource address>]...

  environment  a definition's name (environments/<name>.json or examples/<name>.json)
  --allow      a stateful resource this plan may delete or replace (repeatable)

Synthesizes, runs terraform init and plan for the environment's stack (saving the plan), and
prints the changes (replacements and deletions first), the plan guard's verdict, the monthly
estimate and the command that applies exactly this plan. Set TF_STATE_BUCKET as for a deploy;
with LOCAL_AWS_ENDPOINT it reviews against the local AWS. Exits 1 when the guard refuses.`;

/** The saved plan's name in the stack's folder; the apply command names it. */
export const PLAN_FILE = "review.tfplan";

interface Options {
  readonly stack: string;
  readonly allowed: string[];
}

function parse(args: readonly string[]): Options | { exit: number; text: string } {
  const allowed: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--help" || args[i] === "-h") return { exit: 0, text: USAGE };
    if (args[i] === "--allow") {
      const address = args[++i];
      if (!address) return { exit: 2, text: `--allow needs a resource address\n\n${USAGE}` };
      allowed.push(address);
    } else if (args[i].startsWith("-")) return { exit: 2, text: `unknown option ${args[i]}\n\n${USAGE}` };
    else names.push(args[i]);
  }
  if (names.length !== 1) return { exit: 2, text: USAGE };
  return { stack: names[0], allowed };
}

async function main(args: readonly string[]): Promise<number> {
  const options = parse(args);
  if ("exit" in options) {
    (options.exit === 0 ? console.log : console.error)(options.text);
    return options.exit;
  }
  const { stack, allowed } = options;
  const outdir = process.env.CDKTF_OUTDIR ?? OUT_DIR;
  const progress = new Progress(stack.length);
  const dir = join(outdir, "stacks", stack);
  const env = terraformEnv();
  const terraformStep = async (name: string, stepArgs: string[]) => {
    const result = await terraform(dir, stepArgs, env);
    if (result.code !== 0) throw new Error(`terraform ${name} failed:\n${(result.stderr || result.stdout).trim().slice(-4000)}`);
    return result.stdout;
  };

  const stacks = await progress.step(stack, "synth", () => synthAll(outdir));
  if (!stacks.includes(stack)) {
    console.error(`no stack named ${stack}; the stacks are: ${stacks.join(", ")}`);
    return 2;
  }
  await progress.step(stack, "terraform init", () => terraformStep("init", ["init", "-input=false"]));
  await progress.step(stack, "terraform plan", () => terraformStep("plan", ["plan", "-input=false", `-out=${PLAN_FILE}`]));
  const shown = await progress.step(stack, "terraform show", () => terraformStep("show", ["show", "-json", PLAN_FILE]));
  writeFileSync(join(dir, "review.plan.json"), shown);
  const { changes, refused } = review(JSON.parse(shown) as ReviewPlan, allowed);
  const monthly = total(estimate(readStack(dir)));

  console.log("");
  console.log(`Review of ${stack}${process.env.LOCAL_AWS_ENDPOINT ? ` (local AWS ${process.env.LOCAL_AWS_ENDPOINT})` : ""}`);
  for (const line of describeChanges(changes)) console.log(line);
  for (const line of describeGuard(refused, allowed)) console.log(line);
  console.log(`Cost: ${usd(monthly)} a month by npm run cost's estimate of the synthesized stack (what runs around the clock).`);
  if (refused.length === 0 && changes.length > 0)
    console.log(
      `Apply exactly this plan: terraform -chdir=${relative(ROOT, dir).startsWith("..") ? dir : relative(ROOT, dir)} apply ${PLAN_FILE}`,
    );
  console.log("");
  printTable(["stack", "step", "outcome", "seconds"], progress.summary());
  return refused.length > 0 ? 1 : 0;
}

main(process.argv.slice(2))
  .then((code) => (process.exitCode = code))
  .catch((error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
