/**
 * `npm run cost`: synthesizes every stack and prints each environment's itemised monthly
 * estimate (src/cost/estimate.ts: what runs around the clock, at the us-east-1 on-demand prices
 * there), then writes the summary into docs/cost.md between `<!-- cost -->` and `<!-- /cost -->`.
 * With `--check` it changes nothing and exits 1 when the page's copy is stale.
 */
import { join } from "node:path";
import { estimate, PRICED_TYPES, total, UNPRICED_TYPES, usd, type CostItem } from "../src/cost/estimate";
import { printTable } from "./lib/process";
import { writeBlocks } from "./lib/markdown-blocks";
import { STACKS_DIR, environmentStacks, readStack, synthAll } from "./lib/terraform";

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

async function main(): Promise<void> {
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
    process.argv.includes("--check"),
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
