/** The review report: a saved plan's changes by action, destructive ones first, and the guard's verdict. */
import { destructiveChanges, STATEFUL_TYPES, type Destruction } from "./plan-guard";

/** `terraform show -json` of a saved plan: the parts the report reads. */
export interface ReviewPlan {
  resource_changes?: {
    address: string;
    type: string;
    change: { actions: string[]; replace_paths?: (string | number)[][] };
    action_reason?: string;
  }[];
}

export type Action = "destroy" | "replace" | "update" | "create";

export interface PlannedChange {
  readonly action: Action;
  readonly address: string;
  /** The arguments that force a replacement, as terraform reports them. */
  readonly forcedBy: string[];
  readonly stateful: boolean;
}

/** Most dangerous first: what loses something, then what changes in place, then what is new. */
const ORDER: readonly Action[] = ["destroy", "replace", "update", "create"];

function actionOf(actions: readonly string[]): Action | undefined {
  if (actions.includes("delete")) return actions.includes("create") ? "replace" : "destroy";
  if (actions.includes("update")) return "update";
  if (actions.includes("create")) return "create";
  return undefined; // no-op or read
}

export function plannedChanges(plan: ReviewPlan): PlannedChange[] {
  const changes: PlannedChange[] = [];
  for (const change of plan.resource_changes ?? []) {
    const action = actionOf(change.change.actions);
    if (!action) continue;
    changes.push({
      action,
      address: change.address,
      forcedBy: (change.change.replace_paths ?? []).map((path) => path.join(".")),
      stateful: (STATEFUL_TYPES as readonly string[]).includes(change.type),
    });
  }
  return changes.sort((a, b) => ORDER.indexOf(a.action) - ORDER.indexOf(b.action) || a.address.localeCompare(b.address));
}

export interface Review {
  readonly changes: PlannedChange[];
  /** Stateful resources the plan deletes or replaces without --allow: the guard refuses the plan. */
  readonly refused: Destruction[];
}

export function review(plan: ReviewPlan, allowed: readonly string[]): Review {
  return { changes: plannedChanges(plan), refused: destructiveChanges(plan, allowed) };
}

/** Above this many new resources, the report counts them by type. */
const MAX_LISTED_CREATES = 15;

/** A resource address's type, past any module path. */
const typeOf = (address: string) => address.split(".").slice(-2)[0];

/** The report's lines about the plan: a count per action, then each change, most dangerous first. */
export function describeChanges(changes: readonly PlannedChange[]): string[] {
  if (changes.length === 0) return ["No changes: the account matches the definition."];
  const counts = ORDER.map((action) => `${changes.filter((c) => c.action === action).length} to ${action}`);
  const lines = [`Changes: ${counts.join(", ")}`];
  // A first deploy creates everything: new resources are counted by type rather than listed.
  const creates = changes.filter((c) => c.action === "create");
  const listed = creates.length > MAX_LISTED_CREATES ? changes.filter((c) => c.action !== "create") : changes;
  for (const change of listed) {
    const notes = [
      change.stateful && change.action !== "create" && change.action !== "update" ? "holds data" : "",
      change.forcedBy.length ? `forced by ${change.forcedBy.join(", ")}` : "",
    ]
      .filter(Boolean)
      .join("; ");
    lines.push(`  ${change.action.padEnd(8)} ${change.address}${notes ? `  (${notes})` : ""}`);
  }
  if (listed.length < changes.length) {
    const byType = new Map<string, number>();
    for (const change of creates) byType.set(typeOf(change.address), (byType.get(typeOf(change.address)) ?? 0) + 1);
    for (const [type, count] of [...byType].sort()) lines.push(`  ${"create".padEnd(8)} ${count} × ${type}`);
  }
  return lines;
}

/** The guard's verdict, with what to do when it refuses. */
export function describeGuard(refused: readonly Destruction[], allowed: readonly string[]): string[] {
  if (refused.length === 0)
    return [`Guard: passes; no stateful resource is deleted or replaced${allowed.length ? ` beyond --allow ${allowed.join(", ")}` : ""}.`];
  return [
    "Guard: REFUSES this plan; it would lose data. Change the definition, or re-run with --allow <address> for each one you mean to lose:",
    ...refused.map((d) => `  ${d.action.padEnd(8)} ${d.address}`),
  ];
}
