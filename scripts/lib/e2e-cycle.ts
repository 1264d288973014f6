/**
 * The life of one stack against the local AWS, as `npm run e2e` runs it: apply (or `cdktf
 * deploy`), an empty re-plan, a scan of the state, the checks some stacks carry (password
 * rotation, the destructive-plan guard, the release migration, production's protections), and
 * destroy, even after a failed step. Every terraform command's output goes to the stack's log file.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  imageDefinitionsFile,
  MIGRATION_VARIABLES,
  migrationCommands,
  RELEASE_RECORD_FILE,
  RELEASE_RECORD_OBJECT,
  RELEASE_VARIABLE,
  releaseRecordCommands,
  REPOSITORY_VARIABLE,
} from "../../src/delivery/buildspec";
import { check, StepError } from "./bootstrap";
import { imageDigest, putParameters, readSecretValue, serviceImages, UNHEALTHY_IMAGE_MARKER } from "./local-aws";
import { run, type RunResult } from "./process";
import type { Progress } from "./progress";
import { findSecrets, withoutAcceptedStateSecrets } from "./secret-scan";
import { resourceCount, ROOT, synthAll, terraform } from "./terraform";

export const E2E_WORK_DIR = join(ROOT, ".local", "e2e");
/** The last run's figures, written at its end and read by `npm run bench`. */
export const E2E_SUMMARY = join(E2E_WORK_DIR, "summary.json");

export interface E2eSummary {
  readonly finished: string;
  readonly jobs: number;
  readonly totalSeconds: number;
  readonly rows: readonly CycleRow[];
}

/** Where a run keeps its synthesized variants of the app. */
export interface CycleDirs {
  /** The app as users synthesize it. */
  readonly out: string;
  /** The same app with ALLOW_DESTROY=true: how production stacks are decommissioned. */
  readonly teardown: string;
  /** Scratch space for variants a single stack needs (rotation, cdktf deploy). */
  readonly work: string;
  /** The committed definitions, copied and changed for the rotation check. */
  readonly environments: string;
  /** The examples' definitions. */
  readonly examples: string;
}

export interface StackCycle {
  readonly stack: string;
  readonly production: boolean;
  /** Deployed with `cdktf deploy` rather than `terraform apply`, to prove the user's own command. */
  readonly viaCdktf: boolean;
  /**
   * After its cycle's checks, release an image whose tasks never become healthy: the apply must
   * fail naming the service, and `npm run status` must say why (pushes the image with `push`).
   */
  readonly rollback?: (repository: string, tag: string) => Promise<void>;
  /**
   * The stack has a release migration on ECS: run the pipeline's migration commands against the
   * emulator with the AWS CLI in this folder, once passing and once failing.
   */
  readonly migration?: { readonly awsCliBin: string };
  /**
   * Release A, then B, through the release parameters (as the pipeline records them) and an
   * apply; then `npm run rollback` must put the services back on A, with an empty re-plan.
   */
  readonly releases?: { readonly push: (repository: string, tag: string) => Promise<void> };
  /**
   * The stack both promotes and is promoted from: record a release as its pipeline's recording
   * step does, promote it with its promotion projects' commands (AWS CLI, against the emulator),
   * and check the deploy files name the pushed digest; a record naming another digest must be refused.
   */
  readonly promotion?: { readonly awsCliBin: string; readonly push: (repository: string, tag: string) => Promise<void> };
  /**
   * The stack is released through GitHub Actions: push its images for a commit, then `npm run
   * release` (with the AWS CLI in this folder) must reuse them, run the migration, and put every
   * delivered service on their digests, with an empty re-plan.
   */
  readonly workflowRelease?: { readonly awsCliBin: string; readonly push: (repository: string, tag: string) => Promise<void> };
  readonly endpoint: string;
  /** The environment terraform runs with (provider mirror, no prompts). */
  readonly env: NodeJS.ProcessEnv;
  /** What every synth of the run sets: the emulator's endpoint and the state bucket bootstrap made. */
  readonly synthEnv: NodeJS.ProcessEnv;
  readonly dirs: CycleDirs;
  readonly progress: Progress;
  readonly logFile: string;
}

export interface CycleRow {
  stack: string;
  resources: number;
  applySeconds?: number;
  replanChanges?: string;
  /** "yes" when the master password was rotated in place. */
  rotated?: string;
  /** "yes" when the plan guard stopped a planned database replacement. */
  guarded?: string;
  /** "yes" when an apply the circuit breaker rolled back failed naming the service. */
  rolledBack?: string;
  /** "yes" when the migration ran as a one-off task and a failing one stopped the release. */
  migrated?: string;
  /** "yes" when npm run rollback put the services back on the previous release. */
  rolledBackRelease?: string;
  /** "yes" when a recorded release was promoted by its digest, and a record naming another digest refused. */
  promoted?: string;
  /** "yes" when npm run release (the GitHub Actions path) migrated and deployed a commit's images by digest. */
  releasedByWorkflow?: string;
  destroyed?: boolean;
  wallSeconds?: number;
  failure?: string;
}

/** Resource addresses a plan would change, from its human-readable output. */
export function plannedChanges(planOutput: string): string[] {
  return planOutput
    .split("\n")
    .map((line) => /^\s*# (\S+) (will be|must be)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => m[1]);
}

/** Runs terraform in `dir`, appending the command and its output to the stack's log. */
export async function tf(cycle: StackCycle, dir: string, args: readonly string[]): Promise<RunResult> {
  const result = await terraform(dir, args, cycle.env);
  log(cycle, `terraform ${args.join(" ")} (in ${dir.slice(ROOT.length + 1)})`, result);
  return result;
}

function log(cycle: StackCycle, command: string, result: RunResult): void {
  appendFileSync(
    cycle.logFile,
    `\n### ${command}: exit ${result.code} after ${result.seconds.toFixed(1)} s\n${result.stdout}${result.stderr}`,
  );
}

/** Refuses to go on unless a destroy plan of the stack is stopped by prevent_destroy. */
export async function expectDestroyRefused(cycle: StackCycle, dir: string): Promise<void> {
  const destroy = await tf(cycle, dir, ["plan", "-destroy", "-input=false"]);
  if (destroy.code === 0 || !/prevent_destroy/.test(destroy.stderr)) {
    throw new StepError(`a destroy plan was not refused by prevent_destroy:\n${destroy.stderr.slice(-3000)}`);
  }
}

/** A plan with -detailed-exitcode that must show no changes; returns how many it shows. */
export async function expectEmptyPlan(cycle: StackCycle, dir: string): Promise<number> {
  const replan = await tf(cycle, dir, ["plan", "-detailed-exitcode", "-input=false"]);
  check(replan, "re-plan", [0, 2]);
  const changes = plannedChanges(replan.stdout);
  if (replan.code === 2) throw new StepError(`re-plan shows changes to ${changes.join(", ")}:\n${replan.stdout.slice(-6000)}`);
  return changes.length;
}

/**
 * Pulls the stack's state and fails if it holds a literal secret, or the database's master
 * password (read from its credentials secret in the emulator). Returns that password, or
 * undefined for stacks without a write-only database password.
 */
async function checkStateHoldsNoSecret(cycle: StackCycle, dir: string): Promise<string | undefined> {
  const state = await tf(cycle, dir, ["state", "pull"]);
  check(state, "state pull");
  const secrets = findSecrets(withoutAcceptedStateSecrets(JSON.parse(state.stdout)));
  if (secrets.length > 0) throw new StepError(`the state holds secrets: ${secrets.map((s) => `${s.path} (${s.reason})`).join("; ")}`);
  const output = await tf(cycle, dir, ["output", "-json"]);
  check(output, "output");
  const arn = (JSON.parse(output.stdout) as Record<string, { value: unknown }>).database_credentials_secret_arn?.value;
  if (typeof arn !== "string" || !arn.includes(":secretsmanager:")) return undefined;
  const { password } = JSON.parse(await readSecretValue(cycle.endpoint, arn)) as { password?: string };
  if (!password || password.length < 32) throw new StepError(`the credentials secret holds no generated password`);
  if (state.stdout.includes(password)) throw new StepError("the state holds the database master password");
  return password;
}

/**
 * Rotates the stack's master password the documented way (passwordVersion + 1): the plan must
 * change resources in place only, with the database among them; after apply the secret holds a
 * new password that is not in the state.
 */
async function rotatePassword(cycle: StackCycle, oldPassword: string): Promise<void> {
  const definitions = join(cycle.dirs.work, `${cycle.stack}.environments.rotated`);
  mkdirSync(definitions, { recursive: true });
  for (const file of readdirSync(cycle.dirs.environments).filter((f) => f.endsWith(".json"))) {
    const definition = JSON.parse(readFileSync(join(cycle.dirs.environments, file), "utf8")) as { database?: { passwordVersion?: number } };
    if (file === `${cycle.stack}.json` && definition.database)
      definition.database.passwordVersion = (definition.database.passwordVersion ?? 1) + 1;
    writeFileSync(join(definitions, file), JSON.stringify(definition));
  }
  const rotatedOut = join(cycle.dirs.work, `${cycle.stack}.cdktf.rotated`);
  await synthAll(rotatedOut, { ...cycle.synthEnv, ENVIRONMENTS_DIR: definitions });
  const dir = join(rotatedOut, "stacks", cycle.stack);
  check(await tf(cycle, dir, ["init", "-input=false"]), "rotation init");
  check(await tf(cycle, dir, ["plan", "-input=false", "-out=rotation.tfplan"]), "rotation plan");
  const show = await tf(cycle, dir, ["show", "-json", "rotation.tfplan"]);
  check(show, "rotation plan show");
  const changes = (
    JSON.parse(show.stdout) as { resource_changes: { address: string; type: string; change: { actions: string[] } }[] }
  ).resource_changes.filter((c) => !c.change.actions.every((a) => a === "no-op" || a === "read"));
  // Secrets Manager versions are immutable: rotating writes a new version of the same secret.
  const notInPlace = changes.filter((c) => c.change.actions.join() !== "update" && c.type !== "aws_secretsmanager_secret_version");
  if (notInPlace.length > 0)
    throw new StepError(
      `rotation would not update in place: ${notInPlace.map((c) => `${c.address} (${c.change.actions.join(", ")})`).join("; ")}`,
    );
  if (!changes.some((c) => c.type === "aws_db_instance")) throw new StepError("rotation plan does not update the database");
  const secretVersion = changes.find((c) => c.type === "aws_secretsmanager_secret_version");
  if (secretVersion?.change.actions.join() !== "create,delete")
    throw new StepError(
      `rotation must write the new secret version before retiring the old one: ${secretVersion?.change.actions.join(", ")}`,
    );
  check(await tf(cycle, dir, ["apply", "-input=false", "rotation.tfplan"]), "rotation apply");
  const newPassword = await checkStateHoldsNoSecret(cycle, dir);
  if (!newPassword || newPassword === oldPassword) throw new StepError("rotation left the password unchanged");
}

/**
 * Plans a forced replacement of the stack's database and requires the destructive-plan guard to
 * refuse it, naming the database, and to pass it once that address is explicitly allowed.
 * Returns false when the stack has no database.
 */
async function expectGuardToStopDatabaseReplacement(cycle: StackCycle, dir: string): Promise<boolean> {
  const list = await tf(cycle, dir, ["state", "list"]);
  check(list, "state list");
  const database = list.stdout.split("\n").find((address) => address.startsWith("aws_db_instance."));
  if (!database) return false;
  check(await tf(cycle, dir, ["plan", "-input=false", `-replace=${database}`, "-out=replace.tfplan"]), "replacement plan");
  const show = await tf(cycle, dir, ["show", "-json", "replace.tfplan"]);
  check(show, "replacement plan show");
  const planFile = join(dir, "replace.plan.json");
  writeFileSync(planFile, show.stdout);
  const guard = join(ROOT, "dist", "scripts", "plan-guard.js");
  const refused = await run(process.execPath, [guard, planFile]);
  if (refused.code !== 1 || !refused.stderr.includes(`replace ${database}`))
    throw new StepError(
      `plan-guard did not stop the replacement of ${database} (exit ${refused.code}):\n${refused.stdout}${refused.stderr}`,
    );
  check(await run(process.execPath, [guard, planFile, "--allow", database]), "plan-guard with --allow");
  return true;
}

/**
 * `npm run review` on the definition changed on purpose: a 5xx threshold (its alarm changes in
 * place) and the database's name (RDS replaces the instance). The report must list both, name
 * what forces the replacement, and the guard must refuse the plan.
 */
async function expectReviewToReport(cycle: StackCycle): Promise<void> {
  const work = join(cycle.dirs.work, `${cycle.stack}.review`);
  const folders = changedDefinitions(cycle, work, (definition) => {
    const database = definition.database as { databaseName?: string };
    database.databaseName = `${database.databaseName ?? "app"}_renamed`;
    const observability = (definition.observability ??= {}) as { thresholds?: Record<string, number> };
    observability.thresholds = { ...observability.thresholds, http5xxPercent: 7 };
  });
  const review = await run(process.execPath, [join(ROOT, "dist", "scripts", "review.js"), cycle.stack], {
    cwd: ROOT,
    env: { ...cycle.env, ...cycle.synthEnv, ...folders, CDKTF_OUTDIR: join(work, "cdktf.out") },
  });
  log(cycle, "npm run review", review);
  const said = review.stdout + review.stderr;
  const expected = [
    /^ {2}update +aws_cloudwatch_metric_alarm\.\S+$/m,
    /^ {2}replace +aws_db_instance\.\S+ +\(holds data; forced by db_name\)$/m,
    /^Guard: REFUSES this plan/m,
  ];
  const missing = expected.filter((pattern) => !pattern.test(said));
  if (review.code !== 1 || missing.length > 0)
    throw new StepError(
      `npm run review (exit ${review.code}) did not report ${missing.join(", ") || "the refusal by its exit code"}:\n${said.slice(-4000)}`,
    );
}

/** Copies the definitions into `dir`, changing the one of `stack` with `change`; returns the folders. */
function changedDefinitions(cycle: StackCycle, dir: string, change: (definition: Record<string, unknown>) => void) {
  const copy = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const file of readdirSync(from).filter((f) => f.endsWith(".json"))) {
      const definition = JSON.parse(readFileSync(join(from, file), "utf8")) as Record<string, unknown>;
      if (file === `${cycle.stack}.json`) change(definition);
      writeFileSync(join(to, file), JSON.stringify(definition));
    }
  };
  const environments = join(dir, "environments");
  const examples = join(dir, "examples");
  copy(cycle.dirs.environments, environments);
  copy(cycle.dirs.examples, examples);
  return { ENVIRONMENTS_DIR: environments, EXAMPLES_DIR: examples };
}

/**
 * A release whose tasks never become healthy: the image is pushed, the apply registers its task
 * definition, ECS's circuit breaker rolls the service back (the emulator does so for an image tag
 * with the unhealthy marker), and the apply must fail naming the service; `npm run status` must
 * then show why its tasks stopped.
 */
async function expectRolledBackDeployFails(cycle: StackCycle, push: (repository: string, tag: string) => Promise<void>): Promise<void> {
  const work = join(cycle.dirs.work, `${cycle.stack}.unhealthy`);
  let service = "";
  let image = { repository: "", tag: "" };
  const folders = changedDefinitions(cycle, work, (definition) => {
    const services = definition.services as { name: string; deployment?: string; image: { repository?: string; tag: string } }[];
    const rolling = services.find((s) => (s.deployment ?? "rolling") === "rolling")!;
    rolling.image.tag = `${rolling.image.tag}-${UNHEALTHY_IMAGE_MARKER}`;
    service = rolling.name;
    image = { repository: `${String(definition.project)}/${rolling.image.repository ?? rolling.name}`, tag: rolling.image.tag };
  });
  await push(image.repository, image.tag);
  const out = join(work, "cdktf.out");
  await synthAll(out, { ...cycle.synthEnv, ...folders });
  const dir = join(out, "stacks", cycle.stack);
  check(await tf(cycle, dir, ["init", "-input=false"]), "unhealthy release init");
  const applied = await tf(cycle, dir, ["apply", "-auto-approve", "-input=false"]);
  // Terraform wraps long error messages over lines.
  const said = `${applied.stderr}${applied.stdout}`.replace(/\s+/g, " ");
  if (applied.code === 0 || !new RegExp(`ECS service \\S+-${service} did not end on the task definition this apply registered`).test(said))
    throw new StepError(
      `an apply the circuit breaker rolled back did not fail naming ${service} (exit ${applied.code}):\n${said.slice(-3000)}`,
    );
  const status = await run(process.execPath, [join(ROOT, "dist", "scripts", "status.js"), cycle.stack], {
    cwd: ROOT,
    env: { ...process.env, ...folders, LOCAL_AWS_ENDPOINT: cycle.endpoint },
  });
  log(cycle, `npm run status -- ${cycle.stack}`, status);
  if (status.code !== 1 || !status.stdout.includes("stopped task:") || !status.stdout.includes("Task failed ELB health checks"))
    throw new StepError(`npm run status did not report the stopped tasks (exit ${status.code}):\n${status.stdout}${status.stderr}`);
}

/** The resources the stack's state holds, as `terraform show -json` gives them. */
type StateResource = { readonly type: string; readonly values: Record<string, unknown> };

async function stateResources(cycle: StackCycle, dir: string): Promise<StateResource[]> {
  const shown = await tf(cycle, dir, ["show", "-json"]);
  check(shown, "show");
  return (JSON.parse(shown.stdout) as { values: { root_module: { resources: StateResource[] } } }).values.root_module.resources;
}

/** The plain variables and buildspec commands of the CodeBuild project whose name ends in `suffix`, as the state holds them. */
function projectOf(resources: readonly StateResource[], suffix: string): { variables: Record<string, string>; commands: string[] } {
  const project = resources.find((r) => r.type === "aws_codebuild_project" && String(r.values.name).endsWith(suffix));
  if (!project) throw new StepError(`the stack has no CodeBuild project named *${suffix}`);
  const [environment] = project.values.environment as { environment_variable: { name: string; value: string }[] }[];
  const [source] = project.values.source as { buildspec: string }[];
  const spec = JSON.parse(source.buildspec) as { phases: Record<string, { commands: string[] }> };
  return {
    variables: Object.fromEntries(environment.environment_variable.map((v) => [v.name, v.value])),
    commands: Object.values(spec.phases).flatMap((phase) => phase.commands),
  };
}

/** A commit id for releases the e2e makes up. */
const E2E_RELEASE = "0123456789abcdef0123456789abcdef01234567";
/** A command the emulator's one-off tasks exit 1 for (FAILING_COMMAND_MARKER in local-aws/patches.py). */
const FAILING_COMMAND = ["sh", "-c", "exit 1 # e2e-fail"];

/**
 * The pipeline's Migrate stage, as its buildspec runs it, against the emulator: the migration
 * project's variables from the state, the AWS CLI, and the stack's real cluster, family, subnets,
 * security group and roles. It must register the migration family, run the task and pass; with a
 * failing command it must fail saying the release stops and where the logs are.
 */
async function expectMigrationToGate(cycle: StackCycle, dir: string, awsCliBin: string): Promise<void> {
  const { variables } = projectOf(await stateResources(cycle, dir), "-migrate");
  const script = ["set -euo pipefail", ...migrationCommands()].join("\n");
  const scratch = join(cycle.dirs.work, `${cycle.stack}.migration`);
  mkdirSync(scratch, { recursive: true });
  const env = {
    ...process.env,
    ...variables,
    PATH: `${awsCliBin}:${process.env.PATH ?? ""}`,
    AWS_ENDPOINT_URL: cycle.endpoint,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: "us-east-1",
    [RELEASE_VARIABLE]: E2E_RELEASE,
  };
  const migrate = (overrides: NodeJS.ProcessEnv) =>
    run("bash", ["-c", script], { cwd: scratch, env: { ...env, ...overrides }, timeoutSeconds: 120 });
  const passed = await migrate({});
  appendFileSync(cycle.logFile, `### migration (passing)\n${passed.stdout}${passed.stderr}\n`);
  if (passed.code !== 0 || !passed.stdout.includes("migration done"))
    throw new StepError(`the migration did not pass (exit ${passed.code}):\n${passed.stderr.slice(-1500)}`);
  const overrides = JSON.stringify({ containerOverrides: [{ name: variables[MIGRATION_VARIABLES.container], command: FAILING_COMMAND }] });
  const failed = await migrate({ [MIGRATION_VARIABLES.overrides]: overrides });
  appendFileSync(cycle.logFile, `### migration (failing)\n${failed.stdout}${failed.stderr}\n`);
  const expected = `migration failed (exit 1: Essential container in task exited): the release stops here, no service moved; logs: log group ${variables[MIGRATION_VARIABLES.logGroup]}`;
  if (failed.code === 0 || !failed.stderr.includes(expected))
    throw new StepError(
      `a failing migration did not stop the release with "${expected}" (exit ${failed.code}):\n${failed.stderr.slice(-1500)}`,
    );
}

/** A made-up commit, recorded and promoted by the promotion check. */
const PROMOTED = "cccc2222cccc2222cccc2222cccc2222cccc2222";

async function expectPromotionByDigest(
  cycle: StackCycle,
  dir: string,
  awsCliBin: string,
  push: (repository: string, tag: string) => Promise<void>,
): Promise<void> {
  const resources = await stateResources(cycle, dir);
  const record = projectOf(resources, "-release");
  const repositories = (record.variables.PROMOTION_REPOSITORIES ?? "").split(" ").filter(Boolean);
  if (repositories.length === 0) throw new StepError("the recording step names no repository");
  for (const repository of repositories) await push(repository, PROMOTED);
  const scratch = join(cycle.dirs.work, `${cycle.stack}.promotion`);
  mkdirSync(scratch, { recursive: true });
  const env = {
    ...process.env,
    PATH: `${awsCliBin}:${process.env.PATH ?? ""}`,
    AWS_ENDPOINT_URL: cycle.endpoint,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: "us-east-1",
    [RELEASE_VARIABLE]: PROMOTED,
  };
  const bash = async (what: string, commands: string[], variables: Record<string, string>) => {
    const result = await run("bash", ["-c", ["set -euo pipefail", ...commands].join("\n")], {
      cwd: scratch,
      env: { ...env, ...variables },
      timeoutSeconds: 120,
    });
    appendFileSync(cycle.logFile, `### ${what}\n${result.stdout}${result.stderr}\n`);
    return result;
  };
  // The recording step's release record, written to the promotions bucket as the pipeline's source.
  const recorded = await bash("release record", releaseRecordCommands(), record.variables);
  if (recorded.code !== 0) throw new StepError(`recording the release failed (exit ${recorded.code}):\n${recorded.stderr.slice(-1500)}`);
  const fetched = await bash(
    "fetch the record",
    [
      `aws s3 cp "s3://${record.variables.PROMOTION_BUCKET}/${RELEASE_RECORD_OBJECT}" source.zip --only-show-errors`,
      "unzip -o -q source.zip",
    ],
    {},
  );
  if (fetched.code !== 0) throw new StepError(`the release record could not be read back:\n${fetched.stderr.slice(-1500)}`);
  const promote = projectOf(resources, `-promote-${repositories[0].split("/").pop()}`);
  const promoted = await bash("promotion", promote.commands, promote.variables);
  if (promoted.code !== 0) throw new StepError(`the promotion failed (exit ${promoted.code}):\n${promoted.stderr.slice(-1500)}`);
  const digest = await imageDigest(cycle.endpoint, repositories[0], PROMOTED);
  const files = readdirSync(scratch).filter((f) => f.startsWith(imageDefinitionsFile("").replace(/\.json$/, "")));
  const named = files.map((f) => readFileSync(join(scratch, f), "utf8"));
  if (named.length === 0 || !named.every((text) => text.includes(`${promote.variables[REPOSITORY_VARIABLE]}@${digest}`)))
    throw new StepError(`the promotion's deploy files do not name ${repositories[0]}@${digest}: ${named.join(" ")}`);
  // A record that names another digest (another build of the commit) must be refused.
  const recordFile = join(scratch, RELEASE_RECORD_FILE);
  const tampered = JSON.parse(readFileSync(recordFile, "utf8")) as { images: Record<string, string> };
  tampered.images[repositories[0]] = `sha256:${"0".repeat(64)}`;
  writeFileSync(recordFile, JSON.stringify(tampered));
  const refused = await bash("promotion of another digest", promote.commands, promote.variables);
  if (refused.code === 0 || !refused.stderr.includes("refusing to promote another build"))
    throw new StepError(`a record naming another digest was not refused (exit ${refused.code}):\n${refused.stderr.slice(-1500)}`);
}

/** Two made-up commits, released in this order by the rollback check. */
const RELEASE_A = "aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000";
const RELEASE_B = "bbbb1111bbbb1111bbbb1111bbbb1111bbbb1111";

async function expectRollbackToRestore(
  cycle: StackCycle,
  dir: string,
  push: (repository: string, tag: string) => Promise<void>,
): Promise<void> {
  const definition = JSON.parse(readFileSync(join(cycle.dirs.environments, `${cycle.stack}.json`), "utf8")) as { project: string };
  const resources = await stateResources(cycle, dir);
  const parameters = resources
    .filter((r) => r.type === "aws_ssm_parameter" && String(r.values.name).includes("/release/"))
    .map((r) => String(r.values.name));
  if (parameters.length === 0) throw new StepError("the stack records no release parameters");
  const release = async (tag: string) => {
    for (const parameter of parameters) await push(`${definition.project}/${parameter.split("/").pop()}`, tag);
    await putParameters(cycle.endpoint, parameters, tag);
    check(await tf(cycle, dir, ["apply", "-auto-approve", "-input=false"]), `release ${tag}`);
  };
  await release(RELEASE_A);
  await release(RELEASE_B);
  const rollback = (args: string[]) =>
    run(process.execPath, [join(ROOT, "dist", "scripts", "rollback.js"), cycle.stack, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...cycle.synthEnv, CDKTF_OUTDIR: join(cycle.dirs.work, `${cycle.stack}.rollback`) },
      timeoutSeconds: 900,
    });
  const listed = await rollback(["--list"]);
  log(cycle, `npm run rollback -- ${cycle.stack} --list`, listed);
  if (listed.code !== 0 || !new RegExp(`${RELEASE_B}\\s+current`).test(listed.stdout) || !listed.stdout.includes(RELEASE_A))
    throw new StepError(
      `rollback --list did not show ${RELEASE_B} as current and ${RELEASE_A} before it:\n${listed.stdout}${listed.stderr}`,
    );
  const rolledBack = await rollback(["--yes"]);
  log(cycle, `npm run rollback -- ${cycle.stack} --yes`, rolledBack);
  if (rolledBack.code !== 0 || !rolledBack.stdout.includes(`runs release ${RELEASE_A} again`))
    throw new StepError(`npm run rollback did not go back to ${RELEASE_A} (exit ${rolledBack.code}):\n${rolledBack.stderr.slice(-2000)}`);
  const images = await serviceImages(cycle.endpoint, String(resources.find((r) => r.type === "aws_ecs_cluster")?.values.name));
  // Every image of a delivered repository must be A's, by digest; the others keep their definition's.
  const repositories = parameters.map((p) => `${definition.project}/${p.split("/").pop()}`);
  const digests = new Map(await Promise.all(repositories.map(async (r) => [r, await imageDigest(cycle.endpoint, r, RELEASE_A)] as const)));
  const off = images.filter((image) => {
    const repository = repositories.find((r) => image.includes(`/${r}@`) || image.includes(`/${r}:`));
    return repository !== undefined && !image.endsWith(`/${repository}@${digests.get(repository)}`);
  });
  if (off.length > 0) throw new StepError(`after the rollback, services still run ${off.join(", ")}`);
  if ((await expectEmptyPlan(cycle, dir)) !== 0) throw new StepError("the re-plan after the rollback is not empty");
}

/** A made-up commit, released through `npm run release` by the GitHub Actions check. */
const WORKFLOW_RELEASE = "dddd3333dddd3333dddd3333dddd3333dddd3333";

/**
 * The GitHub Actions path on its own command: the images of a commit pushed (as the workflow's
 * build would), `npm run release` must find them built (nothing rebuilt, so no Docker here), run
 * the migration as a one-off task, apply, and leave every delivered service on the commit's
 * digests, the release parameters on the commit and the re-plan empty.
 */
async function expectWorkflowRelease(
  cycle: StackCycle,
  dir: string,
  awsCliBin: string,
  push: (repository: string, tag: string) => Promise<void>,
): Promise<void> {
  const file = [cycle.dirs.environments, cycle.dirs.examples].map((d) => join(d, `${cycle.stack}.json`)).find((f) => existsSync(f))!;
  const definition = JSON.parse(readFileSync(file, "utf8")) as { project: string };
  const resources = await stateResources(cycle, dir);
  const parameters = resources
    .filter((r) => r.type === "aws_ssm_parameter" && String(r.values.name).includes("/release/"))
    .map((r) => String(r.values.name));
  if (parameters.length === 0) throw new StepError("the stack records no release parameters");
  const repositories = parameters.map((p) => `${definition.project}/${p.split("/").pop()}`);
  for (const repository of repositories) await push(repository, WORKFLOW_RELEASE);
  const released = await run(
    process.execPath,
    [join(ROOT, "dist", "scripts", "release.js"), cycle.stack, "--commit", WORKFLOW_RELEASE, "--yes"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...cycle.synthEnv,
        PATH: `${awsCliBin}:${process.env.PATH ?? ""}`,
        CDKTF_OUTDIR: join(cycle.dirs.work, `${cycle.stack}.release`),
      },
      timeoutSeconds: 900,
    },
  );
  log(cycle, `npm run release -- ${cycle.stack} --commit ${WORKFLOW_RELEASE} --yes`, released);
  const said = released.stdout;
  if (released.code !== 0 || !said.includes(`runs release ${WORKFLOW_RELEASE}`))
    throw new StepError(`npm run release failed (exit ${released.code}):\n${released.stderr.slice(-2000)}`);
  for (const expected of ["is built already", "migration done"])
    if (!said.includes(expected)) throw new StepError(`npm run release did not say "${expected}":\n${said.slice(-2000)}`);
  const images = await serviceImages(cycle.endpoint, String(resources.find((r) => r.type === "aws_ecs_cluster")?.values.name));
  const digests = new Map(
    await Promise.all(repositories.map(async (r) => [r, await imageDigest(cycle.endpoint, r, WORKFLOW_RELEASE)] as const)),
  );
  const off = images.filter((image) => {
    const repository = repositories.find((r) => image.includes(`/${r}@`) || image.includes(`/${r}:`));
    return repository === undefined || !image.endsWith(`/${repository}@${digests.get(repository)}`);
  });
  if (off.length > 0) throw new StepError(`after the release, services run ${off.join(", ")}`);
  if ((await expectEmptyPlan(cycle, dir)) !== 0) throw new StepError("the re-plan after the release is not empty");
}

/** Deploys the stack with the user's own command; returns the folder cdktf wrote it to. */
async function deployWithCdktf(cycle: StackCycle): Promise<{ dir: string; seconds: number }> {
  // Its own output folder: cdktf synthesizes every stack, and other jobs run in the shared one.
  const output = join(cycle.dirs.work, `${cycle.stack}.cdktf.deploy`);
  const cdktf = join(ROOT, "node_modules", ".bin", "cdktf");
  const deploy = await run(cdktf, ["deploy", cycle.stack, "--auto-approve", "--skip-provider-lock", "--output", output], {
    cwd: ROOT,
    // Without it cdktf sets up a plugin cache, and init copies the 700 MB provider binary into it.
    env: { ...cycle.env, ...cycle.synthEnv, CDKTF_DISABLE_PLUGIN_CACHE_ENV: "1" },
  });
  log(cycle, `cdktf deploy ${cycle.stack}`, deploy);
  check(deploy, "cdktf deploy");
  const dir = join(output, "stacks", cycle.stack);
  check(await tf(cycle, dir, ["init", "-input=false"]), "init");
  return { dir, seconds: deploy.seconds };
}

async function apply(cycle: StackCycle, dir: string): Promise<number> {
  check(await tf(cycle, dir, ["init", "-input=false", "-reconfigure"]), "init");
  check(await tf(cycle, dir, ["plan", "-input=false", "-out=tfplan"]), "plan");
  const applied = await tf(cycle, dir, ["apply", "-input=false", "tfplan"]);
  check(applied, "apply");
  return applied.seconds;
}

/** The whole life of one environment's stack; never throws: a failure is recorded in the row. */
export async function cycleEnvironment(cycle: StackCycle): Promise<CycleRow> {
  const started = Date.now();
  const step = <T>(name: string, fn: () => Promise<T>) => cycle.progress.step(cycle.stack, name, fn);
  let dir = join(cycle.dirs.out, "stacks", cycle.stack);
  const row: CycleRow = { stack: cycle.stack, resources: resourceCount(dir) };
  try {
    if (cycle.viaCdktf) {
      const deployed = await step("cdktf deploy", () => deployWithCdktf(cycle));
      dir = deployed.dir;
      row.applySeconds = deployed.seconds;
    } else {
      row.applySeconds = await step(`init, plan, apply (${row.resources})`, () => apply(cycle, dir));
    }
    row.replanChanges = String(await step("re-plan (must be empty)", () => expectEmptyPlan(cycle, dir)));
    const password = await step("state scan", () => checkStateHoldsNoSecret(cycle, dir));
    if (password && cycle.viaCdktf) {
      await step("password rotation", () => rotatePassword(cycle, password));
      row.rotated = "yes";
      if (await step("plan guard refuses replace", () => expectGuardToStopDatabaseReplacement(cycle, dir))) row.guarded = "yes";
      await step("review reports, guard refuses", () => expectReviewToReport(cycle));
    }
    if (cycle.migration) {
      const { awsCliBin } = cycle.migration;
      await step("migration runs, a failing one stops", () => expectMigrationToGate(cycle, dir, awsCliBin));
      row.migrated = "yes";
    }
    if (cycle.promotion) {
      const { awsCliBin, push } = cycle.promotion;
      await step("release recorded, promoted by digest", () => expectPromotionByDigest(cycle, dir, awsCliBin, push));
      row.promoted = "yes";
    }
    if (cycle.workflowRelease) {
      const { awsCliBin, push } = cycle.workflowRelease;
      await step("npm run release: built once, migrated, by digest", () => expectWorkflowRelease(cycle, dir, awsCliBin, push));
      row.releasedByWorkflow = "yes";
    }
    if (cycle.releases) {
      const { push } = cycle.releases;
      await step("release A, B, npm run rollback to A", () => expectRollbackToRestore(cycle, dir, push));
      row.rolledBackRelease = "yes";
    }
    if (cycle.rollback) {
      const push = cycle.rollback;
      await step("unhealthy release fails", () => expectRolledBackDeployFails(cycle, push));
      row.rolledBack = "yes";
    }
    if (cycle.production) await step("destroy refused", () => expectDestroyRefused(cycle, dir));
  } catch (error) {
    row.failure = error instanceof Error ? error.message : String(error);
  }
  if (cycle.production) {
    // Production is protected; decommissioning it is a deliberate apply of ALLOW_DESTROY first.
    dir = join(cycle.dirs.teardown, "stacks", cycle.stack);
    try {
      await step("teardown apply", async () => {
        check(await tf(cycle, dir, ["init", "-input=false"]), "teardown init");
        check(await tf(cycle, dir, ["apply", "-auto-approve", "-input=false"]), "teardown apply (ALLOW_DESTROY)");
      });
    } catch (error) {
      row.failure ??= error instanceof Error ? error.message : String(error);
    }
  }
  // Destroy even after a failed step, so one failure does not leave the emulator dirty.
  try {
    await step("destroy", async () => check(await tf(cycle, dir, ["destroy", "-auto-approve", "-input=false"]), "destroy"));
    row.destroyed = true;
  } catch (error) {
    row.destroyed = false;
    row.failure ??= error instanceof Error ? error.message : String(error);
  }
  row.wallSeconds = (Date.now() - started) / 1000;
  return row;
}

/** An images stack: applied (and re-planned empty) before any environment, destroyed after all. */
export async function applyImages(cycle: StackCycle): Promise<CycleRow> {
  const started = Date.now();
  const dir = join(cycle.dirs.out, "stacks", cycle.stack);
  const row: CycleRow = { stack: cycle.stack, resources: resourceCount(dir) };
  const step = <T>(name: string, fn: () => Promise<T>) => cycle.progress.step(cycle.stack, name, fn);
  try {
    row.applySeconds = await step(`init, plan, apply (${row.resources})`, () => apply(cycle, dir));
    row.replanChanges = String(await step("re-plan (must be empty)", () => expectEmptyPlan(cycle, dir)));
  } catch (error) {
    row.failure = error instanceof Error ? error.message : String(error);
  }
  row.wallSeconds = (Date.now() - started) / 1000;
  return row;
}

/** Images outlive environments: their repositories go only through a deliberate ALLOW_DESTROY apply. */
export async function destroyImages(cycle: StackCycle, row: CycleRow): Promise<void> {
  const started = Date.now();
  const dir = join(cycle.dirs.teardown, "stacks", cycle.stack);
  try {
    await cycle.progress.step(cycle.stack, "teardown apply, destroy", async () => {
      check(await tf(cycle, dir, ["init", "-input=false"]), "teardown init");
      check(await tf(cycle, dir, ["apply", "-auto-approve", "-input=false"]), "teardown apply (ALLOW_DESTROY)");
      check(await tf(cycle, dir, ["destroy", "-auto-approve", "-input=false"]), "destroy");
    });
    row.destroyed = true;
  } catch (error) {
    row.destroyed = false;
    row.failure ??= error instanceof Error ? error.message : String(error);
  }
  row.wallSeconds = (row.wallSeconds ?? 0) + (Date.now() - started) / 1000;
}

/**
 * The first deploy's failure mode: before its images are pushed, `npm run preflight` names each
 * missing image and what to do, and a plan stops before it changes anything, at the image lookup.
 */
export async function expectMissingImage(cycle: StackCycle, image: { repo: string; repository: string; tag: string }): Promise<void> {
  const preflight = await runPreflight(cycle);
  const expected = `image ${image.repo}:${image.tag} is not in ${image.repository}: push it first (see README, First deploy)`;
  if (preflight.code !== 1 || !preflight.stdout.includes(expected))
    throw new StepError(`npm run preflight did not say "${expected}" (exit ${preflight.code}):\n${preflight.stdout}${preflight.stderr}`);
  const dir = join(cycle.dirs.out, "stacks", cycle.stack);
  check(await tf(cycle, dir, ["init", "-input=false", "-reconfigure"]), "init");
  const plan = await tf(cycle, dir, ["plan", "-input=false"]);
  if (
    plan.code === 0 ||
    !new RegExp(`reading ECR Images: couldn't find resource[\\s\\S]*data\\.aws_ecr_image\\.image-${image.repo}_`).test(plan.stderr)
  )
    throw new StepError(
      `a plan before ${image.repository}:${image.tag} was pushed did not stop at its lookup (exit ${plan.code}):\n${plan.stderr.slice(-3000)}`,
    );
}

/** `npm run preflight -- <stack>` against the emulator. */
export async function runPreflight(cycle: StackCycle): Promise<RunResult> {
  const result = await run(process.execPath, [join(ROOT, "dist", "scripts", "preflight.js"), cycle.stack], {
    cwd: ROOT,
    env: { ...process.env, LOCAL_AWS_ENDPOINT: cycle.endpoint },
  });
  log(cycle, `npm run preflight -- ${cycle.stack}`, result);
  return result;
}
