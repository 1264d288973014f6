import { findSecrets } from "../scripts/lib/secret-scan";

describe("findSecrets", () => {
  it("reports values under keys that name secrets", () => {
    const state = { resources: [{ instances: [{ attributes: { password: "hunter2", secret_string: "{}", auth_token: "t0k3n" } }] }] };
    expect(findSecrets(state).map((f) => f.path)).toEqual([
      "resources[0].instances[0].attributes.password",
      "resources[0].instances[0].attributes.secret_string",
      "resources[0].instances[0].attributes.auth_token",
    ]);
  });

  it("reports private keys wherever they are", () => {
    expect(findSecrets({ user_data: "x\n-----BEGIN RSA PRIVATE KEY-----\nabc" })).toEqual([
      { path: "user_data", reason: "looks like a private key" },
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
    };
    expect(findSecrets(state)).toEqual([]);
  });
});
