/**
 * `npm run rollback -- <environment> [--to <release>] [--list] [--yes]`: puts a delivered
 * environment back on an earlier release's images, built once by its pipeline and still in the
 * project's repositories (nothing is rebuilt). The history is the versions of the environment's
 * release parameters, which the pipeline writes after each deploy.
 *
 * ECS: the release parameters take the target's commit, then the environment's stack is planned
 * (the task definitions read their tag from those parameters), checked by the destructive-plan
 * guard and applied, waiting for the services to run it, as any release's converge does. A single
 * host: the pipeline's own step, the stack's SSM deploy document with the commit, then the
 * parameters. Prints each image's change (tag and digest). Works against the local AWS with
 * LOCAL_AWS_ENDPOINT. Exits 1 when a step fails (the parameters are put back), 2 on a usage error.
 */
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import {
  GetCommandInvocationCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import type { EnvironmentConfig } from "../src/config/environment";
import { ConfigError } from "../src/config/errors";
import { repositoryName } from "../src/config/image-stacks";
import { loadEnvironments } from "../src/config/load";
import { clientConfig } from "./lib/aws-clients";
import { printTable } from "./lib/process";
import { describeChanges, describeGuard, review, type ReviewPlan } from "./lib/review";
import { COMMIT_ID, type ParameterVersion, type Release, releaseHistory, rollbackTarget } from "./lib/rollback";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR, OUT_DIR, synthAll, terraform, terraformEnv } from "./lib/terraform";

const USAGE = `usage: npm run rollback -- <environment> [--to <release>] [--list] [--yes]

  environment  a definition with a delivery pipeline
  --list       the last ten releases: when each was recorded, and its commit
  --to         the release to go back to: a commit id (7 characters or more) from --list
               (default: the one before the current)
  --yes        apply without asking

Puts the environment back on a recorded release's images, without rebuilding: on ECS through
its release parameters and a reviewed terraform apply, on a single host through its SSM deploy
document. Set TF_STATE_BUCKET as for a deploy; with LOCAL_AWS_ENDPOINT it works on the local AWS.`;

const PLAN_FILE = "rollback.tfplan";

interface Options {
  readonly stack: string;
  readonly to?: string;
  readonly list: boolean;
  readonly yes: boolean;
}

function parse(args: readonly string[]): Options | { exit: number; text: string } {
  const names: string[] = [];
  let to: string | undefined;
  let list = false;
  let yes = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") return { exit: 0, text: USAGE };
    if (arg === "--list") list = true;
    else if (arg === "--yes") yes = true;
    else if (arg === "--to") {
      to = args[++i];
      if (!to) return { exit: 2, text: `--to needs a release\n\n${USAGE}` };
    } else if (arg.startsWith("-")) return { exit: 2, text: `unknown option ${arg}\n\n${USAGE}` };
    else names.push(arg);
  }
  if (names.length !== 1) return { exit: 2, text: USAGE };
  return { stack: names[0], list, yes, ...(to ? { to } : {}) };
}

async function parameterVersions(ssm: SSMClient, name: string): Promise<ParameterVersion[]> {
  const versions: ParameterVersion[] = [];
  let token: string | undefined;
  do {
    const page = await ssm.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50, NextToken: token }));
    for (const p of page.Parameters ?? [])
      versions.push({ version: p.Version ?? 0, value: p.Value ?? "", modified: p.LastModifiedDate ?? new Date(0) });
    token = page.NextToken;
  } while (token);
  return versions;
}

async function digestOf(ecr: ECRClient, repository: string, tag: string): Promise<string> {
  try {
    const found = await ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }));
    return found.imageDetails?.[0]?.imageDigest ?? "?";
  } catch (error) {
    if ((error as { name?: string }).name === "ImageNotFoundException")
      throw new Error(
        `${repository}:${tag} is no longer in the repository (its lifecycle rule may have expired it): roll back to a later release`,
      );
    throw error;
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question(question);
  prompt.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** The environment's stack, freshly synthesized and initialised; returns a runner of terraform in it that throws on failure. */
async function initialisedStack(stack: string): Promise<(args: string[]) => Promise<string>> {
  const outdir = process.env.CDKTF_OUTDIR ?? OUT_DIR;
  const dir = join(outdir, "stacks", stack);
  const env = terraformEnv();
  const step = async (args: string[]) => {
    const result = await terraform(dir, args, env);
    if (result.code !== 0) throw new Error(`terraform ${args[0]} failed:\n${(result.stderr || result.stdout).trim().slice(-4000)}`);
    return result.stdout;
  };
  await synthAll(outdir);
  await step(["init", "-input=false"]);
  return step;
}

/** ECS: the stack planned with the target's parameters, guarded, and applied exactly as planned. */
async function rollBackServices(stack: string): Promise<void> {
  const step = await initialisedStack(stack);
  await step(["plan", "-input=false", `-out=${PLAN_FILE}`]);
  const { changes, refused } = review(JSON.parse(await step(["show", "-json", PLAN_FILE])) as ReviewPlan, []);
  for (const line of describeChanges(changes)) console.log(line);
  if (refused.length > 0) {
    for (const line of describeGuard(refused, [])) console.log(line);
    throw new Error("the rollback's plan would delete or replace stateful resources; nothing was applied");
  }
  await step(["apply", "-input=false", PLAN_FILE]);
}

/** A single host: the stack's deploy document with the commit, as the pipeline's release step runs it. */
async function rollBackHost(env: EnvironmentConfig, ssm: SSMClient, commit: string): Promise<void> {
  const step = await initialisedStack(env.name);
  const instance = (await step(["output", "-raw", "host_instance_id"])).trim();
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: `${env.namePrefix}-deploy`,
      InstanceIds: [instance],
      Parameters: { Release: [commit] },
      Comment: `rollback to ${commit}`,
    }),
  );
  const id = sent.Command?.CommandId;
  for (let i = 0; i < 180; i++) {
    const invocation = await ssm
      .send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: instance }))
      .catch(() => ({ Status: "Pending", StandardOutputContent: "", StandardErrorContent: "" }));
    if (!["Pending", "InProgress", "Delayed"].includes(invocation.Status ?? "")) {
      console.log(`${invocation.StandardOutputContent ?? ""}${invocation.StandardErrorContent ?? ""}`.trim());
      if (invocation.Status !== "Success") throw new Error(`the deploy on ${instance} ended ${invocation.Status}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  throw new Error(`the deploy on ${instance} did not finish in 15 minutes`);
}

async function main(args: readonly string[]): Promise<number> {
  const options = parse(args);
  if ("exit" in options) {
    (options.exit === 0 ? console.log : console.error)(options.text);
    return options.exit;
  }
  const environments = loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR);
  const env = environments.find((e) => e.name === options.stack);
  if (!env) {
    console.error(`no environment named ${options.stack}; the environments are: ${environments.map((e) => e.name).join(", ")}`);
    return 2;
  }
  if (!env.delivery) {
    console.error(`${env.name} has no delivery pipeline, so no recorded releases: it runs its definition's tags; change them and deploy`);
    return 2;
  }
  const blueGreen = env.services.filter((s) => s.deployment === "blueGreen").map((s) => s.name);
  if (blueGreen.length > 0 && !options.list) {
    console.error(
      `${env.name} has blue/green services (${blueGreen.join(", ")}), whose task definitions CodeDeploy owns: roll them back in CodeDeploy (stop the deployment, or redeploy the previous revision)`,
    );
    return 2;
  }
  const ssm = new SSMClient(clientConfig(env.region));
  const ecr = new ECRClient(clientConfig(env.region));
  const parameters = env.delivery.builds.map((b) => ({ repository: b.repository, name: `/${env.namePrefix}/release/${b.repository}` }));
  const histories = await Promise.all(parameters.map(async (p) => releaseHistory(await parameterVersions(ssm, p.name))));
  const history = histories[0];
  if (options.list) {
    printTable(
      ["release", "recorded at (UTC)", "commit", ""],
      history.slice(0, 10).map((r: Release, i) => [String(r.version), r.at.toISOString().slice(0, 19), r.tag, i === 0 ? "current" : ""]),
    );
    return 0;
  }
  const current = parameters.map((p, i) => ({ ...p, tag: histories[i][0]?.tag ?? "" }));
  const chosen = rollbackTarget(history, options.to);
  if ("error" in chosen) {
    console.error(`${env.name}: ${chosen.error}`);
    return 1;
  }
  const { target } = chosen;
  if (env.singleHost && !COMMIT_ID.test(target.tag)) {
    console.error(`${env.name}: ${target.tag} is the definition's own tag, not a pipeline release; a host deploys commits only`);
    return 1;
  }
  const lines = await Promise.all(
    current.map(async (p) => {
      const repository = repositoryName(env.project, p.repository);
      return [
        p.repository,
        `${p.tag} (${await digestOf(ecr, repository, p.tag)})`,
        `${target.tag} (${await digestOf(ecr, repository, target.tag)})`,
      ];
    }),
  );
  console.log(`Rollback of ${env.name} to release ${target.version}, recorded ${target.at.toISOString().slice(0, 19)}Z:`);
  printTable(["image", "from", "to"], lines);
  if (!options.yes && !(await confirm("Roll back? (yes/no) "))) {
    console.error("not rolled back (pass --yes where nobody can answer)");
    return 1;
  }
  const record = (tag: (p: (typeof current)[number]) => string) =>
    Promise.all(current.map((p) => ssm.send(new PutParameterCommand({ Name: p.name, Value: tag(p), Type: "String", Overwrite: true }))));
  try {
    if (env.singleHost) {
      await rollBackHost(env, ssm, target.tag);
      await record(() => target.tag);
    } else {
      await record(() => target.tag);
      await rollBackServices(env.name);
    }
  } catch (error) {
    if (!env.singleHost) await record((p) => p.tag);
    throw new Error(`rollback failed; the release parameters are back on the current release:\n${(error as Error).message}`);
  }
  console.log(`${env.name} runs release ${target.tag} again.`);
  return 0;
}

main(process.argv.slice(2))
  .then((code) => (process.exitCode = code))
  .catch((error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
