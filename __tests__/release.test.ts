import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { imagePushCommands } from "../src/delivery/buildspec";
import { type ReleaseEffects, type ReleasePlan, runRelease, type StackSettings } from "../scripts/lib/release";
import { loadEnvironments } from "../src/config/load";
import { api, committedStack, resourcesOf, synthEnvironment, withServices } from "./helpers";
import { scratchDir } from "./scratch";

const A = "aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000";
const B = "bbbb1111bbbb1111bbbb1111bbbb1111bbbb1111";
const DIGEST = `sha256:${"d".repeat(64)}`;
const URLS = {
  frontend: "123456789012.dkr.ecr.us-east-1.amazonaws.com/ex/frontend",
  backend: "123456789012.dkr.ecr.us-east-1.amazonaws.com/ex/backend",
};

const building: ReleasePlan = {
  environment: "portfolio",
  region: "us-east-1",
  images: [
    { repository: "frontend", repositoryName: "ex/frontend", context: "frontend", dockerfile: "frontend/Dockerfile" },
    { repository: "backend", repositoryName: "ex/backend", context: "backend", dockerfile: "backend/Dockerfile" },
  ],
  commit: A,
  migrates: true,
  recordsPromotion: true,
};
const settings: StackSettings = {
  accountId: "123456789012",
  repositoryUrls: URLS,
  promotionsBucket: "ex-portfolio-promotions-123456789012",
  migration: { CLUSTER: "arn:aws:ecs:us-east-1:123456789012:cluster/ex-portfolio" },
};

/** Effects that write down what the release does, in order; `fail` makes one step throw. */
function recorder(options: { pushed?: readonly string[]; source?: string; fail?: string } = {}) {
  const steps: string[] = [];
  const variables: Record<string, Readonly<Record<string, string>>> = {};
  const effects: ReleaseEffects = {
    settings: () => Promise.resolve(settings),
    digest: (repository, tag) => Promise.resolve(options.pushed?.includes(`${repository}:${tag}`) ? DIGEST : undefined),
    sourceCommit: () => Promise.resolve(options.source ?? A),
    shell: (what, _commands, vars, where = "work") => {
      steps.push(`${what} (${where})`);
      variables[what] = vars;
      if (what === options.fail) return Promise.reject(new Error(`${what} failed`));
      return Promise.resolve("ok");
    },
    deploy: (commit) => {
      steps.push(`deploy ${commit}`);
      return options.fail === "deploy" ? Promise.reject(new Error("deploy failed")) : Promise.resolve();
    },
    log: () => undefined,
  };
  return { effects, steps, variables };
}

describe("a release through GitHub Actions", () => {
  it("builds each missing image in the source, then migrates, deploys and records, in that order", async () => {
    const { effects, steps, variables } = recorder({ pushed: [`ex/frontend:${A}`] });
    await expect(runRelease(building, effects)).resolves.toBe(A);
    // The frontend was pushed for the commit already: built once, reused, not rebuilt.
    expect(steps).toEqual(["build backend (source)", "migration (work)", `deploy ${A}`, "release record (work)"]);
    expect(variables["build backend"]).toEqual({ REPOSITORY_URI: URLS.backend, IMAGE_TAG: A, AWS_REGION: "us-east-1" });
    expect(variables.migration).toEqual({ ...settings.migration, IMAGE_TAG: A });
    expect(variables["release record"]).toEqual({
      IMAGE_TAG: A,
      PROMOTION_BUCKET: "ex-portfolio-promotions-123456789012",
      PROMOTION_REPOSITORIES: "ex/frontend ex/backend",
    });
  });

  it("refuses a commit that is not all 40 characters, and a source checked out at another commit, before anything moves", async () => {
    const short = recorder();
    await expect(runRelease({ ...building, commit: "aaaa000" }, short.effects)).rejects.toThrow(
      "--commit must be the full 40-character commit id",
    );
    const elsewhere = recorder({ source: B });
    await expect(runRelease(building, elsewhere.effects)).rejects.toThrow(`the source to build is at ${B}, not ${A}`);
    expect([...short.steps, ...elsewhere.steps]).toEqual([]);
  });

  it("stops at a failed migration: no service moves and nothing is recorded", async () => {
    const { effects, steps } = recorder({ pushed: [`ex/frontend:${A}`, `ex/backend:${A}`], fail: "migration" });
    await expect(runRelease(building, effects)).rejects.toThrow("migration failed");
    expect(steps).toEqual(["migration (work)"]);
  });

  it("records nothing for promotion when the deploy fails", async () => {
    const { effects, steps } = recorder({ pushed: [`ex/frontend:${A}`, `ex/backend:${A}`], fail: "deploy" });
    await expect(runRelease(building, effects)).rejects.toThrow("deploy failed");
    expect(steps).toEqual(["migration (work)", `deploy ${A}`]);
  });

  describe("promoting", () => {
    const promoting: ReleasePlan = {
      ...building,
      environment: "prod",
      commit: undefined,
      promoteFrom: { environment: "staging", namePrefix: "ex-staging" },
      recordsPromotion: false,
    };
    const recorderOf = (fail?: string) => {
      const r = recorder({ fail });
      // The record's commit is what the fetch step prints.
      const shell = r.effects.shell;
      return {
        ...r,
        effects: {
          ...r.effects,
          shell: (what: string, c: readonly string[], v: Readonly<Record<string, string>>) =>
            shell(what, c, v).then((out) => (what.endsWith("release record") ? B : out)),
        },
      };
    };

    it("releases the commit the promoted environment recorded last, each image checked against its record, nothing built", async () => {
      const { effects, steps, variables } = recorderOf();
      await expect(runRelease(promoting, effects)).resolves.toBe(B);
      expect(steps).toEqual([
        "staging's release record (work)",
        "promotion of frontend (work)",
        "promotion of backend (work)",
        "migration (work)",
        `deploy ${B}`,
      ]);
      expect(variables["promotion of backend"]).toEqual({ REPOSITORY_URI: URLS.backend });
    });

    it("refuses a commit the promoted environment did not record last", async () => {
      const { effects, steps } = recorderOf();
      await expect(runRelease({ ...promoting, commit: A }, effects)).rejects.toThrow(
        `staging last released ${B}, not ${A}: prod promotes only what staging deployed`,
      );
      expect(steps).toEqual(["staging's release record (work)"]);
    });

    it("stops when an image is not the digest that was released", async () => {
      const { effects, steps } = recorderOf("promotion of frontend");
      await expect(runRelease(promoting, effects)).rejects.toThrow("promotion of frontend failed");
      expect(steps).not.toContain(`deploy ${B}`);
    });
  });
});

describe("the GitHub Actions build's commands, run with stand-ins for docker and the AWS CLI", () => {
  it("logs in, builds from the source's root with the definition's Dockerfile, pushes the commit's tag and reads its digest back", () => {
    const dir = scratchDir("release-build-");
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const calls = join(dir, "calls.txt");
    writeFileSync(
      join(bin, "aws"),
      `#!/bin/bash\necho "aws $*" >> ${calls}\ncase "$*" in\n  "ecr get-login-password "*) echo token ;;\n  "ecr describe-images "*) echo '${DIGEST}' ;;\n  *) exit 9 ;;\nesac\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(bin, "docker"), `#!/bin/bash\ncat > /dev/null\necho "docker $*" >> ${calls}\n`, { mode: 0o755 });
    const result = spawnSync("bash", ["-c", ["set -euo pipefail", ...imagePushCommands(building.images[1])].join("\n")], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: `${bin}:${process.env.PATH}`, REPOSITORY_URI: URLS.backend, IMAGE_TAG: A, AWS_REGION: "us-east-1" },
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`pushed ${URLS.backend}@${DIGEST}`);
    expect(readFileSync(calls, "utf8").trim().split("\n")).toEqual([
      "aws ecr get-login-password --region us-east-1",
      "docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
      `docker build --pull --tag ${URLS.backend}:${A} --file backend/Dockerfile backend`,
      `docker push ${URLS.backend}:${A}`,
      `aws ecr describe-images --repository-name ex/backend --image-ids imageTag=${A} --query imageDetails[0].imageDigest --output text`,
    ]);
  });
});

describe("the stack of an environment released through GitHub Actions", () => {
  const { json, parsed } = committedStack("portfolio");

  it("has no pipeline, build project, connection or failed-release rule: the workflow releases", () => {
    for (const type of ["aws_codepipeline", "aws_codebuild_project", "aws_codestarconnections_connection"])
      expect(resourcesOf(parsed, type)).toEqual([]);
    expect(resourcesOf(parsed, "aws_cloudwatch_event_rule").map((r) => r.name)).not.toContain("ex-portfolio-release-failed");
    expect(json).toContain('"name": "/ex-portfolio/release/frontend"');
    expect(json).toContain('"name": "/ex-portfolio/release/backend"');
  });

  it("outputs what npm run release reads: the account and the migration's task settings, the service's own", () => {
    const value = parsed.output!.release_settings.value as { account_id: string; migration: Record<string, string> };
    expect(value.account_id).toMatch(/^\$\{data\.aws_caller_identity\./);
    expect(value.migration).toMatchObject({
      SERVICE_FAMILY: "ex-portfolio-backend",
      MIGRATION_FAMILY: "ex-portfolio-backend-migrate",
      CONTAINER: "backend",
      OVERRIDES: JSON.stringify({ containerOverrides: [{ name: "backend", command: ["alembic", "upgrade", "head"] }] }),
      TIMEOUT_SECONDS: "600",
    });
    expect(value.migration.SECURITY_GROUP).toMatch(/aws_security_group\.service-backend_sg_/);
  });

  it("keeps a promotions bucket, sending its events to EventBridge, where another environment promotes its releases", () => {
    const dir = scratchDir("github-release-");
    const definition = (extra: object, vpcCidr: string) =>
      withServices([api], {
        network: { vpcCidr, azCount: 2, natStrategy: "single" },
        observability: { alarmEmails: ["ops@example.com"] },
        ...extra,
      });
    writeFileSync(
      join(dir, "staging.json"),
      JSON.stringify(definition({ delivery: { via: "github-actions", repository: "acme/product", builds: { api: {} } } }, "10.1.0.0/16")),
    );
    writeFileSync(
      join(dir, "prod.json"),
      JSON.stringify(definition({ delivery: { via: "github-actions", promoteFrom: "staging" } }, "10.2.0.0/16")),
    );
    const [prod, staging] = loadEnvironments(dir);
    const upstream = synthEnvironment(staging).parsed;
    expect(resourcesOf(upstream, "aws_s3_bucket").map((b) => b.bucket)).toContain(
      "webapp-staging-promotions-${data.aws_caller_identity.account.account_id}",
    );
    expect(resourcesOf(upstream, "aws_s3_bucket_notification")).toEqual([expect.objectContaining({ eventbridge: true })]);
    expect((upstream.output!.release_settings.value as Record<string, unknown>).promotions_bucket).toBeDefined();
    // The promoting side reads the record; it keeps none of its own and runs no pipeline.
    const downstream = synthEnvironment(prod).parsed;
    expect(resourcesOf(downstream, "aws_s3_bucket").map((b) => b.bucket)).not.toContainEqual(expect.stringContaining("promotions"));
    expect(resourcesOf(downstream, "aws_codepipeline")).toEqual([]);
  });
});
