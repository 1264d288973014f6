/**
 * `npm run schema`: writes the definition's JSON Schema (schema/environment.schema.json) and the
 * field reference (docs/environment-reference.md), both from the zod schema in src/config. With
 * `--check` it changes nothing and exits 1 when a committed copy is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { environmentJsonSchema } from "../src/config/json-schema";
import { renderReference } from "./lib/schema-doc";
import { ROOT } from "./lib/terraform";

export const SCHEMA_FILE = join(ROOT, "schema", "environment.schema.json");
export const REFERENCE_FILE = join(ROOT, "docs", "environment-reference.md");

/** What `npm run schema` writes, by file. */
export function generatedFiles(): Record<string, string> {
  const schema = environmentJsonSchema();
  return {
    [SCHEMA_FILE]: JSON.stringify(schema, null, 2) + "\n",
    [REFERENCE_FILE]: renderReference(schema),
  };
}

function main(): void {
  const check = process.argv.includes("--check");
  for (const [file, content] of Object.entries(generatedFiles())) {
    let before = "";
    try {
      before = readFileSync(file, "utf8");
    } catch {
      // Not written yet: stale.
    }
    const name = file.slice(ROOT.length + 1);
    if (before === content) console.log(`${name}: current`);
    else if (check) {
      console.error(`${name}: stale; run npm run schema`);
      process.exitCode = 1;
    } else {
      writeFileSync(file, content);
      console.log(`${name}: updated`);
    }
  }
}

if (require.main === module) main();
