import { ConfigError } from "./errors";
import { REGIONS } from "./regions";

/** Where every environment keeps its Terraform state (the bucket the bootstrap stack creates). */
export interface StateSettings {
  /** TF_STATE_BUCKET; unset until bootstrap has made the bucket and the user exports its name. */
  readonly bucket?: string;
  readonly region: string;
}

export interface AppSettings {
  readonly state: StateSettings;
  /** When set, every stack talks to this local AWS emulator instead of AWS. */
  readonly localAwsEndpoint?: string;
  /**
   * GitHub Actions' OIDC roles, which the bootstrap creates when GITHUB_REPOSITORY names a
   * repository; GITHUB_OIDC_PROVIDER_ARN reuses the account's existing OIDC provider.
   */
  readonly github?: { readonly repository: string; readonly oidcProviderArn?: string };
  /**
   * Decommissioning: lifts deletion protection and prevent_destroy from production resources,
   * so an apply followed by a destroy can remove them. Off unless ALLOW_DESTROY=true.
   */
  readonly allowDestroy?: boolean;
}

/**
 * What an environment's backend names while TF_STATE_BUCKET is unset. S3 bucket names are global:
 * any default a second user also gets would be taken, or worse, owned by a stranger who then
 * receives their state. This is no valid bucket name, so no account can own it, and `terraform
 * init` fails with `S3 bucket "TF_STATE_BUCKET-is-not-set" does not exist`.
 */
export const UNSET_STATE_BUCKET = "TF_STATE_BUCKET-is-not-set";
export const DEFAULT_STATE_REGION = "us-east-1";

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
const LOCAL_ENDPOINT = /^http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost):\d{1,5}$/;

/** Reads the app-wide settings from environment variables (documented in docs/architecture.md, Settings). */
export function readSettings(env: NodeJS.ProcessEnv): AppSettings {
  const problems: string[] = [];
  const bucket = env.TF_STATE_BUCKET || undefined;
  const region = env.TF_STATE_REGION || DEFAULT_STATE_REGION;
  const localAwsEndpoint = env.LOCAL_AWS_ENDPOINT || undefined;
  const allowDestroy = env.ALLOW_DESTROY || undefined;
  const repository = env.GITHUB_REPOSITORY || undefined;
  const oidcProviderArn = env.GITHUB_OIDC_PROVIDER_ARN || undefined;
  if (repository && !GITHUB_REPOSITORY.test(repository)) {
    problems.push(`setting GITHUB_REPOSITORY: "${repository}" must be owner/name`);
  }
  if (oidcProviderArn && !OIDC_PROVIDER_ARN.test(oidcProviderArn)) {
    problems.push(
      `setting GITHUB_OIDC_PROVIDER_ARN: "${oidcProviderArn}" must be arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`,
    );
  }
  if (oidcProviderArn && !repository)
    problems.push("setting GITHUB_OIDC_PROVIDER_ARN: needs GITHUB_REPOSITORY, the repository whose roles use it");
  if (bucket !== undefined && (!BUCKET_NAME.test(bucket) || bucket.includes(".."))) {
    problems.push(`setting TF_STATE_BUCKET: "${bucket}" is not a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)`);
  }
  if (!REGIONS.includes(region)) {
    problems.push(`setting TF_STATE_REGION: "${region}" must be one of: ${REGIONS.join(", ")}`);
  }
  if (localAwsEndpoint && !LOCAL_ENDPOINT.test(localAwsEndpoint)) {
    problems.push(`setting LOCAL_AWS_ENDPOINT: "${localAwsEndpoint}" must be http://127.0.0.1:<port> or http://localhost:<port>`);
  }
  if (allowDestroy && !["true", "false"].includes(allowDestroy)) {
    problems.push(`setting ALLOW_DESTROY: "${allowDestroy}" must be true or false`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    state: { ...(bucket ? { bucket } : {}), region },
    ...(localAwsEndpoint ? { localAwsEndpoint } : {}),
    ...(allowDestroy === "true" ? { allowDestroy: true } : {}),
    ...(repository ? { github: { repository, ...(oidcProviderArn ? { oidcProviderArn } : {}) } } : {}),
  };
}
