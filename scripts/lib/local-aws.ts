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

export interface LocalAwsOptions {
  /**
   * Share (0 to 1) of AWS API calls answered with a retryable throttling or 503 error before they
   * reach the emulator (local-aws/patches.py `_inject_faults`); absent: `LOCAL_AWS_FAULT_RATE`
   * from this process's environment, else none. `setFaultRate` changes it while running.
   */
  readonly faultRate?: number;
  /** Seeds which calls are faulted, so a run's faults can be repeated (sequential calls draw in order). */
  readonly faultSeed?: number;
}

/** Starts the patched moto server on a free loopback port; it also stops if this process dies. */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.faultRate !== undefined) env.LOCAL_AWS_FAULT_RATE = String(checkedFaultRate(options.faultRate));
  if (options.faultSeed !== undefined) env.LOCAL_AWS_FAULT_SEED = String(checkedSeed(options.faultSeed));
  await ensureVenv();
  const child = spawn(VENV_PYTHON, [join(LOCAL_AWS_DIR, "server.py"), "--port", "0"], {
    cwd: LOCAL_AWS_DIR,
    env,
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

function checkedFaultRate(rate: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`fault rate ${rate} is not between 0 and 1`);
  return rate;
}

function checkedSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new Error(`fault seed ${seed} is not a whole number`);
  return seed;
}

/** What the emulator's fault switch reports: its rate and seed, and per signing service (`ec2`, `s3`, `monitoring`…) the faults injected and the AWS API requests seen since it started. */
export interface FaultCounts {
  readonly rate: number;
  readonly seed: number;
  readonly injected: Readonly<Record<string, number>>;
  readonly requests: Readonly<Record<string, number>>;
}

async function faultSwitch(endpoint: string, method: "GET" | "POST", query = ""): Promise<FaultCounts> {
  const response = await fetch(`${endpoint}/_local-aws/faults${query}`, { method });
  const body = (await response.json()) as FaultCounts & { error?: string };
  if (!response.ok) throw new Error(`local AWS fault switch: ${body.error ?? response.status}`);
  return body;
}

/**
 * Sets the share (0 to 1) of AWS API calls the running emulator answers with a retryable error
 * (0: none), and reseeds its draws when `seed` is given; counts carry on (`faultCounts`).
 */
export async function setFaultRate(endpoint: string, rate: number, seed?: number): Promise<void> {
  await faultSwitch(endpoint, "POST", `?rate=${checkedFaultRate(rate)}${seed === undefined ? "" : `&seed=${checkedSeed(seed)}`}`);
}

/** The emulator's fault rate and, per service, the faults it injected and the requests it saw so far. */
export async function faultCounts(endpoint: string): Promise<FaultCounts> {
  return faultSwitch(endpoint, "GET");
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

/** Writes `value` to each SSM parameter of the local AWS, as the pipeline records a release. */
export async function putParameters(endpoint: string, names: readonly string[], value: string): Promise<void> {
  await callLocalAws(
    endpoint,
    "ssm",
    "for name in args[1:]: client.put_parameter(Name=name, Value=args[0], Type='String', Overwrite=True)",
    [value, ...names],
    `recording ${value} in ${names.join(", ")}`,
  );
}

/** The digest of the image an ECR repository of the local AWS holds under `tag`. */
export async function imageDigest(endpoint: string, repository: string, tag: string): Promise<string> {
  return (
    await callLocalAws(
      endpoint,
      "ecr",
      "print(client.describe_images(repositoryName=args[0], imageIds=[{'imageTag': args[1]}])['imageDetails'][0]['imageDigest'])",
      [repository, tag],
      `reading the digest of ${repository}:${tag}`,
    )
  ).trim();
}

/** The container images every service of an ECS cluster in the local AWS runs (its task definition's). */
export async function serviceImages(endpoint: string, cluster: string): Promise<string[]> {
  const out = await callLocalAws(
    endpoint,
    "ecs",
    [
      "import json",
      "arns = client.list_services(cluster=args[0])['serviceArns']",
      "services = client.describe_services(cluster=args[0], services=arns)['services'] if arns else []",
      "images = [c['image'] for s in services for c in client.describe_task_definition(taskDefinition=s['taskDefinition'])['taskDefinition']['containerDefinitions']]",
      "print(json.dumps(images))",
    ].join("\n"),
    [cluster],
    `reading the images of cluster ${cluster}`,
  );
  return JSON.parse(out) as string[];
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
    // One layer named after the tag: moto derives the digest from the layers, so each pushed tag is an image of its own.
    layers: [
      {
        mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
        size: tag.length,
        digest: `sha256:${createHash("sha256").update(`${repository}:${tag}`).digest("hex")}`,
      },
    ],
  });
  await callLocalAws(
    endpoint,
    "ecr",
    "client.put_image(repositoryName=args[0], imageTag=args[1], imageManifest=args[2])",
    [repository, tag, manifest],
    `pushing ${repository}:${tag}`,
  );
}
