import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse } from "jsonc-parser";
import { SCHEMA_REFERENCE } from "../src/config/json-schema";
import { generatedFiles, SCHEMA_FILE } from "../scripts/schema";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR } from "./helpers";

const committedSchema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as Record<string, unknown>;
const definitions = [ENVIRONMENTS_DIR, EXAMPLES_DIR].flatMap((dir) =>
  readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .map((file) => ({ file, value: parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown> })),
);
const validate = addFormats(new Ajv2020({ allErrors: true, strict: true })).compile(committedSchema);

/** Every property path in a JSON Schema, with its schema. */
function properties(schema: Record<string, unknown>, path = ""): [string, Record<string, unknown>][] {
  const found: [string, Record<string, unknown>][] = [];
  const visit = (node: unknown, at: string) => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, at));
    if (node === null || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    for (const [name, property] of Object.entries((record.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      found.push([`${at}${name}`, property]);
      visit(property, `${at}${name}.`);
    }
    for (const key of ["items", "additionalProperties", "oneOf", "anyOf"]) visit(record[key], at);
  };
  visit(schema, path);
  return found;
}

describe("the definition's JSON Schema (npm run schema)", () => {
  it.each(Object.keys(generatedFiles()).map((file) => [file.split("/").slice(-2).join("/"), file]))(
    "the committed %s is current",
    (_, file) => {
      expect(readFileSync(file, "utf8")).toBe(generatedFiles()[file]);
    },
  );

  it("describes every field, at every level", () => {
    const fields = properties(committedSchema);
    expect(fields.length).toBeGreaterThan(150);
    expect(
      fields.filter(([, schema]) => typeof schema.description !== "string" || schema.description === "").map(([path]) => path),
    ).toEqual([]);
  });

  it.each(definitions.map((d) => [d.file, d.value]))("%s names the schema and is valid against it", (_, value) => {
    expect(value.$schema).toBe(SCHEMA_REFERENCE);
    validate(value);
    expect(validate.errors ?? []).toEqual([]);
  });

  it("refuses what synth refuses at the field level: a misspelt key, a wrong type, a value out of range", () => {
    const dev = definitions.find((d) => d.file === "dev.json")!.value;
    const services = dev.services as Record<string, unknown>[];
    for (const broken of [
      { ...dev, projct: "webapp" },
      { ...dev, services: [{ ...services[0], healtCheckPath: "/" }] },
      { ...dev, network: { ...(dev.network as object), azCount: "2" } },
      { ...dev, services: [{ ...services[0], port: 70000 }] },
      { ...dev, region: "us-east-7" },
    ]) {
      expect(validate(broken)).toBe(false);
    }
  });
});
