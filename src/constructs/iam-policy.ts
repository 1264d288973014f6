/** IAM policy documents as typed data, rendered to the JSON string IAM resources take. */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Principal?: Record<string, string | readonly string[]> | "*";
  readonly Condition?: Record<string, Record<string, string | boolean | readonly string[]>>;
}

/** Renders statements as a policy document; cdktf tokens inside strings resolve on synth. */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * Reading the Secrets Manager secrets and SSM parameters a definition names by ARN.
 * `parameterAction`: ECS reads parameters in batches, the AWS CLI one at a time.
 */
export function namedSecretStatements(
  arns: readonly string[],
  parameterAction: "ssm:GetParameters" | "ssm:GetParameter",
): PolicyStatement[] {
  const unique = [...new Set(arns)];
  const secrets = unique.filter((arn) => arn.includes(":secretsmanager:"));
  const parameters = unique.filter((arn) => arn.includes(":ssm:"));
  return [
    ...(secrets.length
      ? [{ Sid: "ReadNamedSecrets", Effect: "Allow" as const, Action: "secretsmanager:GetSecretValue", Resource: secrets }]
      : []),
    ...(parameters.length ? [{ Sid: "ReadNamedParameters", Effect: "Allow" as const, Action: parameterAction, Resource: parameters }] : []),
  ];
}

/** The application bucket: listing it, and reading objects (with `readWrite`, also writing and deleting them). */
export function appBucketStatements(bucketArn: string, access: "read" | "readWrite"): PolicyStatement[] {
  return [
    { Sid: "ListAppBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
    {
      Sid: "AppBucketObjects",
      Effect: "Allow",
      Action: access === "readWrite" ? ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] : ["s3:GetObject"],
      Resource: `${bucketArn}/*`,
    },
  ];
}

/** Reading one secret and decrypting it with its key, through Secrets Manager only. */
export function readSecretStatements(name: string, secretArn: string, kmsKeyArn: string): PolicyStatement[] {
  return [
    { Sid: `Read${name}`, Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn },
    {
      Sid: `Decrypt${name}`,
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: kmsKeyArn,
      Condition: { StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" } },
    },
  ];
}

/**
 * A trust policy that lets one AWS service assume the role on behalf of `sourceAccount` only,
 * so another account's use of the same service cannot borrow it (the confused-deputy guard).
 */
export function serviceTrustPolicy(service: string, sourceAccount: string): string {
  return policyDocument([
    {
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } },
    },
  ]);
}
