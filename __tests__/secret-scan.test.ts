import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findSecrets, withoutAcceptedStateSecrets } from "../scripts/lib/secret-scan";
import { ALL_STACKS, committedStacksDir } from "./helpers";

describe("findSecrets", () => {
  it("reports values under keys that name secrets", () => {
    const state = {
      resources: [{ instances: [{ attributes: { password: "hunter2", secret_string: "{}", auth_token: "t0k3n", session_token: "s" } }] }],
    };
    expect(findSecrets(state).map((f) => f.path)).toEqual([
      "resources[0].instances[0].attributes.password",
      "resources[0].instances[0].attributes.secret_string",
      "resources[0].instances[0].attributes.auth_token",
      "resources[0].instances[0].attributes.session_token",
    ]);
  });

  it("reports private keys wherever they are", () => {
    expect(findSecrets({ user_data: "x\n-----BEGIN RSA PRIVATE KEY-----\nabc" })).toEqual([
      { path: "user_data", reason: "looks like a private key" },
    ]);
  });

  it("reports credentials passed as plain container variables, inside the definitions' JSON", () => {
    const task = {
      container_definitions: JSON.stringify([
        {
          name: "api",
          environment: [
            { name: "LOG_LEVEL", value: "info" },
            { name: "STRIPE_API_KEY", value: "sk_live_x" },
          ],
        },
      ]),
    };
    expect(findSecrets(task)).toEqual([
      { path: "container_definitions[0].environment[1]", reason: "variable STRIPE_API_KEY holds a value; pass it as a secret" },
    ]);
  });

  it("accepts write-only nulls, empty values, references and identifiers", () => {
    const state = {
      password: null,
      password_wo: null,
      password_wo_version: 1,
      master_user_password: "",
      secret_string: "${ephemeral.aws_secretsmanager_random_password.db.random_password}",
      user_id: "AKIAIOSFODNN7EXAMPLE",
      manage_master_user_password: false,
      // WAF's optimistic-locking token, echoed back on every update.
      lock_token: "2c8f1a9e-5b1d-4f3e-9a7c-0d6b3e8f1a2b",
    };
    expect(findSecrets(state)).toEqual([]);
  });
});

describe("withoutAcceptedStateSecrets", () => {
  const read = (name: string) => ({
    mode: "data",
    type: "aws_secretsmanager_secret_version",
    instances: [{ attributes: { arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbC123`, secret_string: "s3cr3t" } }],
  });

  it("leaves out only the origin header a data source reads, which the state holds by design", () => {
    const state = { resources: [read("webapp-prod/edge/origin-header"), read("webapp-prod/database/credentials")] };
    expect(findSecrets(state).map((f) => f.path)).toEqual([
      "resources[0].instances[0].attributes.secret_string",
      "resources[1].instances[0].attributes.secret_string",
    ]);
    expect(findSecrets(withoutAcceptedStateSecrets(state)).map((f) => f.path)).toEqual([
      "resources[0].instances[0].attributes.secret_string",
    ]);
  });

  it("keeps a managed secret version of the same name, which no data source reads", () => {
    const managed = { ...read("webapp-prod/edge/origin-header"), mode: "managed" };
    expect(findSecrets(withoutAcceptedStateSecrets({ resources: [managed] }))).toHaveLength(1);
  });
});

describe("every synthesized stack", () => {
  // The real synth, with its "//" metadata: everything the user reviews and applies.
  const stacksDir = committedStacksDir();
  const stacks = readdirSync(stacksDir);

  it.each(stacks)("%s holds no literal secret", (stack) => {
    const json = readFileSync(join(stacksDir, stack, "cdk.tf.json"), "utf8");
    expect(findSecrets(JSON.parse(json))).toEqual([]);
  });

  it("covers the bootstrap stack and every environment", () => {
    expect(stacks.sort()).toEqual(ALL_STACKS);
  });
});
