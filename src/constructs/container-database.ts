import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { credentialsSecretName } from "../config/environment";
import { DATABASE_CONTAINER, type ContainerDatabase as ContainerDatabaseConfig } from "../config/single-host-schema";
import { addEphemeralResource } from "../escape-hatches";
import type { DatabaseContainer, HostDatabase } from "../host/compose";
import { suppressPolicyCheck } from "../policy-suppressions";
import { readSecretStatements, type PolicyStatement } from "./iam-policy";

export interface ContainerDatabaseProps {
  readonly namePrefix: string;
  readonly config: ContainerDatabaseConfig;
  /** Encrypts the credentials secret. */
  readonly kmsKeyArn: string;
  /** Host directory on the data volume that holds the database files. */
  readonly dataDirectory: string;
  /**
   * prevent_destroy on the credentials secret, and a 30-day recovery window.
   * @default false
   */
  readonly protect?: boolean;
}

/**
 * PostgreSQL as a container on a single host: its credentials in a KMS-encrypted secret, whose
 * password Terraform generates in an ephemeral resource and writes write-only (never in plan or
 * state). The host reads it at every start; the database's files live on the data volume.
 */
export class ContainerDatabase extends Construct {
  readonly credentialsSecretArn: string;
  /** What the host needs: the services' variables and secrets, the rights to read them, and the container. */
  readonly access: HostDatabase & { readonly statements: readonly PolicyStatement[]; readonly container: DatabaseContainer };

  constructor(scope: Construct, id: string, props: ContainerDatabaseProps) {
    super(scope, id);
    const { config } = props;
    const password = addEphemeralResource(this, "password", "aws_secretsmanager_random_password", {
      password_length: 32,
      // Letters and digits (190 bits) survive env files, URLs and shells unquoted.
      exclude_punctuation: true,
    }).attribute("random_password");
    const secret = new SecretsmanagerSecret(this, "credentials", {
      name: credentialsSecretName(props.namePrefix),
      description: `PostgreSQL on the ${props.namePrefix} host`,
      kmsKeyId: props.kmsKeyArn,
      recoveryWindowInDays: props.protect ? 30 : 0,
      ...(props.protect ? { lifecycle: { preventDestroy: true } } : {}),
    });
    suppressPolicyCheck(
      secret,
      "CKV2_AWS_57",
      "a rotation Lambda cannot reach a database inside the host's containers; the password never leaves the secret and the host",
    );
    new SecretsmanagerSecretVersion(this, "credentials-value", {
      secretId: secret.id,
      secretStringWo: Fn.jsonencode({ username: config.username, password }),
      // PostgreSQL takes the password once, when it creates its files; this version never changes.
      secretStringWoVersion: 1,
    });
    this.credentialsSecretArn = secret.arn;
    const passwordFrom = `${secret.arn}:password::`;
    this.access = {
      environment: {
        DATABASE_HOST: DATABASE_CONTAINER,
        DATABASE_PORT: "5432",
        DATABASE_NAME: config.databaseName,
        DATABASE_USER: config.username,
      },
      secrets: { DATABASE_PASSWORD: passwordFrom },
      statements: readSecretStatements("DatabaseCredentials", secret.arn, props.kmsKeyArn),
      container: {
        image: config.image,
        databaseName: config.databaseName,
        username: config.username,
        memoryMiB: config.memory,
        passwordFrom,
        dataDirectory: props.dataDirectory,
      },
    };
  }
}
