/**
 * Finds literal secrets in Terraform JSON or state: a value under a key that names a secret, a
 * container variable (`{name, value}`) whose name names a secret, or a string shaped like a
 * private key, also inside JSON documents held in strings (container definitions). Write-only arguments are null in state, and references
 * (`${...}`) are not values, so neither is reported. Identifiers (access key ids, ARNs) are not
 * secrets and are not reported.
 */
import { CREDENTIAL_NAME } from "../../src/config/schema";

const SECRET_KEY = /(^|_)(password|passwd|secret_string|secret_binary|auth_token|private_key|secret_access_key|api_key|token)$/i;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** Keys SECRET_KEY matches that hold no secret: WAF's lock_token is the optimistic-locking token every update must echo back. */
const NOT_SECRET_KEY = new Set(["lock_token"]);

export interface SecretFinding {
  readonly path: string;
  readonly reason: string;
}

export function findSecrets(document: unknown): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const walk = (value: unknown, path: string, key: string) => {
    if (typeof value === "string") {
      if (SECRET_KEY.test(key) && !NOT_SECRET_KEY.has(key) && value !== "" && !value.startsWith("${"))
        findings.push({ path, reason: `"${key}" holds a value` });
      if (PRIVATE_KEY.test(value)) findings.push({ path, reason: "looks like a private key" });
      // JSON documents inside strings (container definitions, policies) are scanned too.
      if (/^\s*[[{]/.test(value)) {
        try {
          walk(JSON.parse(value), path, key);
        } catch {
          // not JSON after all
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`, key));
    } else if (value && typeof value === "object") {
      const entry = value as { name?: unknown; value?: unknown };
      if (typeof entry.name === "string" && typeof entry.value === "string" && CREDENTIAL_NAME.test(entry.name) && entry.value !== "")
        findings.push({ path, reason: `variable ${entry.name} holds a value; pass it as a secret` });
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, k);
    }
  };
  walk(document, "", "");
  return findings;
}

/** A Terraform state's resources, as `terraform state pull` prints them. */
interface StateDocument {
  readonly resources?: readonly {
    readonly mode: string;
    readonly type: string;
    readonly instances?: readonly { attributes?: Record<string, unknown> }[];
  }[];
}

/** The origin header's secret (originHeaderSecretName), by its ARN. */
const ORIGIN_HEADER_SECRET = /:secret:[^:]+\/edge\/origin-header-[A-Za-z0-9]{6}$/;

/**
 * The state without what it holds by design, each for its reason (docs/security.md): the origin
 * header CloudFront sends the load balancer, read by a data source because the distribution and
 * the listener rules take it as plain arguments (it proves a request came through CloudFront and
 * authenticates no one). Everything else is scanned as it is.
 */
export function withoutAcceptedStateSecrets<T extends StateDocument>(state: T): T {
  const accepted = (resource: NonNullable<StateDocument["resources"]>[number]) =>
    resource.mode === "data" &&
    resource.type === "aws_secretsmanager_secret_version" &&
    (resource.instances ?? []).every((instance) => ORIGIN_HEADER_SECRET.test(String(instance.attributes?.arn ?? "")));
  return { ...state, resources: (state.resources ?? []).filter((resource) => !accepted(resource)) };
}
