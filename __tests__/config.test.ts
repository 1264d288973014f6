import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { resolveEnvironment } from "../src/config/environment";
import { ConfigError } from "../src/config/errors";
import { loadEnvironments } from "../src/config/load";
import { offersCacheNodeType, offersHostType, offersPostgresClass } from "../src/config/offerings";
import { findPlaceholders } from "../src/config/placeholders";
import { buildApp } from "../src/app";
import { readSettings } from "../src/config/settings";
import { BootstrapStack } from "../src/stacks/bootstrap-stack";
import {
  ALL_STACKS,
  committedEnvironment,
  committedStack,
  committedStacksDir,
  ENVIRONMENTS_DIR,
  EXAMPLES_DIR,
  REVIEW_SETTINGS,
  synthEnvironment,
  validInput,
  withNetwork,
} from "./helpers";
import { scratchDir } from "./scratch";

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

describe("committed environments", () => {
  it("all validate, with the NAT strategy and AZ count each promises", () => {
    const envs = loadEnvironments(ENVIRONMENTS_DIR);
    expect(envs.map((e) => e.name)).toEqual(["dev", "prod", "single-host", "staging"]);
    const byName = Object.fromEntries(envs.map((e) => [e.name, e]));
    expect(byName.dev.network.natStrategy).toBe("instance");
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

describe("problems are reported together", () => {
  it("reports every problem of a definition at once", () => {
    const error = configError(() =>
      resolveEnvironment("dev", { ...withNetwork({ azCount: 1, natStrategy: "x" }), region: "mars-north-1" }),
    );
    expect(error.problems).toHaveLength(3);
  });
});

describe("definition files", () => {
  function dirWith(files: Record<string, string>): string {
    const dir = scratchDir("envs-");
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  }
  const good = JSON.stringify(validInput());

  it("a syntax error names the file, not a stack trace", () => {
    const error = configError(() => loadEnvironments(dirWith({ "dev.json": "{ project: ", "prod.json": good })));
    expect(error.problems).toEqual([expect.stringMatching(/^environment "dev": \(file\): dev\.json is not valid JSON: /)]);
  });

  it("a byte-order mark before the JSON is accepted", () => {
    expect(loadEnvironments(dirWith({ "dev.json": `\uFEFF${good}` })).map((e) => e.name)).toEqual(["dev"]);
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

  it("a valid app writes every stack", () => {
    // global-setup.ts runs the app over the committed definitions once for the whole run.
    expect(readdirSync(committedStacksDir()).sort()).toEqual(ALL_STACKS);
  });

  it("writes the stacks the tests read as Testing.synth would", () => {
    expect(committedStack("dev").parsed).toEqual(synthEnvironment(committedEnvironment("dev"), REVIEW_SETTINGS).parsed);
    expect(committedStack("bootstrap").parsed).toEqual(JSON.parse(Testing.synth(new BootstrapStack(Testing.app(), REVIEW_SETTINGS))));
  });
});

describe("settings", () => {
  it("defaults the state region, never the state bucket (bucket names are global)", () => {
    expect(readSettings({})).toEqual({ state: { region: "us-east-1" } });
    expect(readSettings({ TF_STATE_BUCKET: "acme-tfstate" })).toEqual({ state: { bucket: "acme-tfstate", region: "us-east-1" } });
  });

  it.each([
    [{ TF_STATE_BUCKET: "Bad_Bucket" }, 'setting TF_STATE_BUCKET: "Bad_Bucket" is not a valid S3 bucket name'],
    [{ TF_STATE_REGION: "moon-1" }, 'setting TF_STATE_REGION: "moon-1" must be one of'],
    [{ GITHUB_REPOSITORY: "shop" }, 'setting GITHUB_REPOSITORY: "shop" must be owner/name'],
    [
      { GITHUB_REPOSITORY: "acme/shop", GITHUB_OIDC_PROVIDER_ARN: "arn:aws:iam::111122223333:oidc-provider/accounts.google.com" },
      'setting GITHUB_OIDC_PROVIDER_ARN: "arn:aws:iam::111122223333:oidc-provider/accounts.google.com" must be arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com',
    ],
    [
      { LOCAL_AWS_ENDPOINT: "https://s3.amazonaws.com" },
      'setting LOCAL_AWS_ENDPOINT: "https://s3.amazonaws.com" must be http://127.0.0.1:<port>',
    ],
  ])("%o is refused", (env, message) => {
    expect(configError(() => readSettings(env)).message).toContain(message);
  });
});

describe("placeholders", () => {
  it("are found anywhere in a definition but its free text, by field", () => {
    expect(
      findPlaceholders({
        about: ["see example.com"],
        observability: { alarmEmails: ["ops@example.com", "ops@acme.io"], alarmHttpsEndpoints: ["https://hooks.acme.io/replace-me"] },
        services: [{ secrets: { DB: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf" } }],
        singleHost: { sshCidr: "203.0.113.0/24", domain: { name: "app.example.org", hostedZone: "acme.io" } },
      }).map((p) => `${p.field}: ${p.reason}`),
    ).toEqual([
      "observability.alarmEmails.0: a reserved example domain",
      "observability.alarmHttpsEndpoints.0: a replace-me marker",
      "services.0.secrets.DB: AWS's documentation account id",
      "singleHost.sshCidr: a documentation address range (RFC 5737)",
      "singleHost.domain.name: a reserved example domain",
    ]);
  });

  it("stop a synth for a real account (a state bucket and no emulator), naming each field, and nothing is written", () => {
    const outdir = join(scratchDir("real-"), "cdktf.out");
    const error = configError(() =>
      buildApp({ environmentsDir: ENVIRONMENTS_DIR, examplesDir: EXAMPLES_DIR, env: { TF_STATE_BUCKET: "acme-tfstate" }, outdir }).synth(),
    );
    expect(error.message).toContain(
      'environment "prod": observability.alarmHttpsEndpoints.0: "https://events.pagerduty.com/integration/replace-me/enqueue" is a replace-me marker: put the real value here before deploying',
    );
    expect(error.message).toContain(
      'environment "fastapi-host": singleHost.database.urlSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:',
    );
    expect(error.message).toContain('environment "prod": alb.domain.name: "app.example.com" is a reserved example domain');
    expect(existsSync(outdir)).toBe(false);
    // The emulator's synth and a review synth (no bucket) take them as they are.
    expect(() =>
      buildApp({
        environmentsDir: ENVIRONMENTS_DIR,
        examplesDir: EXAMPLES_DIR,
        env: { TF_STATE_BUCKET: "acme-tfstate", LOCAL_AWS_ENDPOINT: "http://127.0.0.1:4566" },
      }),
    ).not.toThrow();
  });
});

describe("what AWS offers (src/config/aws-data/offerings.json)", () => {
  const offerings = JSON.parse(readFileSync(join(__dirname, "..", "src", "config", "aws-data", "offerings.json"), "utf8")) as {
    cfnLintVersion: string;
    dataDate: string;
  };

  it("comes from the cfn-lint the local AWS pins (npm run aws-data after raising the pin)", () => {
    const pinned = /^cfn-lint==(.+)$/m.exec(readFileSync(join(__dirname, "..", "local-aws", "requirements.txt"), "utf8"))![1];
    expect(offerings.cfnLintVersion).toBe(pinned);
    expect(offerings.dataDate).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it("has an entry for every class, node type and instance type a committed definition uses", () => {
    const all = loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR);
    const used = all.flatMap((env) => [
      ...(env.database ? [offersPostgresClass(env.region, env.database.instanceClass)] : []),
      ...(env.cache ? [offersCacheNodeType(env.region, env.cache.nodeType)] : []),
      ...(env.singleHost ? [offersHostType(env.region, env.singleHost.instanceType)] : []),
    ]);
    expect(used.length).toBeGreaterThan(8);
    expect(used.every(Boolean)).toBe(true);
    expect(offersPostgresClass("us-east-1", "db.t4g.4xlarge")).toBe(false);
  });
});
