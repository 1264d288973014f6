import type { z } from "zod";

/** The zod 4 definition fields this walk reads; the rest of a schema's internals stay opaque. */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** The object schemas a value at `path` may match: wrappers unwrapped, union and intersection branches followed. */
function objectsAt(schema: z.ZodType, path: readonly PropertyKey[]): Record<string, z.ZodType>[] {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      return objectsAt(def.innerType!, path);
    case "pipe":
      return objectsAt(def.in!, path);
    case "union":
      return def.options!.flatMap((option) => objectsAt(option, path));
    case "intersection":
      return [...objectsAt(def.left!, path), ...objectsAt(def.right!, path)];
    case "array":
      return path.length === 0 ? [] : objectsAt(def.element!, path.slice(1));
    case "record":
      return path.length === 0 ? [] : objectsAt(def.valueType!, path.slice(1));
    case "object": {
      if (path.length === 0) return [def.shape!];
      const field = def.shape![String(path[0])];
      return field ? objectsAt(field, path.slice(1)) : [];
    }
    default:
      return [];
  }
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/** The valid key nearest to `key`, when it is close enough to be a typo (a third of its length, at least 2 edits). */
export function nearestKey(key: string, validKeys: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(key.length / 3));
  let best: { key: string; distance: number } | undefined;
  for (const candidate of validKeys) {
    const distance = editDistance(key, candidate);
    if (distance <= limit && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/**
 * The message for a key the schema at `path` does not know: the nearest valid key when one is
 * close ("did you mean"), otherwise the keys that level accepts.
 */
export function unknownKeyMessage(schema: z.ZodType, path: readonly PropertyKey[], key: string): string {
  const validKeys = [...new Set(objectsAt(schema, path).flatMap((shape) => Object.keys(shape)))];
  const nearest = nearestKey(key, validKeys);
  if (nearest) return `unknown key "${key}"; did you mean "${nearest}"?`;
  return validKeys.length > 0 ? `unknown key "${key}"; expected one of: ${validKeys.join(", ")}` : `unknown key "${key}"`;
}
