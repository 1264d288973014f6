import { Testing } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveEnvironment, type EnvironmentConfig } from "../src/config/environment";
import type { EnvironmentInput } from "../src/config/schema";
import type { AppSettings } from "../src/config/settings";
import { EnvironmentStack } from "../src/stacks/environment-stack";
import { loadEnvironments } from "../src/config/load";

export const ENVIRONMENTS_DIR = join(__dirname, "..", "environments");
export const EXAMPLES_DIR = join(__dirname, "..", "examples");
/** Every stack the app writes: the bootstrap stack, the images stacks, the environments and the examples. */
export const ALL_STACKS = [
  "autoblog-ecs",
  "autoblog-host",
  "bluegreen",
  "bootstrap",
  "dev",
  "ex-images",
  "fastapi-host",
  "portfolio",
  "prod",
  "single-host",
  "staging",
  "webapp-images",
];
/** The environments' and examples' stacks: every stack but the bootstrap and images stacks. */
export const ENVIRONMENT_STACKS = ALL_STACKS.filter((s) => s !== "bootstrap" && !s.endsWith("-images"));

export const SETTINGS: AppSettings = { state: { bucket: "test-state-bucket", region: "us-east-1" } };
/** A synth for review only, as a fresh clone makes it: no state bucket yet, so nothing deployable. */
export const REVIEW_SETTINGS: AppSettings = { state: { region: "us-east-1" } };

/** A minimal valid definition, for tests that change one field at a time. */
export function validInput(): EnvironmentInput {
  return {
    project: "webapp",
    region: "us-east-1",
    network: { vpcCidr: "10.0.0.0/16", azCount: 2, natStrategy: "single" },
  };
}

/** Fixtures the tests share: small valid pieces to break one field at a time. */
export const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webapp/db-AbCdEf";
export const PARAMETER_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/webapp/api-key";

export function withServices(services: unknown[], extra: Partial<EnvironmentInput> = {}): EnvironmentInput {
  return { ...validInput(), ...extra, services } as EnvironmentInput;
}

export const api = {
  name: "api",
  role: "web",
  image: { tag: "1.2.3" },
  cpu: 256,
  memory: 512,
  port: 8000,
  routing: { paths: ["/api/*"], priority: 10 },
  secrets: { DATABASE_URL: SECRET_ARN, API_KEY: PARAMETER_ARN },
  environment: { LOG_LEVEL: "debug" },
  scaling: { min: 1, max: 4, requestsPerTarget: 500 },
};

export function withData(data: Partial<EnvironmentInput>, services: unknown[] = []): EnvironmentInput {
  return { ...validInput(), services, ...data } as EnvironmentInput;
}

export const worker = { name: "worker", role: "worker", image: { tag: "1" }, cpu: 256, memory: 512, connectsTo: ["database", "cache"] };
export const database = { instanceClass: "db.t4g.micro" };
export const cache = { nodeType: "cache.t4g.micro" };

export function withNetwork(network: Record<string, unknown>): EnvironmentInput {
  const input = validInput();
  return { ...input, network: { ...input.network, ...network } };
}

export function committedEnvironment(name: string): EnvironmentConfig {
  const env = loadEnvironments(ENVIRONMENTS_DIR).find((e) => e.name === name);
  if (!env) throw new Error(`no environment ${name}`);
  return env;
}

/** Synthesizes one environment's stack and returns its Terraform JSON as a string and parsed. */
export function synthEnvironment(env: EnvironmentConfig, settings: AppSettings = SETTINGS) {
  const app = Testing.app();
  const stack = new EnvironmentStack(app, env, settings);
  const json = Testing.synth(stack);
  return { json, parsed: JSON.parse(json) as TerraformJson };
}

/** Names the folder where global-setup.ts wrote every committed stack for this test run. */
export const SHARED_SYNTH_ENV = "COMMITTED_STACKS_DIR";

/** The folder holding `<stack>/cdk.tf.json` for every committed definition and the bootstrap stack. */
export function committedStacksDir(): string {
  const outdir = process.env[SHARED_SYNTH_ENV];
  if (!outdir) throw new Error(`${SHARED_SYNTH_ENV} is unset: run the tests through jest (global-setup.ts writes it)`);
  return join(outdir, "stacks");
}

/** A committed stack as the app wrote it, "//" metadata included (what checkov and the user see). */
export function committedStackFile(name: string): TerraformJson {
  return JSON.parse(readFileSync(join(committedStacksDir(), name, "cdk.tf.json"), "utf8")) as TerraformJson;
}

/** Without cdktf's "//" metadata: what Testing.synth returns. */
function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "//")
      .map(([key, item]) => [key, withoutMetadata(item)]),
  );
}

/**
 * A committed stack from this run's shared synth, in the form `synthEnvironment` returns
 * (REVIEW_SETTINGS, no metadata), so suites need not synthesize it again.
 */
export function committedStack(name: string) {
  const json = JSON.stringify(withoutMetadata(committedStackFile(name)), null, 2);
  return { json, parsed: JSON.parse(json) as TerraformJson };
}

export function synthInput(name: string, input: EnvironmentInput, settings?: AppSettings) {
  return synthEnvironment(resolveEnvironment(name, input), settings);
}

export interface TerraformJson {
  terraform: { backend: Record<string, Record<string, unknown>>; required_version?: string };
  provider: { aws: Record<string, unknown>[] };
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown }>;
}

/** The resources of one type, by logical name. */
export function resourcesOf(tf: TerraformJson, type: string): Record<string, unknown>[] {
  return Object.values(tf.resource[type] ?? {});
}

export type Resource = Record<string, unknown>;
export type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};

/** Logical names start with the construct path below the stack, its parts joined by "_". */
export function named(fragment: string): (name: string) => boolean {
  const prefix = `${fragment.replace(/\//g, "_")}_`;
  return (name) => name.startsWith(prefix);
}

/** The one resource of `type` at construct path `fragment`. */
export function byPath(tf: TerraformJson, type: string, fragment: string): Resource {
  const found = Object.entries(tf.resource[type] ?? {}).filter(([name]) => named(fragment)(name));
  if (found.length !== 1) throw new Error(`${found.length} ${type} at ${fragment}`);
  return found[0][1];
}

/** `<type>.<name>.<attribute>` of the one resource of `type` at construct path `fragment`, a bare reference (replace_triggered_by). */
export function bareRef(tf: TerraformJson, type: string, fragment: string, attribute = "id"): string {
  const name = Object.keys(tf.resource[type] ?? {}).find(named(fragment));
  if (!name) throw new Error(`no ${type} at ${fragment}`);
  return `${type}.${name}.${attribute}`;
}

export function ref(tf: TerraformJson, type: string, fragment: string, attribute = "id"): string {
  return `\${${bareRef(tf, type, fragment, attribute)}}`;
}

/** `${data.<type>.<name>.<attribute>}` of the one data source of `type` at construct path `fragment`. */
export function dataRef(tf: TerraformJson, type: string, fragment: string, attribute: string): string {
  const name = Object.keys(tf.data?.[type] ?? {}).find(named(fragment));
  if (!name) throw new Error(`no data.${type} at ${fragment}`);
  return `\${data.${type}.${name}.${attribute}}`;
}

/** The one data source of `type` at construct path `fragment`. */
export function byDataPath(tf: TerraformJson, type: string, fragment: string): Record<string, unknown> {
  const found = Object.entries(tf.data?.[type] ?? {}).filter(([name]) => named(fragment)(name));
  if (found.length !== 1) throw new Error(`${found.length} data.${type} at ${fragment}`);
  return found[0][1] as Record<string, unknown>;
}

/** The data sources of one type, by logical name. */
export function dataOf(tf: TerraformJson, type: string): Record<string, unknown>[] {
  return Object.values(tf.data?.[type] ?? {});
}

export function statementsOf(policy: Resource): Statement[] {
  return JSON.parse(policy.policy as string).Statement;
}

export function containerOf(tf: TerraformJson, service: string) {
  return JSON.parse(byPath(tf, "aws_ecs_task_definition", `service-${service}/task`).container_definitions as string)[0];
}

/** A CodePipeline action and stage as synthesized (snake_case keys). */
export interface PipelineAction {
  name: string;
  category: string;
  provider: string;
  run_order?: number;
  input_artifacts?: string[];
  output_artifacts?: string[];
  configuration?: Record<string, string>;
}
export interface PipelineStage {
  name: string;
  action: PipelineAction[];
}

/** The stages of an environment's release pipeline. */
export function pipelineStages(tf: TerraformJson): PipelineStage[] {
  return byPath(tf, "aws_codepipeline", "delivery/pipeline").stage as PipelineStage[];
}

export function pipelineStage(tf: TerraformJson, name: string): PipelineStage {
  const stage = pipelineStages(tf).find((s) => s.name === name);
  if (!stage) throw new Error(`no pipeline stage ${name}`);
  return stage;
}

/** A policy's Action or Resource, one string or several, as a list. */
export const asList = (value: string | string[] | undefined): string[] => ([] as string[]).concat(value ?? []);

/**
 * How long the ARN before a resource's name can be, with the longest Region name (14
 * characters): exact for the types whose ARNs the policies list by the dozen, 90 otherwise.
 */
const ARN_BEFORE_NAME: Record<string, number> = {
  aws_iam_role: "arn:aws:iam::123456789012:role/".length,
  aws_codebuild_project: "arn:aws:codebuild:ap-southeast-2:123456789012:project/".length,
  // An ECS service's id is its ARN, with the cluster's name (at most 20 characters here) before its own.
  aws_ecs_service: "arn:aws:ecs:ap-southeast-2:123456789012:service/".length + 21,
};

/**
 * A synthesized string with each Terraform reference replaced by text at least as long as what
 * AWS will put there: an account id, a resource's own name, and an ARN for an `arn` or `id`
 * (ARN_BEFORE_NAME beside the name; 110 characters without one). IAM and ECS count the applied
 * text, not the references.
 */
export function appliedText(text: string, tf: TerraformJson): string {
  return text.replace(/\$\{([^}]+)\}/g, (_, expression: string) => {
    const [first, ...rest] = expression.split(".");
    if (first === "data") return rest[0] === "aws_caller_identity" ? "123456789012" : "x".repeat(110);
    const [id, attribute] = rest;
    const name = tf.resource[first]?.[id]?.name;
    if (typeof name !== "string") return "x".repeat(110);
    const applied = appliedText(name, tf);
    return attribute === "name" ? applied : "x".repeat(ARN_BEFORE_NAME[first] ?? 90) + applied;
  });
}

/** Characters of each role's inline policies as IAM counts them (applied, without whitespace), by role reference. */
export function inlinePolicyCharacters(tf: TerraformJson): Map<string, number> {
  const byRole = new Map<string, number>();
  for (const policy of resourcesOf(tf, "aws_iam_role_policy")) {
    const characters = appliedText(String(policy.policy), tf).replace(/\s/g, "").length;
    byRole.set(String(policy.role), (byRole.get(String(policy.role)) ?? 0) + characters);
  }
  return byRole;
}

/** IAM's limit on one role's inline policies together. */
export const MAX_ROLE_POLICY_CHARACTERS = 10240;
