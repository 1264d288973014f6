/**
 * Finds literal secrets in Terraform JSON or state: a value under a key that names a secret,
 * or a string shaped like a private key. Write-only arguments are null in state, and references
 * (`${...}`) are not values, so neither is reported. Identifiers (access key ids, ARNs) are not
 * secrets and are not reported.
 */

const SECRET_KEY = /(^|_)(password|passwd|secret_string|secret_binary|auth_token|private_key|secret_access_key|api_key|token)$/i;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export interface SecretFinding {
  readonly path: string;
  readonly reason: string;
}

export function findSecrets(document: unknown): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const walk = (value: unknown, path: string, key: string) => {
    if (typeof value === "string") {
      if (SECRET_KEY.test(key) && value !== "" && !value.startsWith("${")) findings.push({ path, reason: `"${key}" holds a value` });
      if (PRIVATE_KEY.test(value)) findings.push({ path, reason: "looks like a private key" });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`, key));
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, k);
    }
  };
  walk(document, "", "");
  return findings;
}
