/**
 * The one place where this app writes Terraform that cdktf 0.21 has no API for. Each hatch
 * names the Terraform feature it adds and why cdktf cannot express it.
 */
import { ref, TerraformStack, Token, type S3Backend } from "cdktf";
import type { IConstruct } from "constructs";

/**
 * S3-native state locking (`use_lockfile`, Terraform >= 1.10) replaces the DynamoDB lock
 * table; cdktf 0.21's S3BackendConfig predates it.
 */
export function enableS3NativeLocking(backend: S3Backend): void {
  backend.addOverride("use_lockfile", true);
}

/**
 * `terraform { required_version }`: cdktf 0.21 sets only the providers' versions. Ephemeral
 * resources and write-only arguments need Terraform 1.11; an older CLI should say "upgrade
 * Terraform", not fail on a block it does not know.
 */
export function requireTerraformVersion(stack: TerraformStack, constraint: string): void {
  stack.addOverride("terraform.required_version", constraint);
}

/** An ephemeral resource's attributes, as references Terraform resolves at plan and apply time. */
export interface EphemeralResource {
  /** `${ephemeral.<type>.<name>.<attribute>}`: valid only in write-only arguments and other ephemeral contexts. */
  attribute(name: string): string;
}

const ephemeralNames = new WeakMap<TerraformStack, Set<string>>();

/**
 * An `ephemeral` block (Terraform >= 1.10): its value is opened during each plan and apply and
 * is never written to the plan or the state. cdktf 0.21 has no ephemeral construct, so the block
 * is added to the stack as raw Terraform. `config` uses Terraform's own (snake_case) argument
 * names. The block is named after `scope`'s path, so each scope gets its own.
 */
export function addEphemeralResource(scope: IConstruct, id: string, type: string, config: Record<string, unknown>): EphemeralResource {
  const stack = TerraformStack.of(scope);
  const path = [...scope.node.scopes.slice(scope.node.scopes.indexOf(stack) + 1).map((s) => s.node.id), id];
  const name = path.join("_").replace(/[^A-Za-z0-9_-]/g, "_");
  const names = ephemeralNames.get(stack) ?? new Set<string>();
  if (names.has(`${type}.${name}`)) throw new Error(`ephemeral.${type}.${name} is already defined in stack ${stack.node.id}`);
  names.add(`${type}.${name}`);
  ephemeralNames.set(stack, names);
  stack.addOverride(`ephemeral.${type}.${name}`, config);
  return { attribute: (attribute) => Token.asString(ref(`ephemeral.${type}.${name}.${attribute}`, stack)) };
}
