/**
 * The reliability drills: the faults Terraform users meet (a killed apply, two deploys at once, a
 * lost state object, hand-made changes, throttling), each done to one stack on the local AWS,
 * then recovered with the commands docs/runbook.md gives. A drill passes when the stack converges
 * to an empty re-plan, nothing in the account is orphaned or duplicated, and no resource that
 * existed before the fault was lost. `broken` undoes the property a drill relies on (locking, the
 * unlock, the restore, the apply that reverts drift), so each drill is shown able to fail.
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type RunResult, start } from "./process";
import { terraform } from "./terraform";

export const DRILLS = ["interrupted apply", "concurrent deploys", "state restore", "drift", "throttling"] as const;
export type DrillName = (typeof DRILLS)[number];

export interface DrillContext {
  readonly stack: string;
  /** The stack's synthesized folder, initialised against the state bucket. */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly bucket: string;
  /** The state object's key; its lock is `<key>.tflock`. */
  readonly key: string;
  /** The runbook's AWS CLI commands, pointed at the local AWS. */
  readonly aws: (args: readonly string[]) => Promise<RunResult>;
  /** A boto3 snippet against the local AWS (`client(service)`, `args`): how the faults are made, as a person in the console would. */
  readonly boto3: (code: string, args: readonly string[]) => Promise<string>;
  /** Switches the emulator's transient faults (a share of calls answered with throttling or 5xx); returns how many it injected so far. */
  readonly faults: { set(rate: number): Promise<void>; injected(): Promise<number> };
  readonly logFile: string;
  readonly broken: boolean;
}

export interface DrillResult {
  readonly drill: DrillName;
  readonly fault: string;
  readonly survived: boolean;
  readonly lost: number;
  readonly seconds: number;
  readonly detail: string;
}

export class DrillFailure extends Error {}

function log(ctx: DrillContext, what: string, result: RunResult): void {
  appendFileSync(ctx.logFile, `### ${what}: exit ${result.code} after ${result.seconds.toFixed(1)} s\n${result.stdout}${result.stderr}\n`);
}

/**
 * The longest any one terraform command of a drill may take: ten times the slowest apply seen
 * (about 35 s), so a hang fails its drill with the command's output instead of stalling CI.
 */
export const TERRAFORM_TIMEOUT_SECONDS = 300;

async function tf(ctx: DrillContext, args: readonly string[]): Promise<RunResult> {
  const result = await terraform(ctx.dir, args, ctx.env, { timeoutSeconds: TERRAFORM_TIMEOUT_SECONDS });
  log(ctx, `terraform ${args.join(" ")}`, result);
  return result;
}

function expectCode(result: RunResult, what: string, codes: readonly number[]): void {
  if (result.timedOut) {
    const tail = `${result.stderr}\n${result.stdout}`.trim().split("\n").slice(-25).join("\n");
    throw new DrillFailure(`${what}: still running after ${TERRAFORM_TIMEOUT_SECONDS} s, stopped:\n${tail}`);
  }
  if (!codes.includes(result.code)) {
    const tail = `${result.stderr}\n${result.stdout}`.trim().split("\n").slice(-25).join("\n");
    throw new DrillFailure(`${what}: exit ${result.code}, expected ${codes.join(" or ")}:\n${tail}`);
  }
}

/**
 * Runs terraform, calling `onLine` with each line it prints and the process, so a drill can
 * signal it at a chosen moment. Resolves when it exits.
 */
function watchTerraform(
  ctx: DrillContext,
  args: readonly string[],
  onLine: (line: string, signal: (name: NodeJS.Signals) => void) => void,
): Promise<RunResult> {
  const { child, result } = start("terraform", [...args, "-no-color"], {
    cwd: ctx.dir,
    env: ctx.env,
    timeoutSeconds: TERRAFORM_TIMEOUT_SECONDS,
  });
  let signalled = false;
  const signal = (name: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    child.kill(name);
  };
  createInterface({ input: child.stdout }).on("line", (line) => onLine(line, signal));
  return result.then((finished) => {
    log(ctx, `terraform ${args.join(" ")} (watched)`, finished);
    if (finished.timedOut)
      throw new DrillFailure(`terraform ${args.join(" ")}: still running after ${TERRAFORM_TIMEOUT_SECONDS} s, stopped`);
    return finished;
  });
}

interface StateResource {
  readonly address: string;
  readonly type: string;
  readonly values: Record<string, unknown>;
}

/** The managed resources in the stack's state, read through terraform (so through the lock, the backend and its encryption). */
async function stateResources(ctx: DrillContext): Promise<StateResource[]> {
  const shown = await tf(ctx, ["show", "-json"]);
  expectCode(shown, "terraform show -json", [0]);
  const state = JSON.parse(shown.stdout) as { values?: { root_module?: { resources?: (StateResource & { mode: string })[] } } };
  return (state.values?.root_module?.resources ?? []).filter((r) => r.mode === "managed");
}

/** Resource address → its id, for every managed resource: what a fault must not lose. */
async function identities(ctx: DrillContext): Promise<Map<string, string>> {
  return new Map((await stateResources(ctx)).map((r) => [r.address, String(r.values.id ?? r.values.arn ?? "")]));
}

/** Resources of `before` that are gone from, or have another id in, `after`. */
function lostBetween(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([address, id]) => after.get(address) !== id).map(([address]) => address);
}

/**
 * What the account holds for the stack but the state does not: every resource tagged with the
 * stack's Environment (the provider's default tags) whose ARN or id no state resource carries.
 * A duplicate made by a repeated create shows here too. Keys and secrets scheduled for deletion
 * (a destroyed KMS key waits 7 to 30 days) are on their way out, not orphaned.
 */
async function orphans(ctx: DrillContext): Promise<string[]> {
  const tagged = JSON.parse(
    await ctx.boto3(
      [
        "arns = []",
        "for page in client('resourcegroupstaggingapi').get_paginator('get_resources').paginate(TagFilters=[{'Key': 'Environment', 'Values': [args[0]]}]):",
        "    arns += [r['ResourceARN'] for r in page['ResourceTagMappingList']]",
        "def going(arn):",
        "    if ':kms:' in arn: return client('kms').describe_key(KeyId=arn)['KeyMetadata']['KeyState'] == 'PendingDeletion'",
        "    if ':secretsmanager:' in arn: return 'DeletedDate' in client('secretsmanager').describe_secret(SecretId=arn)",
        "    return False",
        "print(json.dumps([arn for arn in arns if not going(arn)]))",
      ].join("\n"),
      [ctx.stack],
    ),
  ) as string[];
  const known = stateIdentifiers(await stateResources(ctx));
  return tagged.filter((arn) => !isKnown(arn, known));
}

/** Every ARN and id the state holds. */
function stateIdentifiers(resources: readonly StateResource[]): Set<string> {
  return new Set(resources.flatMap((r) => [r.values.arn, r.values.id].filter((v): v is string => typeof v === "string" && v !== "")));
}

/** What the state holds, and what the killed apply printed (imported by that id): no candidate for an unrecorded create. */
async function knownIdentifiers(ctx: DrillContext, created: ReadonlyMap<string, string>): Promise<Set<string>> {
  return new Set([...stateIdentifiers(await stateResources(ctx)), ...created.values()]);
}

/** Whether the state holds the resource an ARN names: by the ARN, or by the id it ends with (…:instance/i-123, …:log-group:/name, …:key/uuid). */
function isKnown(arn: string, known: ReadonlySet<string>): boolean {
  return known.has(arn) || [...known].some((id) => arn.endsWith(`/${id}`) || arn.endsWith(`:${id}`));
}

async function expectEmptyReplan(ctx: DrillContext): Promise<void> {
  const replan = await tf(ctx, ["plan", "-detailed-exitcode", "-input=false", "-lock-timeout=60s"]);
  if (replan.code === 2)
    throw new DrillFailure(
      `the re-plan is not empty:\n${replan.stdout
        .split("\n")
        .filter((l) => l.includes(" # "))
        .join("\n")}`,
    );
  expectCode(replan, "re-plan", [0]);
}

async function lockExists(ctx: DrillContext): Promise<boolean> {
  const head = await ctx.aws(["s3api", "head-object", "--bucket", ctx.bucket, "--key", `${ctx.key}.tflock`]);
  return head.code === 0;
}

/** Runbook, "A stuck lock": the lock's ID from the refusal, then force-unlock with it. */
async function forceUnlock(ctx: DrillContext): Promise<string> {
  const refused = await tf(ctx, ["plan", "-input=false", "-lock-timeout=0s"]);
  const id = /ID:\s+([0-9a-f-]{36})/.exec(refused.stdout + refused.stderr)?.[1];
  if (refused.code === 0 || !id)
    throw new DrillFailure(`a plan while the lock is held did not name the lock:\n${refused.stderr.slice(-2000)}`);
  expectCode(await tf(ctx, ["force-unlock", "-force", id]), "terraform force-unlock", [0]);
  return id;
}

/** Addresses a killed apply created (with the id it printed) and those it had started but not finished. */
function createdAndInFlight(output: string): { created: Map<string, string>; inFlight: string[] } {
  const created = new Map<string, string>();
  const started = new Set<string>();
  for (const line of output.split("\n")) {
    const creating = /^(\S+): Creating\.\.\.$/.exec(line);
    if (creating) started.add(creating[1]);
    const done = /^(\S+): Creation complete after \S+ \[id=(.+)\]$/.exec(line);
    if (done) {
      created.set(done[1], done[2]);
      started.delete(done[1]);
    }
  }
  return { created, inFlight: [...started] };
}

/**
 * Runbook, "Roll forward", step 3: of what a killed apply created (address → printed id), those
 * to import, in the order they were created so what a resource refers to is imported before it.
 * `staleEntry`: the state holds the address with another id, a replacement the kill cut short
 * (the old object destroyed, the new one unrecorded), so that entry is removed first.
 */
export function rollForwardImports(
  created: ReadonlyMap<string, string>,
  recorded: ReadonlyMap<string, string>,
): { address: string; printed: string; staleEntry: boolean }[] {
  return [...created]
    .filter(([address, printed]) => recorded.get(address) !== printed)
    .map(([address, printed]) => ({ address, printed, staleEntry: recorded.has(address) }));
}

/** A resource's arguments as the synthesized stack gives them (references still unresolved). */
function configOf(ctx: Pick<DrillContext, "dir">, address: string): Record<string, unknown> {
  const [type, name] = address.split(".");
  const stack = JSON.parse(readFileSync(join(ctx.dir, "cdk.tf.json"), "utf8")) as {
    resource: Record<string, Record<string, Record<string, unknown>>>;
  };
  return stack.resource[type]?.[name] ?? {};
}

/**
 * Types whose create prints an id that is not their import id: the import id each type's Import
 * section in the provider's docs gives, from the resource's arguments (references resolved
 * against the state, which by then holds what they point to).
 */
const IMPORT_IDS: Record<string, (a: (name: string) => string) => string> = {
  aws_route: (a) => `${a("route_table_id")}_${a("destination_cidr_block")}`,
  aws_route_table_association: (a) => `${a("subnet_id")}/${a("route_table_id")}`,
  aws_volume_attachment: (a) => `${a("device_name")}:${a("volume_id")}:${a("instance_id")}`,
  aws_cloudwatch_log_metric_filter: (a) => `${a("log_group_name")}:${a("name")}`,
  aws_cloudwatch_event_target: (a) => `${a("event_bus_name") || "default"}/${a("rule")}/${a("target_id")}`,
  aws_iam_role_policy_attachment: (a) => `${a("role")}/${a("policy_arn")}`,
};

/** Types whose id is their name, so a `.name` reference to one the killed apply created is the id it printed. */
const NAMED_BY_ID = new Set(["aws_iam_role", "aws_cloudwatch_log_group", "aws_cloudwatch_event_rule"]);

/**
 * The import id of a resource the killed apply created: the id it printed, or the form
 * IMPORT_IDS gives, its references resolved to the ids the killed apply printed (`created`),
 * else against the state.
 */
function importIdOf(
  ctx: DrillContext,
  address: string,
  printed: string,
  state: readonly StateResource[],
  created: ReadonlyMap<string, string> = new Map(),
): string {
  const type = address.split(".")[0];
  const form = IMPORT_IDS[type];
  if (!form) return printed;
  const config = configOf(ctx, address);
  const argument = (key: string): string => {
    const value = config[key];
    if (value === undefined) return "";
    const reference = /^\$\{([\w-]+)\.([\w-]+)\.(\w+)\}$/.exec(String(value));
    if (!reference) return String(value);
    const [, targetType, targetName, attribute] = reference;
    const target = `${targetType}.${targetName}`;
    // What the killed apply created first: the state may still name an object it replaced.
    const id = created.get(target);
    if (id !== undefined && (attribute === "id" || (attribute === "name" && NAMED_BY_ID.has(targetType)))) return id;
    const recorded = state.find((r) => r.address === target);
    if (recorded) return String(recorded.values[attribute]);
    throw new DrillFailure(`${address} refers to ${target}.${attribute}, which neither the state nor the killed apply's output gives`);
  };
  return form(argument);
}

/** Runbook, "Roll forward", step 3: the import blocks file beside the stack, which the next apply reads. */
export const IMPORTS_FILE = "roll-forward-imports.tf.json";

/** One Terraform import block per resource, as JSON configuration. */
export function importBlocks(imports: readonly { readonly address: string; readonly id: string }[]): string {
  return JSON.stringify({ import: imports.map(({ address, id }) => ({ to: address, id })) }, null, 2);
}

/** Addresses whose create an interrupt cancelled ("Error: creating …: context canceled"): the call may have gone through unrecorded. */
function cancelledCreates(output: string): string[] {
  const found = new Set<string>();
  const pattern = /^Error: creating [^\n]*context canceled\n(?:.*\n){0,3}?\s+with (\S+),$/gm;
  for (const match of output.matchAll(pattern)) found.add(match[1]);
  return [...found];
}

/** How an unrecorded resource of a type shows in the account's tagged inventory, and its import id there. */
const INVENTORY_FORMS: Record<string, { arn: RegExp; tellApart?: boolean }> = {
  // Two keys made at once carry the same tags; their descriptions tell them apart.
  aws_kms_key: { arn: /:kms:.*:key\/([0-9a-f-]+)$/, tellApart: true },
  aws_dlm_lifecycle_policy: { arn: /:dlm:.*:policy\/(policy-[0-9a-f]+)$/ },
  aws_secretsmanager_secret: { arn: /^(arn:[^:]+:secretsmanager:.*:secret:.+)$/ },
};

/**
 * EC2 types, found by the environment's tag with `aws ec2 describe-tags` (which, unlike the
 * tagging API's inventory, lists every EC2 resource type), by the prefix of their id, which is
 * their import id.
 */
const EC2_ID_PREFIXES: Record<string, string> = {
  aws_instance: "i-",
  aws_vpc: "vpc-",
  aws_ebs_volume: "vol-",
  aws_subnet: "subnet-",
  aws_security_group: "sg-",
  aws_internet_gateway: "igw-",
  aws_route_table: "rtb-",
  aws_vpc_endpoint: "vpce-",
  aws_eip: "eipalloc-",
  aws_nat_gateway: "nat-",
  aws_flow_log: "fl-",
  aws_vpc_security_group_ingress_rule: "sgr-",
  aws_vpc_security_group_egress_rule: "sgr-",
};

/**
 * Types a name in their arguments identifies in the account, whose create is refused once the
 * name is taken: their import id, from those arguments, finds the one a cancelled call made.
 */
const NAMED_IMPORT_IDS: Record<string, (config: Record<string, unknown>, account: string) => string> = {
  aws_budgets_budget: (config, account) => `${account}:${String(config.name)}`,
  aws_iam_role: (config) => String(config.name),
  aws_iam_instance_profile: (config) => String(config.name),
  aws_cloudwatch_log_group: (config) => String(config.name),
  aws_ssm_parameter: (config) => String(config.name),
  aws_kms_alias: (config) => String(config.name),
};

/**
 * Types whose create is a put keyed by what their arguments name: one a cancelled call made is
 * taken over by the next apply's create, under the same identity, so nothing needs importing.
 */
const PUT_BY_NAME = new Set([
  "aws_cloudwatch_log_metric_filter",
  "aws_cloudwatch_metric_alarm",
  "aws_cloudwatch_composite_alarm",
  "aws_cloudwatch_dashboard",
  "aws_cloudwatch_event_rule",
  "aws_cloudwatch_event_target",
  "aws_iam_role_policy",
  "aws_iam_role_policy_attachment",
  "aws_sns_topic",
  "aws_sns_topic_policy",
  "aws_sns_topic_subscription",
  "aws_secretsmanager_secret_version",
  "aws_default_security_group",
]);

/** The runbook's way to find an unrecorded resource of a type, if it has one. */
export function unrecordedLookup(type: string): "inventory" | "ec2" | "name" | "put" | undefined {
  if (type in INVENTORY_FORMS) return "inventory";
  if (type in EC2_ID_PREFIXES) return "ec2";
  if (PUT_BY_NAME.has(type)) return "put";
  if (type in NAMED_IMPORT_IDS || type in IMPORT_IDS) return "name";
  return undefined;
}

/** The import id of a name-identified resource (NAMED_IMPORT_IDS) from its arguments. */
export function namedImportId(ctx: Pick<DrillContext, "dir">, address: string, account: string): string {
  const form = NAMED_IMPORT_IDS[address.split(".")[0]];
  if (!form) throw new DrillFailure(`${address} is not identified by a name`);
  return form(configOf(ctx, address), account);
}

/** Runbook, "Roll forward", step 4: the environment's EC2 resources and their Name tags (`aws ec2 describe-tags`). */
async function taggedEc2(ctx: DrillContext): Promise<Map<string, string | undefined>> {
  const described = async (filters: string[]) => {
    const result = await ctx.aws([
      "ec2",
      "describe-tags",
      "--filters",
      ...filters,
      "--query",
      "Tags[].[ResourceId,Value]",
      "--output",
      "json",
    ]);
    expectCode(result, "aws ec2 describe-tags", [0]);
    return JSON.parse(result.stdout) as [string, string][];
  };
  const ids = (await described(["Name=key,Values=Environment", `Name=value,Values=${ctx.stack}`])).map(([id]) => id);
  const names = new Map(ids.length ? await described(["Name=key,Values=Name", `Name=resource-id,Values=${ids.join(",")}`]) : []);
  return new Map(ids.map((id) => [id, names.get(id)]));
}

/**
 * Runbook, "Roll forward", step 4, for EC2: the environment's resources with the type's id
 * prefix that the state does not hold; more than one are told apart by their Name tag.
 */
async function findInEc2(ctx: DrillContext, address: string, created: ReadonlyMap<string, string>): Promise<string | undefined> {
  const known = await knownIdentifiers(ctx, created);
  const wanted = (configOf(ctx, address).tags as Record<string, unknown> | undefined)?.Name;
  return unrecordedEc2(address, await taggedEc2(ctx), known, typeof wanted === "string" ? wanted : undefined);
}

/**
 * Of the environment's EC2 resources (id → Name tag), the one `address` may have made: its type's
 * id prefix, not known to the state or the killed apply, told apart by `wantedName` when more
 * than one; undefined when none; more than it can tell apart is a finding.
 */
export function unrecordedEc2(
  address: string,
  tagged: ReadonlyMap<string, string | undefined>,
  known: ReadonlySet<string>,
  wantedName: string | undefined,
): string | undefined {
  const prefix = EC2_ID_PREFIXES[address.split(".")[0]];
  let candidates = [...tagged].filter(([id]) => id.startsWith(prefix) && !known.has(id));
  if (candidates.length > 1 && wantedName !== undefined) candidates = candidates.filter(([, name]) => name === wantedName);
  if (candidates.length > 1)
    throw new DrillFailure(
      `${address}: ${candidates.length} unrecorded candidates, none told apart: ${candidates.map(([id]) => id).join(", ")}`,
    );
  return candidates[0]?.[0];
}

/** Runbook, "Roll forward", step 4: the environment's tagged resources, as the AWS CLI lists them. */
async function taggedInventory(ctx: DrillContext): Promise<string[]> {
  const listed = await ctx.aws([
    "resourcegroupstaggingapi",
    "get-resources",
    "--tag-filters",
    `Key=Environment,Values=${ctx.stack}`,
    "--query",
    "ResourceTagMappingList[].ResourceARN",
    "--output",
    "json",
  ]);
  expectCode(listed, "aws resourcegroupstaggingapi get-resources", [0]);
  return JSON.parse(listed.stdout) as string[];
}

/** Runbook, "Roll forward", step 4: the account a budget's import id names (`aws sts get-caller-identity`). */
async function accountId(ctx: DrillContext): Promise<string> {
  const identity = await ctx.aws(["sts", "get-caller-identity", "--query", "Account", "--output", "text"]);
  expectCode(identity, "aws sts get-caller-identity", [0]);
  return identity.stdout.trim();
}

/** Runbook, "Roll forward", step 4: a key's state and description (`aws kms describe-key`). */
async function describeKey(ctx: DrillContext, arn: string): Promise<{ state: string; description: string }> {
  const described = await ctx.aws([
    "kms",
    "describe-key",
    "--key-id",
    arn,
    "--query",
    "KeyMetadata.[KeyState,Description]",
    "--output",
    "json",
  ]);
  expectCode(described, "aws kms describe-key", [0]);
  const [state, description] = JSON.parse(described.stdout) as [string, string | null];
  return { state, description: description ?? "" };
}

/**
 * The runbook's lookup for a create that may have gone through unrecorded: the resources of its
 * type the environment's tags show in the account but the state does not hold (keys pending
 * deletion are on their way out). Gives the import id of the one that matches; none means the
 * call never landed; more than it can tell apart is a finding.
 */
async function findInInventory(ctx: DrillContext, address: string, created: ReadonlyMap<string, string>): Promise<string | undefined> {
  const type = address.split(".")[0];
  const form = INVENTORY_FORMS[type];
  const known = await knownIdentifiers(ctx, created);
  let candidates = (await taggedInventory(ctx)).filter((arn) => form.arn.test(arn) && !isKnown(arn, known));
  if (type === "aws_kms_key") {
    const live: string[] = [];
    for (const arn of candidates) if ((await describeKey(ctx, arn)).state !== "PendingDeletion") live.push(arn);
    candidates = live;
  }
  if (candidates.length > 1 && form.tellApart) {
    const wanted = String(configOf(ctx, address).description ?? "");
    const matching: string[] = [];
    for (const arn of candidates) if ((await describeKey(ctx, arn)).description === wanted) matching.push(arn);
    candidates = matching;
  }
  if (candidates.length === 0) return undefined;
  if (candidates.length > 1)
    throw new DrillFailure(`${address}: ${candidates.length} unrecorded candidates, none told apart: ${candidates.join(", ")}`);
  return form.arn.exec(candidates[0])![1];
}

/**
 * Imports what a create that may have gone through unrecorded made, if it did: found in the
 * tagged inventory, or imported by its name (Terraform refuses a name the account does not hold:
 * the call never landed). A put-by-name type needs nothing; any other type is a finding.
 */
async function importUnrecorded(ctx: DrillContext, address: string, created: ReadonlyMap<string, string> = new Map()): Promise<boolean> {
  const type = address.split(".")[0];
  const lookup = unrecordedLookup(type);
  if (lookup === undefined) throw new DrillFailure(`${address} may exist unrecorded, and the drill has no lookup for ${type}`);
  if (lookup === "put") return false;
  if (lookup === "name") {
    const id =
      type in NAMED_IMPORT_IDS
        ? namedImportId(ctx, address, type === "aws_budgets_budget" ? await accountId(ctx) : "")
        : importIdOf(ctx, address, "", await stateResources(ctx), created);
    const imported = await tf(ctx, ["import", "-input=false", address, id]);
    if (imported.code !== 0 && /Cannot import non-existent remote object/.test(imported.stdout + imported.stderr)) return false;
    expectCode(imported, `terraform import ${address} ${id}`, [0]);
    return true;
  }
  const id = lookup === "ec2" ? await findInEc2(ctx, address, created) : await findInInventory(ctx, address, created);
  if (id === undefined) return false;
  expectCode(await tf(ctx, ["import", "-input=false", address, id]), `terraform import ${address} ${id}`, [0]);
  return true;
}

/**
 * An apply that gets `signal` `delayMs` after it starts creating the first resource of `type`;
 * undefined when it never started one (it then ran to its end unsignalled).
 */
async function applySignalledWhileCreating(
  ctx: DrillContext,
  type: string,
  signal: NodeJS.Signals,
  delayMs: number,
): Promise<RunResult | undefined> {
  let started = false;
  const result = await watchTerraform(ctx, ["apply", "-auto-approve", "-input=false"], (line, send) => {
    if (!started && line.startsWith(`${type}.`) && line.endsWith(": Creating...")) {
      started = true;
      setTimeout(() => send(signal), delayMs);
    }
  });
  return started ? result : undefined;
}

/**
 * Interrupted apply: the first apply of the stack is interrupted with SIGINT while the VPC is
 * being created (Terraform stops gracefully and releases the lock; the VPC, its create landed but
 * its settings cancelled, is saved tainted, or its create is cancelled and may have landed
 * unrecorded). The next apply replaces the tainted VPC and everything in it, and is killed with
 * SIGKILL while the host instance is being created (the lock stays; whatever was created since
 * the last state write is unknown to the state, and the state still names the destroyed VPC).
 * The runbook's roll forward after each: unlock, import what was created unrecorded, apply.
 */
export async function interruptedApply(ctx: DrillContext): Promise<string> {
  // CreateVpc returns at once; the provider then sets DNS hostnames and waits: interrupt that wait.
  const graceful = await applySignalledWhileCreating(ctx, "aws_vpc", "SIGINT", 500);
  if (!graceful) throw new DrillFailure("the first apply never began creating the VPC");
  if (graceful.code === 0) throw new DrillFailure("the apply finished before it could be interrupted");
  if (!/Interrupt received/.test(graceful.stdout + graceful.stderr)) throw new DrillFailure("terraform did not report the interrupt");
  if (await lockExists(ctx)) throw new DrillFailure("the lock stayed after a graceful interrupt");
  const imported: string[] = [];
  const cancelled = cancelledCreates(graceful.stdout + graceful.stderr);
  for (const address of cancelled) if (await importUnrecorded(ctx, address)) imported.push(address);

  // RunInstances goes out just after its "Creating..." line; kill once it has, as a runner dies mid-wait.
  const killed = await applySignalledWhileCreating(ctx, "aws_instance", "SIGKILL", 1500);
  if (!killed) throw new DrillFailure("the second apply never began creating the host instance");
  if (killed.code === 0) throw new DrillFailure("the apply finished before it could be killed");
  if (!(await lockExists(ctx))) throw new DrillFailure("a killed apply left no lock; S3 locking is not in force");

  if (!ctx.broken) await forceUnlock(ctx);
  const state = await stateResources(ctx);
  const recorded = new Map(state.map((r) => [r.address, String(r.values.id ?? "")]));
  const { created, inFlight } = createdAndInFlight(killed.stdout);
  const replaced: string[] = [];
  const blocks: { address: string; id: string }[] = [];
  for (const { address, printed, staleEntry } of rollForwardImports(created, recorded)) {
    if (staleEntry) {
      expectCode(await tf(ctx, ["state", "rm", address]), `terraform state rm ${address}`, [0]);
      replaced.push(address);
    }
    blocks.push({ address, id: importIdOf(ctx, address, printed, state, created) });
  }
  // What was in flight is looked up (and imported) one by one; what it printed goes in one apply.
  for (const address of inFlight) if (await importUnrecorded(ctx, address, created)) imported.push(address);
  imported.push(...blocks.map((b) => b.address));
  // One apply imports them all and converges; the file goes once it has.
  const importsFile = join(ctx.dir, IMPORTS_FILE);
  writeFileSync(importsFile, importBlocks(blocks));
  const rolledForward = await tf(ctx, ["apply", "-auto-approve", "-input=false", "-lock-timeout=60s"]);
  rmSync(importsFile);
  expectCode(rolledForward, "the apply after the roll-forward", [0]);
  await expectEmptyReplan(ctx);
  return [
    `SIGINT while the VPC was created: lock released, ${cancelled.length} creates cancelled (${cancelled.join(", ") || "none"})`,
    `SIGKILL: lock left and force-unlocked, in flight ${inFlight.join(", ") || "none"}`,
    `imported ${imported.length} unrecorded (${imported.join(", ") || "none"})`,
    `stale entries of cut-short replacements removed first: ${replaced.join(", ") || "none"}`,
  ].join("; ");
}

/**
 * Concurrent deploys: a second apply while the first holds the lock is refused with the lock
 * message; a plan that waits for the lock (-lock-timeout) runs after it.
 */
export async function concurrentDeploys(ctx: DrillContext): Promise<string> {
  const alarm = (await stateResources(ctx)).find((r) => r.type === "aws_cloudwatch_metric_alarm")?.address;
  if (!alarm) throw new DrillFailure("the stack has no alarm to replace");
  const lock = ctx.broken ? ["-lock=false"] : [];
  let second: Promise<RunResult> | undefined;
  let waiting: Promise<RunResult> | undefined;
  const first = await watchTerraform(ctx, ["apply", "-auto-approve", "-input=false", ...lock, `-replace=${alarm}`], (line) => {
    if (!second && /Refreshing state\.\.\./.test(line)) {
      second = tf(ctx, ["apply", "-auto-approve", "-input=false", "-lock-timeout=0s", ...lock]);
      waiting = tf(ctx, ["plan", "-input=false", "-lock-timeout=300s", ...lock]);
    }
  });
  expectCode(first, "the first apply", [0]);
  if (!second || !waiting) throw new DrillFailure("the first apply never refreshed, so the second never started");
  const refused = await second;
  if (refused.code === 0 || !/Error acquiring the state lock/.test(refused.stderr + refused.stdout))
    throw new DrillFailure(`the second apply was not refused by the lock (exit ${refused.code})`);
  expectCode(await waiting, "the plan that waited for the lock", [0]);
  await expectEmptyReplan(ctx);
  return `second apply refused: "Error acquiring the state lock"; a plan with -lock-timeout waited ${(await waiting).seconds.toFixed(0)} s and ran`;
}

/** The state object's versions, newest first (the runbook's list-object-versions). */
async function stateVersions(ctx: DrillContext): Promise<string[]> {
  const listed = await ctx.aws([
    "s3api",
    "list-object-versions",
    "--bucket",
    ctx.bucket,
    "--prefix",
    ctx.key,
    "--query",
    `Versions[?Key=='${ctx.key}'].VersionId`,
    "--output",
    "json",
  ]);
  expectCode(listed, "aws s3api list-object-versions", [0]);
  return JSON.parse(listed.stdout) as string[];
}

async function restoreVersion(ctx: DrillContext, version: string): Promise<void> {
  const copied = await ctx.aws([
    "s3api",
    "copy-object",
    "--bucket",
    ctx.bucket,
    "--key",
    ctx.key,
    "--copy-source",
    `${ctx.bucket}/${ctx.key}?versionId=${version}`,
  ]);
  expectCode(copied, "aws s3api copy-object", [0]);
}

/**
 * State restore: the state object is overwritten with garbage, then deleted; each time the
 * runbook restores the last good version from the versioned bucket, and the re-plan is empty.
 */
export async function stateRestore(ctx: DrillContext, scratch: string): Promise<string> {
  const good = (await stateVersions(ctx))[0];
  const garbage = join(scratch, "garbage.tfstate");
  writeFileSync(garbage, "{ this is not a state file");
  expectCode(
    await ctx.aws(["s3api", "put-object", "--bucket", ctx.bucket, "--key", ctx.key, "--body", garbage]),
    "overwriting the state",
    [0],
  );
  const unreadable = await tf(ctx, ["plan", "-input=false"]);
  if (unreadable.code === 0) throw new DrillFailure("terraform planned from a corrupt state");
  const corrupt = (await stateVersions(ctx))[0];
  await restoreVersion(ctx, ctx.broken ? corrupt : good);
  await expectEmptyReplan(ctx);

  expectCode(await ctx.aws(["s3api", "delete-object", "--bucket", ctx.bucket, "--key", ctx.key]), "deleting the state", [0]);
  const blind = await tf(ctx, ["plan", "-detailed-exitcode", "-input=false"]);
  if (blind.code !== 2) throw new DrillFailure(`without its state the plan did not propose to create everything (exit ${blind.code})`);
  await restoreVersion(ctx, (await stateVersions(ctx))[0]);
  await expectEmptyReplan(ctx);
  return "overwritten: plan refused, version restored; deleted: plan would recreate all, version restored";
}

/** The hand-made changes, as a person in the console makes them; each names the address it drifts. */
const DRIFTS: readonly {
  what: string;
  type: string;
  pick: (r: StateResource) => boolean;
  code: string;
  args: (r: StateResource) => string[];
}[] = [
  {
    what: "security group opened to the world on every port",
    type: "aws_vpc_security_group_ingress_rule",
    pick: () => true,
    code: "r = client('ec2').modify_security_group_rules(GroupId=args[1], SecurityGroupRules=[{'SecurityGroupRuleId': args[0], 'SecurityGroupRule': {'IpProtocol': 'tcp', 'FromPort': 0, 'ToPort': 65535, 'CidrIpv4': '0.0.0.0/0'}}])",
    args: (r) => [String(r.values.security_group_rule_id ?? r.values.id), String(r.values.security_group_id)],
  },
  {
    what: "alarm threshold raised tenfold",
    type: "aws_cloudwatch_metric_alarm",
    pick: (r) => typeof r.values.metric_name === "string" && r.values.metric_name !== "",
    code: [
      "cw = client('cloudwatch')",
      "a = cw.describe_alarms(AlarmNames=[args[0]])['MetricAlarms'][0]",
      "keep = ['AlarmName', 'AlarmDescription', 'ActionsEnabled', 'OKActions', 'AlarmActions', 'InsufficientDataActions', 'MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic', 'Dimensions', 'Period', 'Unit', 'EvaluationPeriods', 'DatapointsToAlarm', 'ComparisonOperator', 'TreatMissingData', 'EvaluateLowSampleCountPercentile']",
      "cw.put_metric_alarm(**{k: a[k] for k in keep if k in a}, Threshold=a['Threshold'] * 10 + 10)",
    ].join("\n"),
    args: (r) => [String(r.values.alarm_name)],
  },
  {
    what: "log group deleted",
    type: "aws_cloudwatch_log_group",
    pick: (r) => String(r.values.name).startsWith("/host/"),
    code: "client('logs').delete_log_group(logGroupName=args[0])",
    args: (r) => [String(r.values.name)],
  },
  {
    what: "KMS key rotation turned off",
    type: "aws_kms_key",
    pick: () => true,
    code: "client('kms').disable_key_rotation(KeyId=args[0])",
    args: (r) => [String(r.values.key_id ?? r.values.id)],
  },
];

/**
 * Drift: four changes by hand; `plan -detailed-exitcode` must report exactly those resources
 * (plus updates that only carry values the drift made unknown, such as a recreated group's ARN
 * in a policy), and an apply must put them back.
 */
export async function drift(ctx: DrillContext, scratch: string): Promise<string> {
  const resources = await stateResources(ctx);
  const drifted: string[] = [];
  for (const change of DRIFTS) {
    const target = resources.find((r) => r.type === change.type && change.pick(r));
    if (!target) throw new DrillFailure(`the stack has no ${change.type} for "${change.what}"`);
    await ctx.boto3(change.code, change.args(target));
    drifted.push(target.address);
  }
  const plan = await tf(ctx, ["plan", "-detailed-exitcode", "-input=false", `-out=${join(scratch, "drift.tfplan")}`]);
  expectCode(plan, "the plan after the drift", [2]);
  const shown = await tf(ctx, ["show", "-json", join(scratch, "drift.tfplan")]);
  const changes = (
    JSON.parse(shown.stdout) as { resource_changes: { address: string; change: { actions: string[]; after_unknown?: object } }[] }
  ).resource_changes.filter((c) => !c.change.actions.every((a) => a === "no-op" || a === "read"));
  const reported = new Set(changes.map((c) => c.address));
  const unreported = drifted.filter((a) => !reported.has(a));
  const unexplained = changes.filter(
    (c) => !drifted.includes(c.address) && !(c.change.actions.join() === "update" && Object.keys(c.change.after_unknown ?? {}).length > 0),
  );
  if (unreported.length || unexplained.length)
    throw new DrillFailure(
      `the plan did not report exactly the drift: missing ${unreported.join(", ") || "none"}; unexplained ${unexplained.map((c) => c.address).join(", ") || "none"}`,
    );
  if (!ctx.broken) expectCode(await tf(ctx, ["apply", "-auto-approve", "-input=false"]), "the apply that reverts the drift", [0]);
  await expectEmptyReplan(ctx);
  return `${DRIFTS.map((d) => d.what).join("; ")}: plan reported ${drifted.length} drifted (+${changes.length - drifted.length} derived), apply reverted`;
}

/**
 * Throttling: with a share of the emulator's answers turned into throttling and 5xx errors,
 * an apply that refreshes everything and replaces a handful of resources must converge through
 * the SDK's retries.
 */
export async function throttling(ctx: DrillContext, rate: number): Promise<string> {
  const replaced = (await stateResources(ctx))
    .filter((r) => ["aws_cloudwatch_metric_alarm", "aws_cloudwatch_log_metric_filter", "aws_ssm_parameter"].includes(r.type))
    .slice(0, 5)
    .map((r) => r.address);
  const before = await ctx.faults.injected();
  const effective = ctx.broken ? 1 : rate;
  await ctx.faults.set(effective);
  let applied: RunResult;
  try {
    applied = await tf(ctx, ["apply", "-auto-approve", "-input=false", ...replaced.map((a) => `-replace=${a}`)]);
  } finally {
    await ctx.faults.set(0);
  }
  const injected = (await ctx.faults.injected()) - before;
  if (injected === 0) throw new DrillFailure("the emulator injected no fault: the drill proved nothing");
  expectCode(applied, `the apply under ${effective * 100} % faults`, [0]);
  await expectEmptyReplan(ctx);
  return `${injected} throttling/5xx answers injected at ${effective * 100} %; ${replaced.length} replaced, converged`;
}

export { cancelledCreates, createdAndInFlight, identities, importIdOf, lostBetween, orphans };
