/**
 * The steps that put an environment on a release, shared by `npm run release` and `npm run
 * rollback`: its release parameters, a reviewed terraform apply of its stack on ECS, or its SSM
 * deploy document on a single host. Against the local AWS with LOCAL_AWS_ENDPOINT.
 */
import type { ECRClient } from "@aws-sdk/client-ecr";
import { DescribeImagesCommand } from "@aws-sdk/client-ecr";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { GetCommandInvocationCommand, GetParameterHistoryCommand, PutParameterCommand, SendCommandCommand } from "@aws-sdk/client-ssm";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import type { EnvironmentConfig } from "../../src/config/environment";
import type { ParameterVersion } from "./rollback";
import { describeChanges, describeGuard, review, type ReviewPlan } from "./review";
import { OUT_DIR, synthAll, terraform, terraformEnv } from "./terraform";

const PLAN_FILE = "release.tfplan";

/** Runs terraform in a stack's folder; throws with its output's tail when it fails. */
export type StackTerraform = (args: string[]) => Promise<string>;

/** The environment's stack, freshly synthesized and initialised; returns a runner of terraform in it. */
export async function initialisedStack(stack: string): Promise<StackTerraform> {
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

/** ECS: the stack planned with the parameters as they are now, refused if the destructive-plan guard refuses it, and applied exactly as planned. */
export async function applyReviewedPlan(step: StackTerraform): Promise<void> {
  await step(["plan", "-input=false", `-out=${PLAN_FILE}`]);
  const { changes, refused } = review(JSON.parse(await step(["show", "-json", PLAN_FILE])) as ReviewPlan, []);
  for (const line of describeChanges(changes)) console.log(line);
  if (refused.length > 0) {
    for (const line of describeGuard(refused, [])) console.log(line);
    throw new Error("the plan would delete or replace stateful resources; nothing was applied");
  }
  await step(["apply", "-input=false", PLAN_FILE]);
}

/** A single host: the stack's deploy document with the commit, as the pipeline's release step runs it, waited for. */
export async function deployOnHost(
  step: StackTerraform,
  env: EnvironmentConfig,
  ssm: SSMClient,
  commit: string,
  why: string,
): Promise<void> {
  const instance = (await step(["output", "-raw", "host_instance_id"])).trim();
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: `${env.namePrefix}-deploy`,
      InstanceIds: [instance],
      Parameters: { Release: [commit] },
      Comment: `${why} ${commit}`,
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

/** The release parameters of an environment's delivered images: `/<prefix>/release/<repository>`. */
export function releaseParameters(env: EnvironmentConfig): { repository: string; name: string }[] {
  return (env.delivery?.builds ?? []).map((b) => ({ repository: b.repository, name: `/${env.namePrefix}/release/${b.repository}` }));
}

export async function writeParameters(ssm: SSMClient, names: readonly string[], value: (name: string) => string): Promise<void> {
  await Promise.all(
    names.map((name) => ssm.send(new PutParameterCommand({ Name: name, Value: value(name), Type: "String", Overwrite: true }))),
  );
}

/**
 * Puts the environment on `commit`: on ECS the parameters first, then the reviewed apply (which
 * waits for the services), and the parameters back on `previous` if that fails; on a single host
 * the deploy document first (it puts the previous release back itself if it fails), then the parameters.
 */
export async function deployRelease(
  env: EnvironmentConfig,
  ssm: SSMClient,
  step: StackTerraform,
  commit: string,
  previous: (name: string) => string,
  why: string,
): Promise<void> {
  const names = releaseParameters(env).map((p) => p.name);
  if (env.singleHost) {
    await deployOnHost(step, env, ssm, commit, why);
    await writeParameters(ssm, names, () => commit);
    return;
  }
  await writeParameters(ssm, names, () => commit);
  try {
    await applyReviewedPlan(step);
  } catch (error) {
    await writeParameters(ssm, names, previous);
    throw new Error(`${(error as Error).message}\nthe release parameters are back on the release before`);
  }
}

export async function parameterVersions(ssm: SSMClient, name: string): Promise<ParameterVersion[]> {
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

/** The digest the repository holds under the tag, or undefined when it holds no such image. */
export async function imageDigestOf(ecr: ECRClient, repository: string, tag: string): Promise<string | undefined> {
  try {
    const found = await ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }));
    return found.imageDetails?.[0]?.imageDigest;
  } catch (error) {
    if ((error as { name?: string }).name === "ImageNotFoundException") return undefined;
    throw error;
  }
}

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question(question);
  prompt.close();
  return /^y(es)?$/i.test(answer.trim());
}
