/** Generated blocks in the README, between `<!-- <name> -->` and `<!-- /<name> -->`. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./terraform";

const README = join(ROOT, "README.md");

/**
 * Puts `blocks` (name → content) into the README; with `check`, changes nothing and sets exit
 * code 1 when any block differs. `what` names the blocks in the messages.
 */
export function writeBlocks(blocks: Readonly<Record<string, string>>, what: string, command: string, check: boolean): void {
  const before = readFileSync(README, "utf8");
  const after = Object.entries(blocks).reduce((readme, [name, content]) => replaceBlock(readme, name, content), before);
  if (after === before) console.log(`README ${what}: current`);
  else if (check) {
    console.error(`README ${what}: stale; run ${command}`);
    process.exitCode = 1;
  } else {
    writeFileSync(README, after);
    console.log(`README ${what}: updated`);
  }
}

export function readBlock(readme: string, name: string): string {
  const [start, end] = markers(readme, name);
  return readme.slice(start, end);
}

export function replaceBlock(readme: string, name: string, content: string): string {
  const [start, end] = markers(readme, name);
  return readme.slice(0, start) + content + readme.slice(end);
}

function markers(readme: string, name: string): [number, number] {
  const open = `<!-- ${name} -->\n`;
  const close = `<!-- /${name} -->`;
  const start = readme.indexOf(open);
  const end = readme.indexOf(close);
  if (start < 0 || end < start) throw new Error(`the README has no block ${open.trim()} … ${close}`);
  return [start + open.length, end];
}
