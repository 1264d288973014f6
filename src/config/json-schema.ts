import { z } from "zod";
import { environmentSchema } from "./schema";

/** Where definitions point their `$schema`, relative to environments/ and examples/. */
export const SCHEMA_REFERENCE = "../schema/environment.schema.json";

/** zod writes JavaScript's safe-integer bounds for unbounded integers; they say nothing to a reader. */
function withoutSafeIntegerBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutSafeIntegerBounds);
  if (node === null || typeof node !== "object") return node;
  const entries = Object.entries(node).filter(
    ([key, value]) =>
      !((key === "maximum" && value === Number.MAX_SAFE_INTEGER) || (key === "minimum" && value === Number.MIN_SAFE_INTEGER)),
  );
  return Object.fromEntries(entries.map(([key, value]) => [key, withoutSafeIntegerBounds(value)]));
}

/**
 * The JSON Schema of a definition file, generated from the zod schema: types, allowed values,
 * patterns, ranges, defaults and descriptions. It is what editors check; synth checks more (every
 * cross-field rule and AWS's offerings), so a file valid here can still be refused there.
 */
export function environmentJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(environmentSchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });
  return {
    ...(withoutSafeIntegerBounds(generated) as Record<string, unknown>),
    title: "platform-infra environment definition",
    description:
      "One environment (environments/<name>.json or examples/<name>.json): its network, services, data stores, alarms and delivery. Generated from src/config by npm run schema.",
  };
}
