/**
 * Independent validators of what the stacks ship, each pinned and installed on first use into
 * .local/ (a warm run costs seconds): tflint with the AWS ruleset, built from the Go module proxy;
 * cloud-init's own schema check, from Debian's package; the Compose specification's JSON schema,
 * from the compose-go module the host's docker compose is built with; Caddy, the version the host
 * runs, built from the module proxy; cfn-lint for the SSM documents, from the local AWS's venv.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMPOSE_PLUGIN } from "../../src/constructs/docker-host";
import { PROXY_IMAGE } from "../../src/host/compose";
import { ensureVenv, VENV_PYTHON } from "./local-aws";
import { run, type RunResult } from "./process";
import { readStack, ROOT } from "./terraform";
import { hostFiles } from "./user-data";

export const TFLINT_VERSION = "0.64.0";
/** The newest the Go module proxy serves; `go install` of it fails on the proxy's version list, `go build` in the module works. */
export const TFLINT_AWS_VERSION = "0.36.0";
/** The Caddy the host's reverse proxy runs (its image tag, `caddy:<version>-alpine`). */
export const CADDY_VERSION = PROXY_IMAGE.replace(/^caddy:/, "").replace(/-alpine$/, "");

const BIN = join(ROOT, ".local", "bin");
const TFLINT_PLUGINS = join(ROOT, ".local", "tflint-plugins");
const TFLINT_CONFIG = join(ROOT, "lint", "tflint.hcl");

/** One validator's verdict on what it read. */
export interface Verdict {
  readonly validator: string;
  readonly target: string;
  /** Empty when the verdict is the expected one. */
  readonly problems: string;
  readonly seconds: number;
  /** What the expected verdict reads as: `valid`, or `refused` for a canary. */
  readonly expected?: "refused";
}

function verdict(validator: string, target: string, result: RunResult): Verdict {
  const problems = result.code === 0 ? "" : (result.stdout + result.stderr).trim() || `exit ${result.code}`;
  return { validator, target, problems, seconds: result.seconds };
}

async function must(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stderr || result.stdout}`);
  return result.stdout;
}

/** A Go module's folder in the module cache, downloaded if needed. */
async function goModule(path: string, version: string): Promise<{ Dir: string; GoMod: string }> {
  return JSON.parse(await must("go", ["mod", "download", "-json", `${path}@${version}`], { cwd: tmpdir() })) as {
    Dir: string;
    GoMod: string;
  };
}

/** A binary in .local/bin built from `module` at `version` (as `go version -m` reads it), else installed with `go install`. */
async function goBinary(name: string, module: string, pkg: string, version: string, log: (line: string) => void): Promise<string> {
  const binary = join(BIN, name);
  if (existsSync(binary) && (await run("go", ["version", "-m", binary])).stdout.includes(`\tmod\t${module}\tv${version}\t`)) return binary;
  log(`installing ${name} ${version} into ${BIN} (go install; minutes on a new machine)`);
  await must("go", ["install", `${module}${pkg}@v${version}`], { cwd: tmpdir(), env: { ...process.env, GOBIN: BIN } });
  return binary;
}

/** tflint and its AWS ruleset. */
export async function ensureTflint(log: (line: string) => void): Promise<string> {
  const tflint = await goBinary("tflint", "github.com/terraform-linters/tflint", "", TFLINT_VERSION, log);
  const plugin = join(TFLINT_PLUGINS, "tflint-ruleset-aws");
  const stamp = join(TFLINT_PLUGINS, ".version");
  if (!existsSync(plugin) || !existsSync(stamp) || readFileSync(stamp, "utf8") !== TFLINT_AWS_VERSION) {
    log(`building tflint-ruleset-aws ${TFLINT_AWS_VERSION} into ${TFLINT_PLUGINS} (go build; minutes on a new machine)`);
    const module = await goModule("github.com/terraform-linters/tflint-ruleset-aws", `v${TFLINT_AWS_VERSION}`);
    mkdirSync(TFLINT_PLUGINS, { recursive: true });
    await must("go", ["build", "-o", plugin, "."], { cwd: module.Dir });
    writeFileSync(stamp, TFLINT_AWS_VERSION);
  }
  return tflint;
}

/** cloud-init from Debian's package (it is not on PyPI); the hosts' Amazon Linux 2023 runs cloud-init 22.x as Debian 12 packages it. */
export async function ensureCloudInit(log: (line: string) => void): Promise<string> {
  if ((await run("sh", ["-c", "command -v cloud-init"])).code === 0) return "cloud-init";
  log("installing cloud-init from Debian's packages (apt-get)");
  // CI runners that are not root (GitHub's) have passwordless sudo.
  const [command, ...prefix] = process.getuid?.() === 0 ? ["env"] : ["sudo", "env"];
  const aptGet = (args: string[]) => must(command, [...prefix, "DEBIAN_FRONTEND=noninteractive", "apt-get", ...args]);
  await aptGet(["update", "-qq"]);
  await aptGet(["install", "-y", "-qq", "--no-install-recommends", "cloud-init"]);
  return "cloud-init";
}

/** The Compose specification's schema of the compose-go that the host's docker compose (COMPOSE_PLUGIN) requires. */
export async function composeSchema(): Promise<{ path: string; version: string }> {
  const compose = await goModule("github.com/docker/compose/v2", `v${COMPOSE_PLUGIN.version}`);
  const version = /github\.com\/compose-spec\/compose-go\/v2 (v[\w.-]+)/.exec(readFileSync(compose.GoMod, "utf8"))?.[1];
  if (!version) throw new Error(`docker compose ${COMPOSE_PLUGIN.version}'s go.mod names no compose-go`);
  const composeGo = await goModule("github.com/compose-spec/compose-go/v2", version);
  return { path: join(composeGo.Dir, "schema", "compose-spec.json"), version };
}

export async function ensureCaddy(log: (line: string) => void): Promise<string> {
  return goBinary("caddy", "github.com/caddyserver/caddy/v2", "/cmd/caddy", CADDY_VERSION, log);
}

/** tflint with the AWS ruleset over every stack in `stacksDir`. */
export async function runTflint(tflint: string, stacksDir: string, stacks: readonly string[]): Promise<Verdict> {
  const result = await run(tflint, ["--recursive", `--chdir=${stacksDir}`, `--config=${TFLINT_CONFIG}`, "--format=compact"], {
    env: { ...process.env, TFLINT_PLUGIN_DIR: TFLINT_PLUGINS },
  });
  return verdict(`tflint ${TFLINT_VERSION}, AWS ruleset ${TFLINT_AWS_VERSION}`, `${stacks.length} stacks`, result);
}

/**
 * Each EC2 instance's user data and the files it writes, from the synthesized stacks that have
 * one: single hosts, and NAT instances (`nat`: no source/destination check; they run no containers).
 */
export function hostsOf(
  stacksDir: string,
  stacks: readonly string[],
): { stack: string; userData: string; files: Record<string, string>; nat: boolean }[] {
  return stacks.flatMap((stack) =>
    Object.values(readStack(join(stacksDir, stack)).resource.aws_instance ?? {}).map((instance) => {
      const userData = String(instance.user_data);
      return { stack, userData, files: hostFiles(userData), nat: instance.source_dest_check === false };
    }),
  );
}

/** Writes `content` to a scratch file, runs `check` on its path, and removes it. */
async function withFile<T>(name: string, content: string, check: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "validate-"));
  try {
    const path = join(dir, name);
    writeFileSync(path, content);
    return await check(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runCloudInit(cloudInit: string, stack: string, userData: string): Promise<Verdict> {
  const result = await withFile("user-data", userData, (path) => run(cloudInit, ["schema", "--config-file", path]));
  return verdict("cloud-init schema", stack, result);
}

export async function runComposeSchema(schema: { path: string; version: string }, stack: string, compose: string): Promise<Verdict> {
  await ensureVenv(() => undefined);
  const result = await withFile("compose.json", compose, (path) =>
    run(VENV_PYTHON, [join(ROOT, "lint", "compose_schema.py"), schema.path, path]),
  );
  return verdict(`Compose schema (compose-go ${schema.version})`, stack, result);
}

export async function runCaddy(caddy: string, stack: string, caddyfile: string): Promise<Verdict> {
  const result = await withFile("Caddyfile", caddyfile, (path) =>
    run(caddy, ["validate", "--config", path, "--adapter", "caddyfile"], { env: { ...process.env, XDG_DATA_HOME: tmpdir() } }),
  );
  return verdict(`caddy ${CADDY_VERSION} validate`, stack, result);
}

/** cfn-lint on every SSM document of the stacks, as AWS::SSM::Document resources. */
export async function runSsmDocuments(
  stacksDir: string,
  stacks: readonly string[],
  extra: Record<string, Record<string, unknown>> = {},
): Promise<Verdict | undefined> {
  const documents = {
    ...Object.fromEntries(
      stacks.flatMap((stack) =>
        Object.entries(readStack(join(stacksDir, stack)).resource.aws_ssm_document ?? {}).map(([key, doc]) => [`${stack}-${key}`, doc]),
      ),
    ),
    ...extra,
  };
  const count = Object.keys(documents).length;
  if (count === 0) return undefined;
  await ensureVenv(() => undefined);
  const result = await withFile("documents.json", JSON.stringify(documents), (path) =>
    run(VENV_PYTHON, [join(ROOT, "lint", "ssm_documents.py"), path]),
  );
  return verdict("cfn-lint (SSM documents)", `${count} documents`, result);
}

/**
 * Broken inputs each validator must refuse: a validator that passes its canary checks nothing
 * (a tool that did not load its rules, a schema that lost its draft), and the run fails.
 */
export async function runCanaries(tools: {
  tflint: string;
  cloudInit: string;
  schema: { path: string; version: string };
  caddy: string;
}): Promise<Verdict[]> {
  const dir = mkdtempSync(join(tmpdir(), "validate-canary-"));
  try {
    const stack = join(dir, "stacks", "canary");
    mkdirSync(stack, { recursive: true });
    const instance = { ami: "ami-12345678", instance_type: "t3.bogus" };
    writeFileSync(join(stack, "cdk.tf.json"), JSON.stringify({ resource: { aws_instance: { canary: instance } } }));
    // Each canary must be refused for the planted fault, not for a crash or a missing rule set.
    const canaries: [Verdict, string][] = [
      [await runTflint(tools.tflint, join(dir, "stacks"), ["canary"]), "aws_instance_invalid_type"],
      [
        await runCloudInit(
          tools.cloudInit,
          "canary",
          `#cloud-config\n${JSON.stringify({ write_files: [{ path: "/x", encoding: "bogus", content: "x" }] })}\n`,
        ),
        "bogus",
      ],
      [await runComposeSchema(tools.schema, "canary", JSON.stringify({ services: { app: { image: "app", bogus_key: 1 } } })), "bogus_key"],
      [await runCaddy(tools.caddy, "canary", ":80 {\n\tbogus_directive\n}\n"), "unrecognized directive: bogus_directive"],
      [
        (await runSsmDocuments(join(dir, "ssm"), [], {
          canary: { name: "canary", document_type: "Bogus", document_format: "JSON", content: JSON.stringify({ schemaVersion: "2.2" }) },
        }))!,
        "'Bogus' is not one of",
      ],
    ];
    return canaries.map(([c, fault]) => ({
      validator: c.validator,
      target: "a broken canary",
      problems: c.problems.includes(fault) ? "" : `did not refuse the planted fault (${fault}):\n${c.problems || "it passed"}`,
      seconds: c.seconds,
      expected: "refused" as const,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
