import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Aspects, DefaultTokenResolver, StringConcat, Tokenization, type IAspect, type TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";

type RoleDependent = IamRolePolicy | IamRolePolicyAttachment;

const ROLE_REFERENCE = /^\$\{(aws_iam_role\.[A-Za-z0-9_-]+)\.(?:name|id)\}$/;

function isRoleDependent(node: IConstruct): node is RoleDependent {
  return node instanceof IamRolePolicy || node instanceof IamRolePolicyAttachment;
}

/**
 * Replacing an IAM role under the same name (a tainted role after a cut-short apply, or
 * `-replace`) deletes it with its inline policies and managed-policy attachments, while
 * Terraform sees no change to the resources that declared them: the new role runs without its
 * permissions until a later apply. A new role gets a new `unique_id`, so triggering on it
 * replaces exactly those dependents in the same apply, and an in-place update of the role (tags,
 * description) leaves them alone. Instance profiles are not replaced this way (a new profile is
 * not the running instance's): their role has a generated name instead (DockerHost).
 */
class ReplaceDependentsWithTheirRole implements IAspect {
  visit(node: IConstruct): void {
    if (!isRoleDependent(node)) return;
    const role = Tokenization.resolve(node.roleInput, { scope: node, resolver: new DefaultTokenResolver(new StringConcat()) }) as unknown;
    const match = typeof role === "string" ? ROLE_REFERENCE.exec(role) : null;
    // A role named by a literal is not this stack's: its replacement is not planned here.
    if (!match) return;
    const trigger = `${match[1]}.unique_id`;
    const existing = node.lifecycle?.replaceTriggeredBy ?? [];
    if (existing.includes(trigger)) return;
    node.lifecycle = { ...node.lifecycle, replaceTriggeredBy: [...existing, trigger] };
  }
}

/** Every IAM role's policies and policy attachments in `stack` are replaced when the role is. */
export function replaceRoleDependentsWithTheirRole(stack: TerraformStack): void {
  Aspects.of(stack).add(new ReplaceDependentsWithTheirRole());
}
