/**
 * `npm run diagram`: synthesizes every stack and writes each environment's Mermaid diagram into
 * the README, between `<!-- diagram:<env> -->` and `<!-- /diagram:<env> -->`. With `--check` it
 * changes nothing and exits 1 when the README's copy is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderDiagram, type StackJson } from "./lib/diagram";
import { replaceBlock } from "./lib/readme";
import { ROOT, STACKS_DIR, synthAll } from "./lib/terraform";

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const stacks = (await synthAll()).filter((s) => s !== "bootstrap");
  const readmePath = join(ROOT, "README.md");
  const before = readFileSync(readmePath, "utf8");
  let readme = before;
  for (const stack of stacks) {
    const tf = JSON.parse(readFileSync(join(STACKS_DIR, stack, "cdk.tf.json"), "utf8")) as StackJson;
    const diagram = renderDiagram(tf);
    readme = replaceBlock(readme, `diagram:${stack}`, "```mermaid\n" + diagram + "```\n");
    console.log(`${stack}: ${diagram.split("\n").length - 1} lines`);
  }
  if (readme === before) console.log("README diagrams are current");
  else if (check) {
    console.error("README diagrams are stale: run npm run diagram");
    process.exitCode = 1;
  } else {
    writeFileSync(readmePath, readme);
    console.log("README diagrams updated");
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
