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
import { ECRClient } from "@aws-sdk/client-ecr";
import { SSMClient } from "@aws-sdk/client-ssm";
import { ConfigError } from "../src/config/errors";
import { repositoryName } from "../src/config/image-stacks";
import { loadEnvironments } from "../src/config/load";
import { clientConfig } from "./lib/aws-clients";
import { confirm, deployRelease, imageDigestOf, initialisedStack, parameterVersions, releaseParameters } from "./lib/deploy-release";
import { printTable } from "./lib/process";
import { COMMIT_ID, type Release, releaseHistory, rollbackTarget } from "./lib/rollback";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR } from "./lib/terraform";

const USAGE = `usage: npm run rollback -- <environment> [--to <release>] [--list] [--yes]

  environment  a definition with a delivery pipeline
  --list       the last ten releases: when each was recorded, and its commit
  --to         the release to go back to: a commit id (7 characters or more) from --list
               (default: the one before the current)
  --yes        apply without asking

Puts the environment back on a recorded release's images, without rebuilding: on ECS through
its release parameters and a reviewed terraform apply, on a single host through its SSM deploy
document. Set TF_STATE_BUCKET as for a deploy; with LOCAL_AWS_ENDPOINT it works on the local AWS.`;

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

async function digestOf(ecr: ECRClient, repository: string, tag: string): Promise<string> {
  const digest = await imageDigestOf(ecr, repository, tag);
  if (!digest)
    throw new Error(
      `${repository}:${tag} is no longer in the repository (its lifecycle rule may have expired it): roll back to a later release`,
    );
  return digest;
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
  const parameters = releaseParameters(env);
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
  const currentOf = new Map(current.map((p) => [p.name, p.tag]));
  try {
    await deployRelease(env, ssm, await initialisedStack(env.name), target.tag, (name) => currentOf.get(name)!, "rollback to");
  } catch (error) {
    throw new Error(`rollback failed:\n${(error as Error).message}`);
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
