/**
 * Generated blocks in the markdown files (the README and the pages under docs/), between
 * `<!-- <name> -->` and `<!-- /<name> -->`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./terraform";

/** The text of a markdown file, by its path from the project root (`README.md`, `docs/cost.md`). */
export function readMarkdown(file: string): string {
  return readFileSync(join(ROOT, file), "utf8");
}

/**
 * Puts `blocks` (name → content) into `file` (a path from the project root); with `check`, changes
 * nothing and sets exit code 1 when any block differs. `what` names the blocks in the messages,
 * `command` is what brings them up to date.
 */
export function writeBlocks(file: string, blocks: Readonly<Record<string, string>>, what: string, command: string, check: boolean): void {
  const before = readMarkdown(file);
  const after = Object.entries(blocks).reduce((text, [name, content]) => replaceBlock(text, name, content, file), before);
  if (after === before) console.log(`${file} ${what}: current`);
  else if (check) {
    console.error(`${file} ${what}: stale; run ${command}`);
    process.exitCode = 1;
  } else {
    writeFileSync(join(ROOT, file), after);
    console.log(`${file} ${what}: updated`);
  }
}

/** The content of block `name` in `text`; `file` names the text in the error when there is none. */
export function readBlock(text: string, name: string, file = "the text"): string {
  const [start, end] = markers(text, name, file);
  return text.slice(start, end);
}

export function replaceBlock(text: string, name: string, content: string, file = "the text"): string {
  const [start, end] = markers(text, name, file);
  return text.slice(0, start) + content + text.slice(end);
}

/** The names of every block in `text`, in order. */
export function blockNames(text: string): string[] {
  return [...text.matchAll(/^<!-- \/(\S+) -->$/gm)].map((match) => match[1]);
}

function markers(text: string, name: string, file: string): [number, number] {
  const open = `<!-- ${name} -->\n`;
  const close = `<!-- /${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${file} has no block ${open.trim()} … ${close}`);
  return [start + open.length, end];
}
