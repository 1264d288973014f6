import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { suppressPolicyCheck } from "../policy-suppressions";
import { policyDocument, type PolicyStatement } from "./iam-policy";

const GITHUB_ISSUER = "token.actions.githubusercontent.com";
const READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess";
/** The branch scheduled workflows run on (the repository's default), as deploy.yml assumes too. */
const DEFAULT_BRANCH = "main";

/** A Secrets Manager secret in this account, by Region and name. */
export interface CredentialSecret {
  readonly region: string;
  readonly name: string;
}

export interface GithubDeployRolesProps {
  /** `owner/name` of the repository whose workflows assume the roles. */
  readonly repository: string;
  /**
   * GitHub's OIDC provider in this account, when it exists already (an account holds one per URL).
   * @default one is created
   */
  readonly oidcProviderArn?: string;
  /** The state bucket: the plan and drift roles read state, the deploy role also writes it and its lock. */
  readonly stateBucketArn: string;
  /**
   * The secrets the stacks' refreshing plans read (credentials they write write-only, origin
   * headers), by Region and name: the drift role may read these and no other secret, decrypting
   * them only through Secrets Manager.
   * @default none
   */
  readonly credentialSecrets?: readonly CredentialSecret[];
  /**
   * The secrets every plan reads, refresh or not (the origin headers, data sources): the plan
   * role may read these and no other. The header is in the distribution's configuration, which
   * ReadOnlyAccess shows anyway. @default none
   */
  readonly planSecrets?: readonly CredentialSecret[];
  /** The account holding the roles, the secrets and their KMS keys. */
  readonly accountId: string;
}

/**
 * The roles GitHub Actions assume through OIDC, with no stored keys: `plan` for pull requests
 * (read-only, reads state, plans with -refresh=false -lock=false, and may read the origin headers
 * every plan reads), `drift` for the scheduled drift check on the default branch (as `plan`, and
 * may read the database credential secrets a refresh reads back) and `deploy` for jobs in the repository's GitHub environments, whose protection
 * rules (reviewers) gate production.
 */
export class GithubDeployRoles extends Construct {
  readonly planRoleArn: string;
  readonly driftRoleArn: string;
  readonly deployRoleArn: string;

  constructor(scope: Construct, id: string, props: GithubDeployRolesProps) {
    super(scope, id);
    const providerArn =
      props.oidcProviderArn ??
      new IamOpenidConnectProvider(this, "oidc", { url: `https://${GITHUB_ISSUER}`, clientIdList: ["sts.amazonaws.com"] }).arn;
    const slug = props.repository.replace(/[^A-Za-z0-9+=,.@_-]/g, "-").slice(0, 48);
    const trust = (subject: string) =>
      policyDocument([
        {
          Sid: "GithubActionsOfThisRepository",
          Effect: "Allow",
          Principal: { Federated: providerArn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { [`${GITHUB_ISSUER}:aud`]: "sts.amazonaws.com" },
            StringLike: {
              [`${GITHUB_ISSUER}:sub`]: `repo:${props.repository}:${subject}`,
            },
          },
        },
      ]);

    const stateStatements: PolicyStatement[] = [
      { Sid: "ListState", Effect: "Allow", Action: "s3:ListBucket", Resource: props.stateBucketArn },
      { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: `${props.stateBucketArn}/*` },
    ];
    // Every plan opens the stacks' ephemeral aws_secretsmanager_random_password (refresh or not),
    // which calls GetRandomPassword; ReadOnlyAccess does not grant it. It reads nothing.
    const passwordStatements: PolicyStatement[] = [
      { Sid: "GenerateWriteOnlyPasswords", Effect: "Allow", Action: "secretsmanager:GetRandomPassword", Resource: "*" },
    ];

    const plan = new IamRole(this, "plan", {
      name: `gh-${slug}-plan`,
      description: `terraform plan for pull requests of ${props.repository}`,
      assumeRolePolicy: trust("pull_request"),
      maxSessionDuration: 3600,
    });
    new IamRolePolicyAttachment(this, "plan-read-only", { role: plan.name, policyArn: READ_ONLY_ACCESS });
    new IamRolePolicy(this, "plan-state", { role: plan.id, name: "read-state", policy: policyDocument(stateStatements) });
    new IamRolePolicy(this, "plan-passwords", { role: plan.id, name: "generate-passwords", policy: policyDocument(passwordStatements) });
    const planSecrets = props.planSecrets ?? [];
    if (planSecrets.length > 0)
      new IamRolePolicy(this, "plan-secrets", {
        role: plan.id,
        name: "read-origin-headers",
        policy: policyDocument(credentialStatements(planSecrets, props.accountId)),
      });

    // drift.yml: a scheduled (or dispatched) run's subject is its branch, the default one. Its plan
    // refreshes, and provider 5.100.0 reads a write-only secret version back with GetSecretValue.
    const drift = new IamRole(this, "drift", {
      name: `gh-${slug}-drift`,
      description: `terraform plan with refresh for the drift checks of ${props.repository}`,
      assumeRolePolicy: trust(`ref:refs/heads/${DEFAULT_BRANCH}`),
      maxSessionDuration: 3600,
    });
    new IamRolePolicyAttachment(this, "drift-read-only", { role: drift.name, policyArn: READ_ONLY_ACCESS });
    new IamRolePolicy(this, "drift-state", { role: drift.id, name: "read-state", policy: policyDocument(stateStatements) });
    new IamRolePolicy(this, "drift-passwords", { role: drift.id, name: "generate-passwords", policy: policyDocument(passwordStatements) });
    const secrets = props.credentialSecrets ?? [];
    if (secrets.length > 0)
      new IamRolePolicy(this, "drift-credentials", {
        role: drift.id,
        name: "read-stack-secrets",
        policy: policyDocument(credentialStatements(secrets, props.accountId)),
      });

    const deploy = new IamRole(this, "deploy", {
      name: `gh-${slug}-deploy`,
      description: `terraform apply from the GitHub environments of ${props.repository}`,
      assumeRolePolicy: trust("environment:*"),
      maxSessionDuration: 3600,
    });
    const admin = new IamRolePolicyAttachment(this, "deploy-admin", {
      role: deploy.name,
      policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
    });
    suppressPolicyCheck(
      admin,
      "CKV_AWS_274",
      "the deploy role creates every kind of resource the stacks hold, IAM roles and KMS keys included; only jobs in the repository's protected GitHub environments can assume it",
    );
    this.planRoleArn = plan.arn;
    this.driftRoleArn = drift.arn;
    this.deployRoleArn = deploy.arn;
  }
}

/**
 * Reading the named credential secrets, and decrypting them with whichever key each uses (the
 * environments' keys live in their own stacks) only through Secrets Manager and only for those
 * secrets: Secrets Manager passes the secret's ARN as the encryption context.
 */
function credentialStatements(secrets: readonly CredentialSecret[], accountId: string): PolicyStatement[] {
  // Secrets Manager ends each secret's ARN with a hyphen and 6 random characters.
  const secretArns = [...new Set(secrets.map((s) => `arn:aws:secretsmanager:${s.region}:${accountId}:secret:${s.name}-??????`))];
  const regions = [...new Set(secrets.map((s) => s.region))];
  return [
    { Sid: "ReadStackSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArns },
    {
      Sid: "DecryptStackSecrets",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: regions.map((region) => `arn:aws:kms:${region}:${accountId}:key/*`),
      Condition: {
        StringEquals: { "kms:ViaService": regions.map((region) => `secretsmanager.${region}.amazonaws.com`) },
        StringLike: { "kms:EncryptionContext:SecretARN": secretArns },
      },
    },
  ];
}
