import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Backend, type TerraformStack } from "cdktf";
import { UNSET_STATE_BUCKET, type StateSettings } from "../config/settings";
import { enableS3NativeLocking, requireTerraformVersion } from "../escape-hatches";
import { replaceRoleDependentsWithTheirRole } from "./role-dependents";

/** Ephemeral resources and write-only arguments (the database password) need 1.11. */
export const REQUIRED_TERRAFORM = ">= 1.11.0";

/** Services the stacks call, each pointed at the local emulator when one is configured. */
export const LOCAL_AWS_SERVICES = [
  "acm",
  "applicationautoscaling",
  "budgets",
  "cloudfront",
  "cloudwatch",
  "codebuild",
  "codedeploy",
  "codepipeline",
  "codestarconnections",
  "dlm",
  "ec2",
  "ecr",
  "ecs",
  "elasticache",
  "elbv2",
  "events",
  "iam",
  "kms",
  "logs",
  "rds",
  "route53",
  "s3",
  "scheduler",
  "secretsmanager",
  "sns",
  "sqs",
  "ssm",
  "sts",
  "wafv2",
] as const;

/** Throwaway credentials the emulator accepts; real AWS never sees them. */
const LOCAL_AWS_CREDENTIALS = { accessKey: "test", secretKey: "test" };

export interface AwsContextProps {
  readonly region: string;
  /** Tags every resource of the stack carries (provider default_tags). */
  readonly tags?: Record<string, string>;
  /** Points the provider at a local AWS emulator; nothing else about the stack changes. */
  readonly localAwsEndpoint?: string;
  /**
   * The only account whose credentials the provider accepts (ignored against the emulator,
   * whose account is its own).
   * @default any
   */
  readonly account?: string;
  /**
   * Makes it a second provider of the stack, which resources name to live in its region (the
   * edge's us-east-1 resources when the stack's region is another). @default the stack's own provider
   */
  readonly alias?: string;
}

/**
 * The stack's AWS provider, and what every stack of this app needs: the Terraform version, and
 * IAM role dependents replaced with their role.
 */
export function addAwsProvider(stack: TerraformStack, props: AwsContextProps): AwsProvider {
  if (!props.alias) {
    requireTerraformVersion(stack, REQUIRED_TERRAFORM);
    replaceRoleDependentsWithTheirRole(stack);
  }
  const local = props.localAwsEndpoint;
  return new AwsProvider(stack, props.alias ? `aws-${props.alias}` : "aws", {
    region: props.region,
    ...(props.alias ? { alias: props.alias } : {}),
    ...(props.tags ? { defaultTags: [{ tags: props.tags }] } : {}),
    ...(props.account && !local ? { allowedAccountIds: [props.account] } : {}),
    ...(local
      ? {
          ...LOCAL_AWS_CREDENTIALS,
          endpoints: [Object.fromEntries(LOCAL_AWS_SERVICES.map((service) => [service, local]))],
          s3UsePathStyle: true,
          skipCredentialsValidation: true,
          skipMetadataApiCheck: "true",
          skipRegionValidation: true,
        }
      : {}),
  });
}

/** Keeps the stack's state at `<key>` in the state bucket: encrypted, S3-locked. */
export function addStateBackend(stack: TerraformStack, state: StateSettings, key: string, localAwsEndpoint?: string): S3Backend {
  const backend = new S3Backend(stack, {
    bucket: state.bucket ?? UNSET_STATE_BUCKET,
    key,
    region: state.region,
    encrypt: true,
    ...(localAwsEndpoint
      ? {
          ...LOCAL_AWS_CREDENTIALS,
          endpoints: { s3: localAwsEndpoint, sts: localAwsEndpoint, iam: localAwsEndpoint },
          usePathStyle: true,
          skipCredentialsValidation: true,
          skipMetadataApiCheck: true,
          skipRegionValidation: true,
          skipRequestingAccountId: true,
        }
      : {}),
  });
  enableS3NativeLocking(backend);
  return backend;
}
