import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Construct } from "constructs";
import { originHeaderSecretName } from "../config/environment";
import { addEphemeralResource } from "../escape-hatches";
import { suppressPolicyCheck } from "../policy-suppressions";

/** The header CloudFront adds to every request it sends the load balancer. */
export const ORIGIN_HEADER_NAME = "X-Origin-Verify";

export interface OriginHeaderProps {
  readonly namePrefix: string;
  /** Encrypts the secret that holds the value. */
  readonly kmsKeyArn: string;
  /** Production: the secret refuses `terraform destroy` and is recoverable for 30 days. @default false */
  readonly protect?: boolean;
  /**
   * Bump to draw a new value: the distribution and the listener rules change in the same apply
   * (requests CloudFront has in flight with the old value may get a 403 for the few minutes the
   * distribution takes to deploy). @default 1
   */
  readonly version?: number;
}

/**
 * The secret header that tells the load balancer a request came through this environment's
 * distribution, not another CloudFront distribution (CloudFront's addresses are shared by every
 * customer). Secrets Manager draws the value in an ephemeral resource and stores it write-only,
 * so it is no literal in the synthesized JSON; the distribution's origin and the listener rules
 * take it as plain arguments, so it is in the state (KMS-encrypted, in the state bucket).
 */
export class OriginHeader extends Construct {
  readonly name = ORIGIN_HEADER_NAME;
  readonly value: string;
  readonly secretArn: string;
  readonly kmsKeyArn: string;

  constructor(scope: Construct, id: string, props: OriginHeaderProps) {
    super(scope, id);
    const drawn = addEphemeralResource(this, "value", "aws_secretsmanager_random_password", {
      password_length: 48,
      // Letters and digits travel in a header unquoted.
      exclude_punctuation: true,
    }).attribute("random_password");
    const secret = new SecretsmanagerSecret(this, "secret", {
      name: originHeaderSecretName(props.namePrefix),
      description: `${props.namePrefix}: the ${ORIGIN_HEADER_NAME} value CloudFront sends the load balancer`,
      kmsKeyId: props.kmsKeyArn,
      recoveryWindowInDays: props.protect ? 30 : 0,
      ...(props.protect ? { lifecycle: { preventDestroy: true } } : {}),
    });
    suppressPolicyCheck(
      secret,
      "CKV2_AWS_57",
      "rotated by bumping its version in the definition: the distribution and listener rules change in the same apply, no Lambda involved",
    );
    const version = new SecretsmanagerSecretVersion(this, "version", {
      secretId: secret.id,
      secretStringWo: drawn,
      secretStringWoVersion: props.version ?? 1,
    });
    const read = new DataAwsSecretsmanagerSecretVersion(this, "current", { secretId: secret.id, dependsOn: [version] });
    this.value = read.secretString;
    this.secretArn = secret.arn;
    this.kmsKeyArn = props.kmsKeyArn;
  }
}
