/**
 * `npm run cost`: synthesizes every stack and prints each environment's itemised monthly
 * estimate (src/cost/estimate.ts: what runs around the clock, at the us-east-1 on-demand prices
 * there), then writes the summary into docs/cost.md between `<!-- cost -->` and `<!-- /cost -->`.
 * With `--check` it changes nothing and exits 1 when the page's copy is stale.
 *
 * `npm run cost -- --base <git-ref> [--stack <environment>] [--markdown]`: the cost of a change
 * instead: the ref's app (its own code and definitions, in a temporary git worktree) and this one
 * are both synthesized and priced with this table, and each environment's estimate before and
 * after is printed with the items that moved; writes nothing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CostChange, costChanges, costChangesMarkdown } from "./lib/cost-diff";
import { estimate, PRICED_TYPES, total, UNPRICED_TYPES, usd, type CostItem } from "../src/cost/estimate";
import { printTable, run } from "./lib/process";
import { writeBlocks } from "./lib/markdown-blocks";
import { ROOT, STACKS_DIR, environmentStacks, readStack, synthAll } from "./lib/terraform";

/** The page that shows the summary, from the project root. */
export const COST_PAGE = "docs/cost.md";

/** docs/cost.md's summary: one row per environment, its total and its three largest items. */
export function summary(estimates: readonly [string, readonly CostItem[]][]): string {
  const rows = estimates.map(([stack, items]) => {
    const largest = [...items]
      .sort((a, b) => b.monthly - a.monthly)
      .slice(0, 3)
      .map((i) => `${i.item} ${usd(i.monthly)}`);
    return `| ${stack} | ${usd(total(items))} | ${largest.join("; ")} |`;
  });
  return ["| environment | per month | largest items |", "| --- | --: | --- |", ...rows, ""].join("\n");
}

/** docs/cost.md's list of what the estimate leaves out, and why: every resource type without a standing price. */
export function unpricedList(): string {
  const rows = Object.entries(UNPRICED_TYPES)
    .filter(([, why]) => !why.startsWith("free"))
    .map(([type, why]) => `| \`${type}\` | ${why} |`);
  const free = Object.entries(UNPRICED_TYPES).filter(([, why]) => why.startsWith("free")).length;
  return [
    "| resource type | left out because |",
    "| --- | --- |",
    ...rows,
    "",
    `Priced: ${Object.keys(PRICED_TYPES)
      .map((type) => `\`${type}\``)
      .join(", ")}. Free: ${free} other types (the list in \`src/cost/estimate.ts\`).`,
    "",
  ].join("\n");
}

export function estimateStacks(stacksDir: string, stacks: readonly string[]): [string, CostItem[]][] {
  return stacks.map((stack) => [stack, estimate(readStack(join(stacksDir, stack)))]);
}

const USAGE = `usage: npm run cost [-- --check]
       npm run cost -- --base <git-ref> [--stack <environment>] [--markdown]

  --check     change nothing; exit 1 when docs/cost.md's summary is stale
  --base      print each environment's monthly estimate at <git-ref> and now, and the items
              that moved (both priced with this checkout's table)
  --stack     only this environment
  --markdown  the comparison as a Markdown table, for a pull-request comment`;

/** The environments' stacks of `ref`, synthesized by its own app in a temporary worktree; estimated with this table. */
async function estimatesAt(ref: string): Promise<Map<string, CostItem[]>> {
  const git = async (args: string[]) => {
    const result = await run("git", args, { cwd: ROOT });
    if (result.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr.trim()}`);
    return result.stdout.trim();
  };
  const commit = await git(["rev-parse", "--verify", `${ref}^{commit}`]);
  const dir = mkdtempSync(join(tmpdir(), "cost-base-"));
  const tree = join(dir, "tree");
  await git(["worktree", "add", "--detach", tree, commit]);
  try {
    symlinkSync(join(ROOT, "node_modules"), join(tree, "node_modules"));
    const app = (JSON.parse(readFileSync(join(tree, "cdktf.json"), "utf8")) as { app: string }).app;
    const synthesized = await run("bash", ["-c", app], {
      cwd: tree,
      env: { ...process.env, CDKTF_OUTDIR: join(tree, "cdktf.out") },
    });
    if (synthesized.code !== 0) throw new Error(`synth of ${ref} failed:\n${synthesized.stderr}${synthesized.stdout}`);
    const stacksDir = join(tree, "cdktf.out", "stacks");
    const stacks = readdirSync(stacksDir).filter((stack) => stack !== "bootstrap" && !stack.endsWith("-images"));
    return new Map(estimateStacks(stacksDir, stacks));
  } finally {
    await git(["worktree", "remove", "--force", tree]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function compare(base: string, only: string | undefined, markdown: boolean): Promise<void> {
  const after = new Map(estimateStacks(STACKS_DIR, environmentStacks(await synthAll())));
  const before = await estimatesAt(base);
  const changes = costChanges(before, after).filter((c: CostChange) => !only || c.stack === only);
  if (only && changes.length === 0) throw new Error(`no environment ${only} at ${base} or now`);
  if (markdown) {
    console.log(costChangesMarkdown(changes, base));
    return;
  }
  printTable(
    ["environment", "before", "after", "change"],
    changes.map((c) => [c.stack, usd(c.before), usd(c.after), `${c.after < c.before ? "-" : "+"}${usd(Math.abs(c.after - c.before))}`]),
  );
  for (const c of changes.filter((change) => change.items.length > 0)) {
    console.log(`\n${c.stack}:`);
    printTable(
      ["item", "quantity", "before", "after"],
      c.items.map((i) => [i.item, i.quantity, usd(i.before), usd(i.after)]),
    );
  }
}

async function main(args: readonly string[]): Promise<void> {
  const option = (name: string) => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    const value = args[at + 1];
    if (!value || value.startsWith("--")) throw new Error(`${name} needs a value\n\n${USAGE}`);
    return value;
  };
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const unknown = args.filter((arg) => arg.startsWith("-") && !["--check", "--base", "--stack", "--markdown"].includes(arg));
  if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]}\n\n${USAGE}`);
  const base = option("--base");
  if (base) return compare(base, option("--stack"), args.includes("--markdown"));
  const stacks = environmentStacks(await synthAll());
  const estimates = estimateStacks(STACKS_DIR, stacks);
  for (const [stack, items] of estimates) {
    console.log(`\n${stack}: ${usd(total(items))} per month`);
    printTable(
      ["item", "quantity", "per month"],
      items.map((i) => [i.item, i.quantity, usd(i.monthly)]),
    );
  }
  console.log("");
  writeBlocks(
    COST_PAGE,
    { cost: summary(estimates), "cost-unpriced": unpricedList() },
    "cost summary",
    "npm run cost",
    args.includes("--check"),
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
