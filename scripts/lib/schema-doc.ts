/** docs/environment-reference.md, rendered from the definition's JSON Schema. */

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

interface Section {
  readonly path: string;
  readonly schema: JsonSchema;
}

const code = (text: string) => "`" + text.replace(/\|/g, "\\|") + "`";
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const literal = (value: unknown) => code(JSON.stringify(value));

/** The object a property holds, if any: itself, its array items, its map values, or its variants. */
function objectsOf(schema: JsonSchema): { suffix: string; schema: JsonSchema }[] {
  if (schema.properties) return [{ suffix: "", schema }];
  if (schema.items) return objectsOf(schema.items).map((o) => ({ ...o, suffix: "[]" + o.suffix }));
  if (typeof schema.additionalProperties === "object" && schema.additionalProperties.properties)
    return [{ suffix: ".<name>", schema: schema.additionalProperties }];
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) {
    return variants.flatMap((variant) => {
      const discriminator = Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined);
      const label = discriminator ? ` (${discriminator[0]}: ${JSON.stringify(discriminator[1].const)})` : "";
      return objectsOf(variant).map((o) => ({ ...o, suffix: o.suffix + label }));
    });
  }
  return [];
}

function typeOf(schema: JsonSchema): string {
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) return [...new Set(variants.map(typeOf))].join(" or ");
  if (schema.const !== undefined) return literal(schema.const);
  if (schema.enum) return "one of " + schema.enum.map(literal).join(", ");
  if (schema.type === "array") return `list of ${schema.items ? typeOf(schema.items) : "values"}`;
  if (schema.type === "object" && typeof schema.additionalProperties === "object") return `map of ${typeOf(schema.additionalProperties)}`;
  if (schema.type === "integer" || schema.type === "number") return schema.type;
  return Array.isArray(schema.type) ? schema.type.join(" or ") : (schema.type ?? "any");
}

function limitsOf(schema: JsonSchema): string[] {
  const limits: string[] = [];
  const range = (low: number | undefined, high: number | undefined, unit: string) => {
    if (low !== undefined && high !== undefined) limits.push(`${low}–${high}${unit}`);
    else if (low !== undefined) limits.push(`≥ ${low}${unit}`);
    else if (high !== undefined) limits.push(`≤ ${high}${unit}`);
  };
  range(schema.minimum, schema.maximum, "");
  if (schema.exclusiveMinimum !== undefined) limits.push(`> ${schema.exclusiveMinimum}`);
  range(schema.minLength, schema.maxLength, " characters");
  range(schema.minItems, schema.maxItems, " items");
  if (schema.pattern) limits.push(`pattern ${code(schema.pattern)}`);
  if (schema.format) limits.push(`format ${schema.format}`);
  if (schema.items && !schema.items.properties) limits.push(...limitsOf(schema.items).map((l) => `each ${l}`));
  if (schema.propertyNames) limits.push(...limitsOf(schema.propertyNames).map((l) => `names ${l}`));
  if (typeof schema.additionalProperties === "object" && !schema.additionalProperties.properties)
    limits.push(...limitsOf(schema.additionalProperties).map((l) => `values ${l}`));
  return limits;
}

function row(name: string, schema: JsonSchema, required: boolean): string {
  const type = [typeOf(schema), ...limitsOf(schema)].join("; ");
  const objectDefault = typeof schema.default === "object" && schema.default !== null && !Array.isArray(schema.default);
  const fallback = required
    ? "required"
    : schema.default === undefined
      ? "—"
      : objectDefault && Object.keys(schema.default as object).length > 0
        ? "its fields' defaults"
        : literal(schema.default);
  return `| ${code(name)} | ${cell(type)} | ${cell(fallback)} | ${cell(schema.description ?? "")} |`;
}

function sections(path: string, schema: JsonSchema): Section[] {
  const own: Section[] = [{ path, schema }];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    for (const object of objectsOf(property))
      own.push(...sections(path ? `${path}.${name}${object.suffix}` : name + object.suffix, object.schema));
  }
  return own;
}

/** Every object of the definition as a section: one table row per field, with its type, limits, default and meaning. */
export function renderReference(schema: JsonSchema): string {
  const lines = [
    "# Environment definition reference",
    "",
    "<!-- Generated by `npm run schema` from the zod schema in src/config; a test fails when this copy is stale. -->",
    "",
    "Every field a definition (`environments/<name>.json`, `examples/<name>.json`) takes, with its",
    "type, limits, default and meaning. Editors check the same rules through",
    "[`schema/environment.schema.json`](../schema/environment.schema.json), which each definition names",
    "in its `$schema`. Synth checks more than this (rules across fields and definitions, and what AWS",
    "offers in the region); [aws-rules.md](aws-rules.md) lists the AWS rules behind them.",
    "",
  ];
  for (const section of sections("", schema)) {
    lines.push(`## ${section.path ? code(section.path) : "Top level"}`, "");
    if (section.path && section.schema.description) lines.push(section.schema.description, "");
    lines.push("| field | type | default | meaning |", "| --- | --- | --- | --- |");
    const required = new Set(section.schema.required ?? []);
    for (const [name, property] of Object.entries(section.schema.properties ?? {})) lines.push(row(name, property, required.has(name)));
    lines.push("");
  }
  return lines.join("\n");
}
