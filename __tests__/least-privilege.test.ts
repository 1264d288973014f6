import { Testing } from "cdktf";
import { loadEnvironments } from "../src/config/load";
import { BootstrapStack } from "../src/stacks/bootstrap-stack";
import {
  ALL_STACKS,
  asList,
  committedStack,
  ENVIRONMENTS_DIR,
  inlinePolicyCharacters,
  MAX_ROLE_POLICY_CHARACTERS,
  REVIEW_SETTINGS,
  type Statement,
  type TerraformJson,
} from "./helpers";

/**
 * Allow statements that may name every resource or a whole service, each with the reason. A
 * statement matches when its Sid (or, for key policies, its principal) is listed here.
 */
const ALLOWED_WILDCARDS: Record<string, string> = {
  RegistryToken: "ecr:GetAuthorizationToken has no resource-level permissions: ECR issues registry tokens account-wide",
  EcsExec: "ECS Exec's ssmmessages channel actions have no resource-level permissions",
  AccountIamGrantsUse: "a key policy's Resource * is the key itself; kms:* for the account root delegates to IAM, the default key policy",
  CloudWatchPublishesToTheEncryptedAlarmTopic: "a key policy's Resource * is the key itself",
  CloudWatchLogsEncryptsThisAccountsLogGroups:
    "a key policy's Resource * is the key itself; the encryption context limits it to this account's log groups",
  PublishHostMetrics: "cloudwatch:PutMetricData has no resource-level permissions; a namespace condition limits it to the host's two",
  EventBridgePublishesToTheEncryptedAlarmTopic: "a key policy's Resource * is the key itself",
  BudgetsPublishToTheEncryptedAlarmTopic:
    "a key policy's Resource * is the key itself; aws:SourceAccount limits it to this account's budgets",
  ReadTaskDefinitions: "ecs:DescribeTaskDefinition has no resource-level permissions",
  RegisterTaskDefinitions:
    "ecs:RegisterTaskDefinition and DescribeTaskDefinition have no resource-level permissions; iam:PassRole limits the roles a definition may name to the services' own",
  ReadAndRegisterTaskDefinitions:
    "ecs:DescribeTaskDefinition and RegisterTaskDefinition have no resource-level permissions; the migration may run only its own family, and pass only its service's roles",
  ListOwnClusterTasks: "ecs:ListTasks names no task; the ecs:cluster condition limits it to the environment's cluster",
  FollowDeployCommand:
    "ssm:GetCommandInvocation has no resource-level permissions; SendCommand is limited to the deploy document and the host",
  GenerateWriteOnlyPasswords:
    "secretsmanager:GetRandomPassword has no resource-level permissions; it returns a random string and reads nothing (every plan opens the ephemeral password)",
};

/**
 * Trust statements without an aws:SourceAccount condition, each with the reason. EC2 sends none
 * when it hands an instance its profile's role, and iam:PassRole already confines the role to
 * instances this account launches.
 */
const UNCONDITIONED_TRUSTS: Record<string, string> = {
  Ec2AssumesTheInstanceRole: "EC2 passes no aws:SourceAccount for instance profiles; only this account can pass the role",
};

interface Found {
  stack: string;
  resource: string;
  statement: Statement;
}

/** Every policy document (IAM, trust, bucket, topic, key) in a stack, statement by statement. */
function statements(stack: string, tf: TerraformJson): Found[] {
  const found: Found[] = [];
  for (const [type, byName] of Object.entries(tf.resource)) {
    for (const [name, resource] of Object.entries(byName)) {
      for (const field of ["policy", "assume_role_policy"]) {
        const text = resource[field];
        if (typeof text !== "string") continue;
        const document = JSON.parse(text) as { Statement?: Statement | Statement[] };
        if (!document.Statement) continue; // not an IAM policy document (an ECR lifecycle policy)
        for (const statement of ([] as Statement[]).concat(document.Statement))
          found.push({ stack, resource: `${type}.${name}`, statement });
      }
    }
  }
  return found;
}

/** The committed synth has no GITHUB_REPOSITORY; bootstrap with it adds the GitHub Actions roles, as `npm run policy` synthesizes it. */
const GITHUB_BOOTSTRAP = "bootstrap with GITHUB_REPOSITORY";
const githubBootstrap = () =>
  JSON.parse(
    Testing.synth(
      new BootstrapStack(Testing.app(), { ...REVIEW_SETTINGS, github: { repository: "acme/shop" } }, loadEnvironments(ENVIRONMENTS_DIR)),
    ),
  ) as TerraformJson;
const stacks: [string, TerraformJson][] = [
  ...ALL_STACKS.map((name): [string, TerraformJson] => [name, committedStack(name).parsed]),
  [GITHUB_BOOTSTRAP, githubBootstrap()],
];

const all: Found[] = stacks.flatMap(([name, tf]) => statements(name, tf));

describe("least privilege, over every policy document of every stack", () => {
  it("finds the documents to check", () => {
    // The images stacks hold repositories only: no role, no resource policy.
    const withDocuments = [...ALL_STACKS.filter((s) => !s.endsWith("-images")), GITHUB_BOOTSTRAP];
    expect(new Set(all.map((f) => f.stack))).toEqual(new Set(withDocuments));
    expect(ALL_STACKS.filter((s) => s.endsWith("-images"))).toEqual(["ex-images", "webapp-images"]);
    expect(all.length).toBeGreaterThan(100);
  });

  it("allows no Action *, no service wildcard (s3:*) and no Resource *, outside the reasoned list", () => {
    const offending = all
      .filter(({ statement }) => statement.Effect === "Allow")
      .filter(({ statement }) => {
        const actions = asList(statement.Action);
        const wildcard = actions.some((a) => a === "*" || /^[\w-]+:\*$/.test(a)) || asList(statement.Resource).includes("*");
        return wildcard && !(statement.Sid && statement.Sid in ALLOWED_WILDCARDS);
      })
      .map(({ stack, resource, statement }) => `${stack} ${resource} ${statement.Sid ?? "(no Sid)"}: ${JSON.stringify(statement.Action)}`);
    expect(offending).toEqual([]);
  });

  it("uses every allow-list entry, so the list cannot outgrow the code", () => {
    const used = new Set(all.map(({ statement }) => statement.Sid));
    expect(Object.keys(ALLOWED_WILDCARDS).filter((sid) => !used.has(sid))).toEqual([]);
  });

  it("lets every service role be assumed only on behalf of this account", () => {
    const trusts = all.filter(({ resource, statement }) => resource.startsWith("aws_iam_role.") && statement.Action === "sts:AssumeRole");
    expect(trusts.length).toBeGreaterThan(10);
    for (const { statement } of trusts) {
      if (statement.Sid && statement.Sid in UNCONDITIONED_TRUSTS) {
        expect(statement).toMatchObject({ Principal: { Service: "ec2.amazonaws.com" } });
        expect(statement.Condition).toBeUndefined();
      } else {
        expect(statement.Condition).toEqual({ StringEquals: { "aws:SourceAccount": expect.stringContaining("aws_caller_identity") } });
      }
    }
    const used = new Set(trusts.map(({ statement }) => statement.Sid));
    expect(Object.keys(UNCONDITIONED_TRUSTS).filter((sid) => !used.has(sid))).toEqual([]);
  });

  it("keeps every role's inline policies within IAM's 10,240 characters, as applied", () => {
    const sizes = stacks.flatMap(([, tf]) => [...inlinePolicyCharacters(tf).values()]);
    expect(sizes.length).toBeGreaterThan(20);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_ROLE_POLICY_CHARACTERS);
  });
});

describe("a replaced role keeps its permissions in the same apply", () => {
  const roleOf = (config: Record<string, unknown>) => /^\$\{(aws_iam_role\.[\w-]+)\.(?:name|id)\}$/.exec(String(config.role))?.[1];

  it("replaces every inline policy and policy attachment with the role it names", () => {
    const dependents = stacks.flatMap(([name, tf]) =>
      ["aws_iam_role_policy", "aws_iam_role_policy_attachment"].flatMap((type) =>
        Object.entries(tf.resource[type] ?? {}).map(([id, config]) => ({ where: `${name} ${type}.${id}`, config })),
      ),
    );
    expect(dependents.length).toBeGreaterThan(50);
    const unprotected = dependents
      .filter(({ config }) => {
        const role = roleOf(config);
        const triggers = (config.lifecycle as { replace_triggered_by?: string[] } | undefined)?.replace_triggered_by ?? [];
        return !role || !triggers.includes(`${role}.unique_id`);
      })
      .map(({ where }) => where);
    expect(unprotected).toEqual([]);
  });

  it("updates an instance profile in place to a replacement role made before the old one goes", () => {
    const profiles = stacks.flatMap(([, tf]) =>
      Object.values(tf.resource.aws_iam_instance_profile ?? {}).map((profile) => ({ tf, profile })),
    );
    expect(profiles.length).toBeGreaterThanOrEqual(3);
    for (const { tf, profile } of profiles) {
      // A replaced profile would no longer be the running instance's.
      expect(profile.lifecycle).toBeUndefined();
      const role = tf.resource.aws_iam_role[roleOf(profile)!.split(".")[1]];
      expect(role).toMatchObject({ name_prefix: expect.stringMatching(/-(host|nat)-$/), lifecycle: { create_before_destroy: true } });
      expect(role.name).toBeUndefined();
    }
  });
});
