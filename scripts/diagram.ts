/**
 * `npm run diagram`: synthesizes every stack and writes each environment's Mermaid diagram into
 * the markdown page that shows it, between `<!-- diagram:<env> -->` and `<!-- /diagram:<env> -->`:
 * the environments' in docs/architecture.md, the examples' in docs/examples.md, and `dev`'s also
 * in the README. With `--check` it changes nothing and exits 1 when a page's copy is stale.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { renderDiagram } from "./lib/diagram";
import { writeBlocks } from "./lib/markdown-blocks";
import { EXAMPLES_DIR, environmentStacks, readStack, STACKS_DIR, synthAll } from "./lib/terraform";

/** The environment whose diagram the README shows. */
export const README_DIAGRAM = "dev";

/** The examples' stack names: their definitions' file names. */
export function exampleStacks(examplesDir = EXAMPLES_DIR): Set<string> {
  return new Set(
    readdirSync(examplesDir)
      .filter((file) => file.endsWith(".json"))
      .map((file) => file.slice(0, -".json".length)),
  );
}

/** Which page shows which stacks' diagrams: page (a path from the project root) → stacks. */
export function diagramPages(stacks: readonly string[], examples: ReadonlySet<string>): Record<string, string[]> {
  return {
    "README.md": stacks.filter((stack) => stack === README_DIAGRAM),
    "docs/architecture.md": stacks.filter((stack) => !examples.has(stack)),
    "docs/examples.md": stacks.filter((stack) => examples.has(stack)),
  };
}

/** A diagram block's content: the stack's diagram as a Mermaid code block. */
export function diagramBlock(stackDir: string): string {
  return "```mermaid\n" + renderDiagram(readStack(stackDir)) + "```\n";
}

async function main(): Promise<void> {
  const stacks = environmentStacks(await synthAll());
  const blocks = new Map<string, string>();
  for (const stack of stacks) {
    const block = diagramBlock(join(STACKS_DIR, stack));
    blocks.set(stack, block);
    console.log(`${stack}: ${block.split("\n").length - 3} lines`);
  }
  const check = process.argv.includes("--check");
  for (const [page, pageStacks] of Object.entries(diagramPages(stacks, exampleStacks()))) {
    const pageBlocks = Object.fromEntries(pageStacks.map((stack) => [`diagram:${stack}`, blocks.get(stack) ?? ""]));
    writeBlocks(page, pageBlocks, "diagrams", "npm run diagram", check);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
