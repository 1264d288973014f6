/**
 * `npm run plan-guard -- <plan.json> [--allow <address>]...`: reads `terraform show -json` of a
 * saved plan and exits 1, naming each one, when the plan would delete or replace a stateful
 * resource (database, replica, cache, bucket, data volume, KMS key, secret) whose address is not
 * explicitly allowed.
 */
import { readFileSync } from "node:fs";
import { destructiveChanges, STATEFUL_TYPES, type Plan } from "./lib/plan-guard";

const USAGE = `usage: npm run plan-guard -- <plan.json> [--allow <resource address>]...

  plan.json   the output of: terraform show -json <saved plan>
  --allow     a stateful resource this plan may delete or replace (repeatable)

Exits 1 when the plan deletes or replaces a resource of these types without --allow:
  ${STATEFUL_TYPES.join(", ")}`;

function main(args: string[]): number {
  const allowed: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--help" || args[i] === "-h") {
      console.log(USAGE);
      return 0;
    }
    if (args[i] === "--allow") {
      const address = args[++i];
      if (!address) {
        console.error(`--allow needs a resource address\n\n${USAGE}`);
        return 2;
      }
      allowed.push(address);
    } else files.push(args[i]);
  }
  if (files.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const plan = JSON.parse(readFileSync(files[0], "utf8")) as Plan;
  const destroyed = destructiveChanges(plan, allowed);
  if (destroyed.length === 0) {
    console.log(`plan-guard: no stateful resource is deleted or replaced${allowed.length ? ` (allowed: ${allowed.join(", ")})` : ""}`);
    return 0;
  }
  console.error("plan-guard: this plan would destroy data; re-run with --allow <address> for each one you mean to lose:");
  for (const d of destroyed) console.error(`  ${d.action.padEnd(7)} ${d.address}`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
