/**
 * `npm run release -- <environment> [--commit <id>] [--source <dir>] [--yes]`: releases a
 * definition whose `delivery.via` is github-actions, as release.yml runs it. Building: each image
 * is built from the source at the commit and pushed under its tag, once (an image already pushed
 * for the commit is reused). Promoting: the commit the promoted environment recorded last, each
 * image checked to be the digest it deployed. Then the migration (ECS), then the deploy (a reviewed
 * terraform apply of the stack, or the host's SSM deploy document), then, when other environments
 * promote this one, the release record. `--order [<environment>]` prints, as JSON for the workflow's
 * matrix, the environments released this way, each after the one it promotes. Works against the
 * local AWS with LOCAL_AWS_ENDPOINT. Exits 1 when a step fails, 2 on a usage error.
 */
import { ECRClient } from "@aws-sdk/client-ecr";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { EnvironmentConfig } from "../src/config/environment";
import { ConfigError } from "../src/config/errors";
import { repositoryName } from "../src/config/image-stacks";
import { loadEnvironments } from "../src/config/load";
import { clientConfig } from "./lib/aws-clients";
import { confirm, deployRelease, imageDigestOf, initialisedStack, releaseParameters, type StackTerraform } from "./lib/deploy-release";
import { run } from "./lib/process";
import { type ReleaseEffects, type ReleasePlan, runRelease, type StackSettings } from "./lib/release";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR } from "./lib/terraform";

const USAGE = `usage: npm run release -- <environment> [--commit <id>] [--source <dir>] [--yes]
       npm run release -- --order [<environment>] [--repository <owner/name>]

  environment  a definition whose delivery.via is github-actions
  --commit     the commit to release, all 40 characters. Required where the environment builds;
               where it promotes (delivery.promoteFrom), the release is what that environment
               recorded last, and --commit, if given, must be it
  --source     the source tree to build from, checked out at the commit (default: .); read
               only for images not yet pushed for the commit
  --yes        release without asking
  --order      the environments released through GitHub Actions, as JSON for release.yml's
               matrix, each after the one it promotes (only <environment>, if named; only
               those releasing commits of --repository, if given)

Builds each image once (docker build and push, tagged with the commit), runs the migration,
deploys through a reviewed terraform apply (on a single host, its SSM deploy document), and
records the release for the environments that promote it. Needs docker (when building), the
AWS CLI, jq and unzip; set TF_STATE_BUCKET as for a deploy.`;

interface Options {
  readonly stack?: string;
  readonly order: boolean;
  readonly repository?: string;
  readonly commit?: string;
  readonly source: string;
  readonly yes: boolean;
}

function parse(args: readonly string[]): Options | { exit: number; text: string } {
  const names: string[] = [];
  const values: Record<string, string> = {};
  let order = false;
  let yes = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") return { exit: 0, text: USAGE };
    if (arg === "--order") order = true;
    else if (arg === "--yes") yes = true;
    else if (arg === "--commit" || arg === "--source" || arg === "--repository") {
      const value = args[++i];
      if (!value) return { exit: 2, text: `${arg} needs a value\n\n${USAGE}` };
      values[arg.slice(2)] = value;
    } else if (arg.startsWith("-")) return { exit: 2, text: `unknown option ${arg}\n\n${USAGE}` };
    else names.push(arg);
  }
  if (names.length > 1 || (!order && names.length === 0)) return { exit: 2, text: USAGE };
  return {
    order,
    yes,
    source: values.source ?? ".",
    ...(names[0] ? { stack: names[0] } : {}),
    ...(values.commit ? { commit: values.commit } : {}),
    ...(values.repository ? { repository: values.repository } : {}),
  };
}

const releasedByGithub = (env: EnvironmentConfig) => env.delivery?.via === "github-actions";

/** The environments release.yml releases, each after the one it promotes, with what its job needs. */
function releaseOrder(environments: readonly EnvironmentConfig[]) {
  const ordered: EnvironmentConfig[] = [];
  const visit = (env: EnvironmentConfig) => {
    if (ordered.includes(env)) return;
    const from = environments.find((e) => e.name === env.delivery?.promotion?.from);
    if (from && releasedByGithub(from)) visit(from);
    ordered.push(env);
  };
  environments.filter(releasedByGithub).forEach(visit);
  return ordered.map((env) => ({
    environment: env.name,
    repository: env.delivery!.repository,
    builds: !env.delivery!.promotion,
    // Docker builds for the runner's own architecture.
    runner: env.architecture === "arm64" ? "ubuntu-24.04-arm" : "ubuntu-24.04",
  }));
}

function awsCliEnvironment(region: string): NodeJS.ProcessEnv {
  const endpoint = process.env.LOCAL_AWS_ENDPOINT;
  return {
    ...process.env,
    AWS_DEFAULT_REGION: region,
    ...(endpoint ? { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" } : {}),
  };
}

async function stackSettings(step: StackTerraform): Promise<StackSettings> {
  const outputs = JSON.parse(await step(["output", "-json"])) as Record<string, { value: unknown } | undefined>;
  const settings = (outputs.release_settings?.value ?? {}) as {
    account_id?: string;
    promotions_bucket?: string;
    migration?: Record<string, string>;
  };
  if (!settings.account_id) throw new Error("the stack has no output release_settings: apply it (with delivery.via github-actions) first");
  return {
    accountId: settings.account_id,
    repositoryUrls: (outputs.repository_urls?.value ?? {}) as Record<string, string>,
    ...(settings.promotions_bucket ? { promotionsBucket: settings.promotions_bucket } : {}),
    ...(settings.migration ? { migration: settings.migration } : {}),
  };
}

async function main(args: readonly string[]): Promise<number> {
  const options = parse(args);
  if ("exit" in options) {
    (options.exit === 0 ? console.log : console.error)(options.text);
    return options.exit;
  }
  const environments = loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR);
  const env = options.stack ? environments.find((e) => e.name === options.stack) : undefined;
  if (options.stack && !env) {
    console.error(`no environment named ${options.stack}; the environments are: ${environments.map((e) => e.name).join(", ")}`);
    return 2;
  }
  if (options.order) {
    const order = releaseOrder(environments).filter(
      (e) => (!env || e.environment === env.name) && (!options.repository || e.repository === options.repository),
    );
    if (env && order.length === 0) {
      console.error(`${env.name} is not released through GitHub Actions (delivery.via github-actions)`);
      return 2;
    }
    console.log(JSON.stringify(order));
    return 0;
  }
  if (!env?.delivery) {
    console.error(`${options.stack} has no delivery section: it runs its definition's tags; change them and deploy`);
    return 2;
  }
  if (!releasedByGithub(env)) {
    console.error(
      `${env.name} releases through its CodePipeline pipeline (${env.namePrefix}-release): push to ${env.delivery.branch}, or start it with aws codepipeline start-pipeline-execution --name ${env.namePrefix}-release`,
    );
    return 2;
  }
  const delivery = env.delivery;
  const from = delivery.promotion && environments.find((e) => e.name === delivery.promotion!.from)!;
  const plan: ReleasePlan = {
    environment: env.name,
    region: env.region,
    images: delivery.builds.map((b) => ({
      repository: b.repository,
      repositoryName: repositoryName(env.project, b.repository),
      context: b.context,
      dockerfile: b.dockerfile,
    })),
    ...(options.commit ? { commit: options.commit } : {}),
    ...(from ? { promoteFrom: { environment: from.name, namePrefix: from.namePrefix } } : {}),
    migrates: Boolean(env.migration) && !env.singleHost,
    recordsPromotion: delivery.promotedTo.length > 0,
  };
  console.log(
    `Release of ${env.name}: ${from ? `what ${from.name} released last` : `commit ${options.commit ?? "(none given)"}`}, images ${plan.images.map((i) => i.repositoryName).join(", ")}${plan.migrates ? ", migration first" : ""}${plan.recordsPromotion ? `, recorded for ${delivery.promotedTo.join(", ")}` : ""}.`,
  );
  if (!options.yes && !(await confirm("Release? (yes/no) "))) {
    console.error("not released (pass --yes where nobody can answer)");
    return 1;
  }

  const ssm = new SSMClient(clientConfig(env.region));
  const ecr = new ECRClient(clientConfig(env.region));
  const work = mkdtempSync(join(tmpdir(), `release-${env.name}-`));
  const source = resolve(options.source);
  const cliEnv = awsCliEnvironment(env.region);
  let step: StackTerraform | undefined;
  const stack = async () => (step ??= await initialisedStack(env.name));
  const effects: ReleaseEffects = {
    settings: async () => stackSettings(await stack()),
    digest: (repository, tag) => imageDigestOf(ecr, repository, tag),
    sourceCommit: async () => (await run("git", ["-C", source, "rev-parse", "HEAD"])).stdout.trim(),
    shell: async (what, commands, variables, where = "work") => {
      const result = await run("bash", ["-c", ["set -euo pipefail", ...commands].join("\n")], {
        cwd: where === "source" ? source : work,
        env: { ...cliEnv, ...variables },
      });
      if (result.code !== 0) throw new Error(`${what} failed:\n${`${result.stdout}${result.stderr}`.trim().slice(-3000)}`);
      return result.stdout.trim();
    },
    deploy: async (commit) => {
      const names = releaseParameters(env).map((p) => p.name);
      const previous = new Map(
        await Promise.all(
          names.map(async (name) => [name, (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value ?? ""] as const),
        ),
      );
      await deployRelease(env, ssm, await stack(), commit, (name) => previous.get(name)!, "release");
    },
    log: (line) => console.log(line),
  };
  const commit = await runRelease(plan, effects);
  console.log(`${env.name} runs release ${commit}.`);
  return 0;
}

main(process.argv.slice(2))
  .then((code) => (process.exitCode = code))
  .catch((error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
