/**
 * `npm run diagram`: synthesizes every stack and writes each environment's Mermaid diagram into
 * the README, between `<!-- diagram:<env> -->` and `<!-- /diagram:<env> -->`. With `--check` it
 * changes nothing and exits 1 when the README's copy is stale.
 */
import { join } from "node:path";
import { renderDiagram } from "./lib/diagram";
import { writeBlocks } from "./lib/readme";
import { environmentStacks, readStack, STACKS_DIR, synthAll } from "./lib/terraform";

async function main(): Promise<void> {
  const stacks = environmentStacks(await synthAll());
  const blocks: Record<string, string> = {};
  for (const stack of stacks) {
    const diagram = renderDiagram(readStack(join(STACKS_DIR, stack)));
    blocks[`diagram:${stack}`] = "```mermaid\n" + diagram + "```\n";
    console.log(`${stack}: ${diagram.split("\n").length - 1} lines`);
  }
  writeBlocks(blocks, "diagrams", "npm run diagram", process.argv.includes("--check"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
