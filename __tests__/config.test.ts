import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../src/app";
import { resolveEnvironment } from "../src/config/environment";
import { ConfigError } from "../src/config/errors";
import { loadEnvironments } from "../src/config/load";
import { readSettings } from "../src/config/settings";
import { ENVIRONMENTS_DIR, validInput } from "./helpers";

/** Runs `fn` and returns the ConfigError it throws (failing the test if it throws nothing else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, got none");
}

function withNetwork(network: Record<string, unknown>) {
  const input = validInput();
  return { ...input, network: { ...input.network, ...network } };
}

describe("committed environments", () => {
  it("all validate, with the NAT strategy and AZ count each promises", () => {
    const envs = loadEnvironments(ENVIRONMENTS_DIR);
    expect(envs.map((e) => e.name)).toEqual(["dev", "prod", "staging"]);
    const byName = Object.fromEntries(envs.map((e) => [e.name, e]));
    expect(byName.dev.network.natStrategy).toBe("single");
    expect(byName.staging.network.natStrategy).toBe("perAz");
    expect(byName.prod.network.natStrategy).toBe("perAz");
    expect(byName.prod.network.availabilityZones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
  });

  it("derives subnet CIDRs from the VPC CIDR", () => {
    const env = resolveEnvironment("dev", validInput());
    expect(env.network.subnets.private.map((s) => s.cidrBlock)).toEqual(["10.0.0.0/19", "10.0.32.0/19"]);
    expect(env.network.subnets.public.map((s) => s.cidrBlock)).toEqual(["10.0.64.0/21", "10.0.72.0/21"]);
    expect(env.network.subnets.isolated.map((s) => s.cidrBlock)).toEqual(["10.0.80.0/21", "10.0.88.0/21"]);
  });
});

describe("bad definitions fail with the environment, the field and what is allowed", () => {
  const cases: [string, string, unknown, string][] = [
    [
      "malformed CIDR",
      "dev",
      withNetwork({ vpcCidr: "10.0.0/16" }),
      'environment "dev": network.vpcCidr: "10.0.0/16" is not an IPv4 CIDR block',
    ],
    [
      "CIDR with host bits",
      "dev",
      withNetwork({ vpcCidr: "10.0.1.0/16" }),
      'environment "dev": network.vpcCidr: "10.0.1.0/16" has host bits set',
    ],
    [
      "CIDR octet out of range",
      "dev",
      withNetwork({ vpcCidr: "10.300.0.0/16" }),
      'environment "dev": network.vpcCidr: "10.300.0.0/16" has an octet above 255',
    ],
    [
      "VPC larger than /16",
      "dev",
      withNetwork({ vpcCidr: "10.0.0.0/8" }),
      'environment "dev": network.vpcCidr: a VPC CIDR must have a prefix length from /16 to /24',
    ],
    [
      "VPC smaller than /24",
      "dev",
      withNetwork({ vpcCidr: "10.0.0.0/26" }),
      'environment "dev": network.vpcCidr: a VPC CIDR must have a prefix length from /16 to /24',
    ],
    [
      "subnets that overlap the VPC's end",
      "dev",
      withNetwork({ vpcCidr: "10.0.0.0/24", azCount: 4, subnetBits: { public: 2, private: 2, isolated: 2 } }),
      'environment "dev": network.vpcCidr: the subnets need 768 addresses but 10.0.0.0/24 holds 256',
    ],
    [
      "subnets below /28",
      "dev",
      withNetwork({ vpcCidr: "10.0.0.0/24", subnetBits: { public: 5, private: 3, isolated: 5 } }),
      'environment "dev": network.subnetBits: subnets of 10.0.0.0/24 would be smaller than /28',
    ],
    ["azCount below 2", "dev", withNetwork({ azCount: 1 }), 'environment "dev": network.azCount: must be at least 2'],
    [
      "azCount above the region's",
      "dev",
      { ...withNetwork({ azCount: 4 }), region: "eu-west-1" },
      'environment "dev": network.azCount: eu-west-1 offers 3 availability zones; asked for 4',
    ],
    ["azCount not an integer", "dev", withNetwork({ azCount: 2.5 }), 'environment "dev": network.azCount: Invalid input: expected int'],
    [
      "azCount of the wrong type",
      "dev",
      withNetwork({ azCount: "2" }),
      'environment "dev": network.azCount: Invalid input: expected number, received string',
    ],
    [
      "unknown NAT strategy",
      "dev",
      withNetwork({ natStrategy: "perSubnet" }),
      'environment "dev": network.natStrategy: must be one of: single, perAz',
    ],
    [
      "unknown region",
      "dev",
      { ...validInput(), region: "mars-north-1" },
      'environment "dev": region: must be one of the supported regions: us-east-1',
    ],
    [
      "names over AWS limits",
      "dev",
      { ...validInput(), project: "a-very-long-product-name" },
      'environment "dev": project: "a-very-long-product-name-dev" (project-environment) is 28 characters; at most 20',
    ],
    [
      "project with invalid characters",
      "dev",
      { ...validInput(), project: "Web_App" },
      'environment "dev": project: must be lower-case letters, digits and hyphens',
    ],
    [
      "missing project",
      "dev",
      { region: "us-east-1", network: validInput().network },
      'environment "dev": project: Invalid input: expected string, received undefined',
    ],
    [
      "missing network",
      "dev",
      { project: "webapp", region: "us-east-1" },
      'environment "dev": network: Invalid input: expected object, received undefined',
    ],
    [
      "missing VPC CIDR",
      "dev",
      withNetwork({ vpcCidr: undefined }),
      'environment "dev": network.vpcCidr: Invalid input: expected string, received undefined',
    ],
    [
      "unknown top-level key",
      "dev",
      { ...validInput(), vpcCidr: "10.0.0.0/16" },
      'environment "dev": (top level): Unrecognized key: "vpcCidr"',
    ],
    ["unknown network key", "dev", withNetwork({ natGateways: 2 }), 'environment "dev": network: Unrecognized key: "natGateways"'],
    [
      "flow-log retention CloudWatch refuses",
      "dev",
      withNetwork({ flowLogs: { retentionDays: 10 } }),
      'environment "dev": network.flowLogs.retentionDays: must be one of CloudWatch\'s retention periods',
    ],
    ["invalid environment name", "Prod_1", validInput(), 'environment "Prod_1": name: must be 1-16 lower-case letters'],
    ["reserved environment name", "bootstrap", validInput(), 'environment "bootstrap": name: "bootstrap" is reserved'],
  ];

  it.each(cases)("%s", (_case, name, input, message) => {
    expect(configError(() => resolveEnvironment(name, input)).message).toContain(message);
  });

  it("reports every problem of a definition at once", () => {
    const error = configError(() =>
      resolveEnvironment("dev", { ...withNetwork({ azCount: 1, natStrategy: "x" }), region: "mars-north-1" }),
    );
    expect(error.problems).toHaveLength(3);
  });
});

describe("definition files", () => {
  function dirWith(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "envs-"));
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  }
  const good = JSON.stringify(validInput());

  it("a syntax error names the file, not a stack trace", () => {
    const error = configError(() => loadEnvironments(dirWith({ "dev.json": "{ project: ", "prod.json": good })));
    expect(error.problems).toEqual([expect.stringMatching(/^environment "dev": \(file\): dev\.json is not valid JSON: /)]);
  });

  it("a file holding something other than an object is refused", () => {
    expect(configError(() => loadEnvironments(dirWith({ "dev.json": "[1, 2]" }))).message).toContain(
      'environment "dev": (file): dev.json must hold one JSON object, not an array',
    );
  });

  it("problems of every environment are collected", () => {
    const error = configError(() => loadEnvironments(dirWith({ "dev.json": "{}", "prod.json": good, "qa.json": "null" })));
    expect(error.problems.some((p) => p.startsWith('environment "dev": project'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('environment "qa": (file)'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('environment "prod"'))).toBe(false);
  });

  it("an empty folder is refused", () => {
    expect(configError(() => loadEnvironments(dirWith({}))).message).toContain("no environment definitions (*.json)");
  });

  it("a failing app writes no stack output", () => {
    const outdir = join(mkdtempSync(join(tmpdir(), "out-")), "cdktf.out");
    const environmentsDir = dirWith({ "dev.json": good, "prod.json": JSON.stringify(withNetwork({ azCount: 1 })) });
    expect(() => buildApp({ environmentsDir, env: {}, outdir }).synth()).toThrow('environment "prod": network.azCount');
    expect(existsSync(outdir)).toBe(false);
  });

  it("a valid app writes every stack", () => {
    const outdir = join(mkdtempSync(join(tmpdir(), "out-")), "cdktf.out");
    buildApp({ environmentsDir: ENVIRONMENTS_DIR, env: {}, outdir }).synth();
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(["bootstrap", "dev", "prod", "staging"]);
  });
});

describe("settings", () => {
  it("defaults the state bucket and region", () => {
    expect(readSettings({})).toEqual({ state: { bucket: "platform-infra-terraform-state", region: "us-east-1" } });
  });

  it.each([
    [{ TF_STATE_BUCKET: "Bad_Bucket" }, 'setting TF_STATE_BUCKET: "Bad_Bucket" is not a valid S3 bucket name'],
    [{ TF_STATE_REGION: "moon-1" }, 'setting TF_STATE_REGION: "moon-1" must be one of'],
    [
      { LOCAL_AWS_ENDPOINT: "https://s3.amazonaws.com" },
      'setting LOCAL_AWS_ENDPOINT: "https://s3.amazonaws.com" must be http://127.0.0.1:<port>',
    ],
  ])("%o is refused", (env, message) => {
    expect(configError(() => readSettings(env)).message).toContain(message);
  });
});
