import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { run } from "./process";
import { ensurePythonVenv } from "./python-venv";
import { ROOT } from "./terraform";

const LOCAL_AWS_DIR = join(ROOT, "local-aws");
export const VENV_PYTHON = join(ROOT, ".local", "moto-venv", "bin", "python");

/** Creates (or refreshes, when requirements.txt changed) the virtualenv that runs moto. */
export async function ensureVenv(log: (line: string) => void = console.log): Promise<void> {
  await ensurePythonVenv("moto-venv", join(LOCAL_AWS_DIR, "requirements.txt"), log);
}

/** An image tag containing this stands for tasks that never become healthy (local-aws/patches.py). */
export const UNHEALTHY_IMAGE_MARKER = "e2e-unhealthy";

export interface LocalAws {
  readonly endpoint: string;
  /** Operations whose requests the strict check could not read against their model (local-aws/patches.py `_strict_requests`), as `service Operation: reason`. */
  readonly unchecked: ReadonlySet<string>;
  stop(): Promise<void>;
}

/** Starts the patched moto server on a free loopback port; it also stops if this process dies. */
export async function startLocalAws(): Promise<LocalAws> {
  await ensureVenv();
  const child = spawn(VENV_PYTHON, [join(LOCAL_AWS_DIR, "server.py"), "--port", "0"], {
    cwd: LOCAL_AWS_DIR,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const unchecked = new Set<string>();
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local AWS did not start within 60 s:\n${stderr}`)), 60_000);
    child.on("exit", (code) => reject(new Error(`local AWS exited with ${code}:\n${stderr}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith("strict: unchecked ")) unchecked.add(line.slice("strict: unchecked ".length));
      const match = /^listening on (\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  const kill = () => child.kill("SIGTERM");
  process.on("exit", kill);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    unchecked,
    stop: () =>
      new Promise((resolve) => {
        process.off("exit", kill);
        if (child.exitCode !== null) return resolve();
        child.on("exit", () => resolve());
        child.stdin.end();
        kill();
      }),
  };
}

/**
 * Runs `call` (a Python expression over `client` and `args`) with a boto3 client of `service`
 * pointed at the local AWS, and returns what it writes.
 */
async function callLocalAws(endpoint: string, service: string, call: string, args: readonly string[], what: string): Promise<string> {
  const script = [
    "import boto3, sys",
    "client = boto3.client(sys.argv[2], endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')",
    "args = sys.argv[3:]",
    call,
  ].join("\n");
  const result = await run(VENV_PYTHON, ["-c", script, endpoint, service, ...args]);
  if (result.code !== 0) throw new Error(`${what} failed:\n${result.stderr}`);
  return result.stdout;
}

/**
 * Creates a public Route53 zone in the local AWS. Stacks look their zone up rather than own it
 * (a domain's zone outlives any environment), so the emulator needs it made first, as AWS would.
 */
export async function createHostedZone(endpoint: string, zoneName: string): Promise<void> {
  await callLocalAws(
    endpoint,
    "route53",
    "client.create_hosted_zone(Name=args[0], CallerReference=args[0])",
    [zoneName],
    `creating hosted zone ${zoneName}`,
  );
}

/** The current value of a Secrets Manager secret in the local AWS. */
export async function readSecretValue(endpoint: string, secretArn: string): Promise<string> {
  return callLocalAws(
    endpoint,
    "secretsmanager",
    "sys.stdout.write(client.get_secret_value(SecretId=args[0])['SecretString'])",
    [secretArn],
    `reading secret ${secretArn}`,
  );
}

/**
 * Pushes an image manifest under `tag` to an ECR repository of the local AWS, through the ECR API
 * (`PutImage`), as `docker push` would: no Docker daemon is needed, and nothing runs it.
 */
export async function pushImage(endpoint: string, repository: string, tag: string): Promise<void> {
  const config = "{}";
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: {
      mediaType: "application/vnd.docker.container.image.v1+json",
      size: config.length,
      digest: `sha256:${createHash("sha256").update(config).digest("hex")}`,
    },
    layers: [],
  });
  await callLocalAws(
    endpoint,
    "ecr",
    "client.put_image(repositoryName=args[0], imageTag=args[1], imageManifest=args[2])",
    [repository, tag, manifest],
    `pushing ${repository}:${tag}`,
  );
}
