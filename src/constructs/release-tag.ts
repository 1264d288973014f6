import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Construct } from "constructs";
import { suppressPolicyCheck } from "../policy-suppressions";

export interface ReleaseTagProps {
  /** `/<project>-<environment>/release/<repository>`. */
  readonly parameterName: string;
  /** The tag deployed until the pipeline records its first release: the definition's `image.tag`. */
  readonly initialTag: string;
}

/**
 * The image tag an environment last released for one repository, as an SSM parameter the
 * pipeline overwrites after each deploy. Task definitions and the single host read their tag from
 * it, so `terraform apply` never rolls a service back to the tag in its definition.
 */
export class ReleaseTag extends Construct {
  /** The recorded tag, read by Terraform at plan time. */
  readonly tag: string;
  readonly parameterName: string;
  readonly parameterArn: string;

  constructor(scope: Construct, id: string, props: ReleaseTagProps) {
    super(scope, id);
    const parameter = new SsmParameter(this, "parameter", {
      name: props.parameterName,
      type: "String",
      // `insecure_value`: a tag is no secret, and a sensitive `value` would hide task definition diffs in plans.
      insecureValue: props.initialTag,
      description: "Image tag of the last release; written by the delivery pipeline",
      lifecycle: { ignoreChanges: ["insecure_value"] },
    });
    suppressPolicyCheck(parameter, "CKV2_AWS_34", "holds an image tag (a commit id), which is not secret");
    this.tag = parameter.insecureValue;
    this.parameterName = parameter.name;
    this.parameterArn = parameter.arn;
  }
}
