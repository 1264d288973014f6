/**
 * The cost of a change: each environment's monthly estimate before and after, and the items whose
 * monthly price moved, both sides priced with the same table (so only the infrastructure differs).
 */
import { type CostItem, total, usd } from "../../src/cost/estimate";

export interface CostChange {
  readonly stack: string;
  readonly before: number;
  readonly after: number;
  /** Items whose monthly price differs, with their quantity after (or before, when gone). */
  readonly items: readonly { readonly item: string; readonly before: number; readonly after: number; readonly quantity: string }[];
}

/** One row per environment on either side, added and removed ones included (as $0.00 on the other). */
export function costChanges(
  before: ReadonlyMap<string, readonly CostItem[]>,
  after: ReadonlyMap<string, readonly CostItem[]>,
): CostChange[] {
  const stacks = [...new Set([...before.keys(), ...after.keys()])].sort();
  return stacks.map((stack) => {
    const old = new Map((before.get(stack) ?? []).map((i) => [i.item, i]));
    const now = new Map((after.get(stack) ?? []).map((i) => [i.item, i]));
    const items = [...new Set([...old.keys(), ...now.keys()])]
      .map((item) => ({
        item,
        before: old.get(item)?.monthly ?? 0,
        after: now.get(item)?.monthly ?? 0,
        quantity: (now.get(item) ?? old.get(item))!.quantity,
      }))
      .filter((i) => usd(i.before) !== usd(i.after));
    return { stack, before: total(before.get(stack) ?? []), after: total(after.get(stack) ?? []), items };
  });
}

const signed = (value: number) => `${value < 0 ? "-" : "+"}${usd(Math.abs(value))}`;

/** The changes as a Markdown table (for a pull-request comment), unchanged environments folded into one line. */
export function costChangesMarkdown(changes: readonly CostChange[], base: string): string {
  const moved = changes.filter((c) => usd(c.before) !== usd(c.after) || c.items.length > 0);
  const lines = [`Monthly estimate against \`${base}\` (npm run cost -- --base ${base}):`, ""];
  if (moved.length === 0) return [...lines, "No environment's estimate changes."].join("\n");
  lines.push("| environment | before | after | change | items that moved |", "| --- | --: | --: | --: | --- |");
  for (const c of moved)
    lines.push(
      `| ${c.stack} | ${usd(c.before)} | ${usd(c.after)} | ${signed(c.after - c.before)} | ${c.items
        .map((i) => `${i.item} ${usd(i.before)} → ${usd(i.after)}`)
        .join("; ")} |`,
    );
  const same = changes.length - moved.length;
  if (same > 0) lines.push("", `${same} other environment(s) unchanged.`);
  return lines.join("\n");
}
