import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { suppressPolicyCheck } from "../policy-suppressions";
import { policyDocument } from "./iam-policy";

const GITHUB_ISSUER = "token.actions.githubusercontent.com";
/** The branch scheduled workflows run on (the repository's default), as deploy.yml assumes too. */
const DEFAULT_BRANCH = "main";

export interface GithubDeployRolesProps {
  /** `owner/name` of the repository whose workflows assume the roles. */
  readonly repository: string;
  /**
   * GitHub's OIDC provider in this account, when it exists already (an account holds one per URL).
   * @default one is created
   */
  readonly oidcProviderArn?: string;
  /** The state bucket: the plan role reads state, the deploy role also writes it and its lock. */
  readonly stateBucketArn: string;
}

/**
 * The roles GitHub Actions assume through OIDC, with no stored keys: `plan` for pull requests
 * and the scheduled drift check on the default branch (read-only, reads state, plans with
 * -lock=false) and `deploy` for jobs in the repository's GitHub environments, whose protection
 * rules (reviewers) gate production.
 */
export class GithubDeployRoles extends Construct {
  readonly planRoleArn: string;
  readonly deployRoleArn: string;

  constructor(scope: Construct, id: string, props: GithubDeployRolesProps) {
    super(scope, id);
    const providerArn =
      props.oidcProviderArn ??
      new IamOpenidConnectProvider(this, "oidc", { url: `https://${GITHUB_ISSUER}`, clientIdList: ["sts.amazonaws.com"] }).arn;
    const slug = props.repository.replace(/[^A-Za-z0-9+=,.@_-]/g, "-").slice(0, 48);
    const trust = (subject: string | string[]) =>
      policyDocument([
        {
          Sid: "GithubActionsOfThisRepository",
          Effect: "Allow",
          Principal: { Federated: providerArn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { [`${GITHUB_ISSUER}:aud`]: "sts.amazonaws.com" },
            StringLike: {
              [`${GITHUB_ISSUER}:sub`]: Array.isArray(subject)
                ? subject.map((s) => `repo:${props.repository}:${s}`)
                : `repo:${props.repository}:${subject}`,
            },
          },
        },
      ]);

    const plan = new IamRole(this, "plan", {
      name: `gh-${slug}-plan`,
      description: `terraform plan for pull requests and drift checks of ${props.repository}`,
      // Pull requests, and drift.yml: a scheduled run's subject is its branch, the default one.
      assumeRolePolicy: trust(["pull_request", `ref:refs/heads/${DEFAULT_BRANCH}`]),
      maxSessionDuration: 3600,
    });
    new IamRolePolicyAttachment(this, "plan-read-only", { role: plan.name, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" });
    new IamRolePolicy(this, "plan-state", {
      role: plan.id,
      name: "read-state",
      policy: policyDocument([
        { Sid: "ListState", Effect: "Allow", Action: "s3:ListBucket", Resource: props.stateBucketArn },
        { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: `${props.stateBucketArn}/*` },
      ]),
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
    this.deployRoleArn = deploy.arn;
  }
}
