/**
 * `npm run e2e [-- <stack> ...]`: the whole life of every stack against a local AWS (moto,
 * patched by local-aws/patches.py). Applies the bootstrap stack (the state bucket), then for each
 * environment: init with the S3 backend, plan, apply, a second plan that must show no changes,
 * a scan of the state for secret values and for the database's actual master password, and
 * destroy. `dev` is deployed with the user's own command, `cdktf deploy`, and then has its
 * master password rotated (passwordVersion bumped): the plan must update in place only (the
 * credentials secret gets a new version, written before the old one is retired), and the
 * password must change without reaching the state; then a planned replacement of its database must
 * be stopped by the destructive-plan guard (`npm run plan-guard`). Prints a table; exits non-zero when any step
 * fails.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadEnvironments } from "../src/config/load";
import { BOOTSTRAP_STACK } from "../src/stacks/bootstrap-stack";
import { applyBootstrap, check, StepError } from "./lib/bootstrap";
import { createHostedZone, readSecretValue, startLocalAws } from "./lib/local-aws";
import { printTable, run } from "./lib/process";
import { findSecrets } from "./lib/secret-scan";
import { resourceCount, ROOT, synthAll, terraform, terraformEnv } from "./lib/terraform";

const WORK_DIR = join(ROOT, ".local", "e2e");
const ENVIRONMENTS_DIR = process.env.ENVIRONMENTS_DIR ?? join(ROOT, "environments");
const EXAMPLES_DIR = process.env.EXAMPLES_DIR ?? join(ROOT, "examples");
const OUT_DIR = join(WORK_DIR, "cdktf.out");
/** The same app synthesized with ALLOW_DESTROY=true: how production stacks are decommissioned. */
const TEARDOWN_DIR = join(WORK_DIR, "cdktf.teardown");
/** The stack deployed with `cdktf deploy` rather than `terraform apply`, to prove the user's command. */
const CDKTF_DEPLOYED_STACK = "dev";
/** The same app with that stack's database passwordVersion bumped: a password rotation. */
const ROTATED_DIR = join(WORK_DIR, "cdktf.rotated");

interface Row {
  stack: string;
  resources: number;
  applySeconds?: number;
  replanChanges?: string;
  /** "yes" when the master password was rotated in place. */
  rotated?: string;
  /** "yes" when the plan guard stopped a planned database replacement. */
  guarded?: string;
  destroyed?: boolean;
  failure?: string;
}

/** Resource addresses a plan would change, from its human-readable output. */
function plannedChanges(planOutput: string): string[] {
  return planOutput
    .split("\n")
    .map((line) => /^\s*# (\S+) (will be|must be)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => m[1]);
}

async function cycleBootstrap(env: NodeJS.ProcessEnv): Promise<Row> {
  const dir = join(OUT_DIR, "stacks", BOOTSTRAP_STACK);
  const row: Row = { stack: BOOTSTRAP_STACK, resources: resourceCount(dir) };
  row.applySeconds = (await applyBootstrap(OUT_DIR, join(WORK_DIR, "bootstrap.tfstate"), env)).seconds;
  const replan = await terraform(dir, ["plan", "-detailed-exitcode", "-input=false"], env);
  check(replan, "re-plan", [0, 2]);
  row.replanChanges = String(plannedChanges(replan.stdout).length);
  if (replan.code === 2) throw new StepError(`re-plan shows changes:\n${replan.stdout}`);
  // The state bucket outlives the run on purpose: prevent_destroy must refuse to delete it.
  await expectDestroyRefused(dir, env);
  row.destroyed = false;
  return row;
}

/** Refuses to go on unless a destroy plan of the stack is stopped by prevent_destroy. */
async function expectDestroyRefused(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const destroy = await terraform(dir, ["plan", "-destroy", "-input=false"], env);
  if (destroy.code === 0 || !/prevent_destroy/.test(destroy.stderr)) {
    throw new StepError(`a destroy plan was not refused by prevent_destroy:\n${destroy.stderr.slice(-3000)}`);
  }
}

/**
 * Pulls the stack's state and fails if it holds a literal secret, or the database's master
 * password (read from its credentials secret in the emulator). Returns that password, or
 * undefined for stacks without a write-only database password.
 */
async function checkStateHoldsNoSecret(dir: string, env: NodeJS.ProcessEnv, endpoint: string): Promise<string | undefined> {
  const state = await terraform(dir, ["state", "pull"], env);
  check(state, "state pull");
  const secrets = findSecrets(JSON.parse(state.stdout));
  if (secrets.length > 0) throw new StepError(`the state holds secrets: ${secrets.map((s) => `${s.path} (${s.reason})`).join("; ")}`);
  const output = await terraform(dir, ["output", "-json"], env);
  check(output, "output");
  const arn = (JSON.parse(output.stdout) as Record<string, { value: unknown }>).database_credentials_secret_arn?.value;
  if (typeof arn !== "string" || !arn.includes(":secretsmanager:")) return undefined;
  const { password } = JSON.parse(await readSecretValue(endpoint, arn)) as { password?: string };
  if (!password || password.length < 32) throw new StepError(`the credentials secret holds no generated password`);
  if (state.stdout.includes(password)) throw new StepError("the state holds the database master password");
  return password;
}

/**
 * Rotates the stack's master password the documented way (passwordVersion + 1): the plan must
 * change resources in place only, with the database among them; after apply the secret holds a
 * new password that is not in the state.
 */
async function rotatePassword(stack: string, oldPassword: string, env: NodeJS.ProcessEnv, endpoint: string): Promise<void> {
  const definitions = join(WORK_DIR, "environments.rotated");
  mkdirSync(definitions, { recursive: true });
  for (const file of readdirSync(ENVIRONMENTS_DIR).filter((f) => f.endsWith(".json"))) {
    const definition = JSON.parse(readFileSync(join(ENVIRONMENTS_DIR, file), "utf8")) as { database?: { passwordVersion?: number } };
    if (file === `${stack}.json` && definition.database)
      definition.database.passwordVersion = (definition.database.passwordVersion ?? 1) + 1;
    writeFileSync(join(definitions, file), JSON.stringify(definition));
  }
  await synthAll(ROTATED_DIR, { LOCAL_AWS_ENDPOINT: endpoint, ENVIRONMENTS_DIR: definitions });
  const dir = join(ROTATED_DIR, "stacks", stack);
  check(await terraform(dir, ["init", "-input=false"], env), "rotation init");
  check(await terraform(dir, ["plan", "-input=false", "-out=rotation.tfplan"], env), "rotation plan");
  const show = await terraform(dir, ["show", "-json", "rotation.tfplan"], env);
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
  check(await terraform(dir, ["apply", "-input=false", "rotation.tfplan"], env), "rotation apply");
  const newPassword = await checkStateHoldsNoSecret(dir, env, endpoint);
  if (!newPassword || newPassword === oldPassword) throw new StepError("rotation left the password unchanged");
}

/**
 * Plans a forced replacement of the stack's database and requires the destructive-plan guard to
 * refuse it, naming the database, and to pass it once that address is explicitly allowed.
 */
async function expectGuardToStopDatabaseReplacement(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const list = await terraform(dir, ["state", "list"], env);
  check(list, "state list");
  const database = list.stdout.split("\n").find((address) => address.startsWith("aws_db_instance."));
  if (!database) return;
  check(await terraform(dir, ["plan", "-input=false", `-replace=${database}`, "-out=replace.tfplan"], env), "replacement plan");
  const show = await terraform(dir, ["show", "-json", "replace.tfplan"], env);
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
}

async function cycleEnvironment(stack: string, production: boolean, env: NodeJS.ProcessEnv, endpoint: string): Promise<Row> {
  let dir = join(OUT_DIR, "stacks", stack);
  const row: Row = { stack, resources: resourceCount(dir) };
  try {
    if (stack === CDKTF_DEPLOYED_STACK) {
      const cdktf = join(ROOT, "node_modules", ".bin", "cdktf");
      const deploy = await run(cdktf, ["deploy", stack, "--auto-approve", "--skip-provider-lock", "--output", OUT_DIR], {
        cwd: ROOT,
        // Without it cdktf sets up a plugin cache, and init copies the 700 MB provider binary into it.
        env: { ...env, LOCAL_AWS_ENDPOINT: endpoint, CDKTF_DISABLE_PLUGIN_CACHE_ENV: "1" },
      });
      check(deploy, "cdktf deploy");
      row.applySeconds = deploy.seconds;
      check(await terraform(dir, ["init", "-input=false"], env), "init");
    } else {
      check(await terraform(dir, ["init", "-input=false", "-reconfigure"], env), "init");
      check(await terraform(dir, ["plan", "-input=false", "-out=tfplan"], env), "plan");
      const apply = await terraform(dir, ["apply", "-input=false", "tfplan"], env);
      check(apply, "apply");
      row.applySeconds = apply.seconds;
    }
    const replan = await terraform(dir, ["plan", "-detailed-exitcode", "-input=false"], env);
    check(replan, "re-plan", [0, 2]);
    const changes = plannedChanges(replan.stdout);
    row.replanChanges = String(changes.length);
    if (replan.code === 2) throw new StepError(`re-plan shows changes to ${changes.join(", ")}:\n${replan.stdout.slice(-6000)}`);

    const password = await checkStateHoldsNoSecret(dir, env, endpoint);
    if (password && stack === CDKTF_DEPLOYED_STACK) {
      await rotatePassword(stack, password, env, endpoint);
      row.rotated = "yes";
      await expectGuardToStopDatabaseReplacement(dir, env);
      row.guarded = "yes";
    }

    if (production) await expectDestroyRefused(dir, env);
  } catch (error) {
    row.failure = error instanceof Error ? error.message : String(error);
  }
  if (production) {
    // Production is protected; decommissioning it is a deliberate apply of ALLOW_DESTROY first.
    dir = join(TEARDOWN_DIR, "stacks", stack);
    const init = await terraform(dir, ["init", "-input=false"], env);
    const teardown = init.code === 0 ? await terraform(dir, ["apply", "-auto-approve", "-input=false"], env) : init;
    if (teardown.code !== 0 && !row.failure) row.failure = `teardown apply (ALLOW_DESTROY) failed:\n${teardown.stderr.slice(-4000)}`;
  }
  // Destroy even after a failed step, so one failure does not leave the emulator dirty.
  const destroy = await terraform(dir, ["destroy", "-auto-approve", "-input=false"], env);
  row.destroyed = destroy.code === 0;
  if (!row.destroyed && !row.failure) row.failure = `destroy failed:\n${destroy.stderr.slice(-4000)}`;
  return row;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const started = Date.now();
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const localAws = await startLocalAws();
  console.log(`local AWS at ${localAws.endpoint}`);
  const rows: Row[] = [];
  try {
    const stacks = await synthAll(OUT_DIR, { LOCAL_AWS_ENDPOINT: localAws.endpoint });
    await synthAll(TEARDOWN_DIR, { LOCAL_AWS_ENDPOINT: localAws.endpoint, ALLOW_DESTROY: "true" });
    const environments = loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR);
    const production = new Set(environments.filter((e) => e.production).map((e) => e.name));
    const zones = new Set(
      environments.flatMap((e) => [e.alb.domain?.hostedZone, e.singleHost?.domain?.hostedZone].filter((z) => z !== undefined)),
    );
    for (const zone of zones) await createHostedZone(localAws.endpoint, zone);
    const env = terraformEnv({ CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "1" });
    rows.push(await cycleBootstrap(env));
    for (const stack of stacks.filter((s) => s !== BOOTSTRAP_STACK && (only.length === 0 || only.includes(s)))) {
      console.log(`cycling ${stack}…`);
      rows.push(await cycleEnvironment(stack, production.has(stack), env, localAws.endpoint));
    }
  } catch (error) {
    rows.push({ stack: BOOTSTRAP_STACK, resources: 0, failure: error instanceof Error ? error.message : String(error) });
  } finally {
    await localAws.stop();
  }

  printTable(
    ["stack", "resources", "apply s", "re-plan changes", "password rotated", "replacement guarded", "destroy ok", "result"],
    rows.map((r) => [
      r.stack,
      String(r.resources),
      r.applySeconds === undefined ? "-" : r.applySeconds.toFixed(0),
      r.replanChanges ?? "-",
      r.rotated ?? "-",
      r.guarded ?? "-",
      r.stack === BOOTSTRAP_STACK ? "kept (prevent_destroy)" : r.destroyed ? "yes" : "NO",
      r.failure ? "FAILED" : "ok",
    ]),
  );
  console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const failed = rows.filter((r) => r.failure);
  for (const r of failed) console.error(`\n${r.stack}: ${r.failure}`);
  if (failed.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
