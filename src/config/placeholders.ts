/**
 * Values a definition holds for illustration that must never reach a real account: reserved
 * example domains (RFC 2606, 6761), AWS's documentation account ids, documentation address ranges
 * (RFC 5737) and "replace me" markers. The committed definitions carry them so that they can be
 * read and synthesized; a synth for a real account refuses them, naming each field.
 */

const PLACEHOLDERS: readonly [RegExp, string][] = [
  [/replace[-_ ]?me|change[-_ ]?me/i, "a replace-me marker"],
  [/(^|[@.])example\.(com|org|net)$|\.(example|test|invalid|localhost)$/i, "a reserved example domain"],
  [/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(123456789012|111122223333):/, "AWS's documentation account id"],
  [/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}\/\d{1,2}$/, "a documentation address range (RFC 5737)"],
];

/** Free text, never applied. */
const IGNORED_KEYS = new Set(["about"]);

export interface Placeholder {
  readonly field: string;
  readonly value: string;
  readonly reason: string;
}

/** Every placeholder value in a raw definition: its field path and why it is one. */
export function findPlaceholders(raw: unknown, path: string[] = []): Placeholder[] {
  if (typeof raw === "string") {
    const match = PLACEHOLDERS.find(([pattern]) => pattern.test(raw));
    return match ? [{ field: path.join("."), value: raw, reason: match[1] }] : [];
  }
  if (Array.isArray(raw)) return raw.flatMap((item, i) => findPlaceholders(item, [...path, String(i)]));
  if (raw !== null && typeof raw === "object")
    return Object.entries(raw).flatMap(([key, value]) => (IGNORED_KEYS.has(key) ? [] : findPlaceholders(value, [...path, key])));
  return [];
}
