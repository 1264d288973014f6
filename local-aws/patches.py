"""
Closes the gaps between moto 5.2.5 and what hashicorp/aws 5.100.0 calls, so the project's
stacks can apply, re-plan clean and destroy against a local AWS. Each patch names the provider
call that needs it. `apply()` is idempotent and runs before moto's server starts.

Never patch moto to accept configuration real AWS would refuse: a patch only makes moto answer
the way AWS does.
"""

from __future__ import annotations

_applied = False


def _s3_bucket_policy_conditions() -> None:
    """
    aws_s3_bucket_policy with a TLS-only statement (Deny when aws:SecureTransport is false),
    read by the S3 backend's HeadObject/PutObject/GetObject on the state: moto evaluates bucket
    policies on object calls, but passes no condition values, ignores the `Bool` operator (the
    condition always "holds") and treats a statement whose condition does not hold as an
    explicit Deny, so every request gets 403. In IAM a statement whose condition does not hold
    simply does not apply. Clients reach S3 only over TLS, and the emulator stands in for those
    endpoints, so requests carry aws:SecureTransport = true.
    """
    import json

    from moto.iam import policy_conditions
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def bool_operation(expected: list[str] | str, actual: str) -> bool:
        values = expected if isinstance(expected, list) else [expected]
        return actual.lower() in (str(v).lower() for v in values)

    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", bool_operation)

    context = {"aws:SecureTransport": "true"}

    def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(self.policy.decode())["Statement"]
        if isinstance(statements, dict):
            statements = [statements]
        permitted = False
        for raw in statements:
            statement = IAMPolicyStatement(raw)
            if not statement._check_conditions(context):
                continue
            result = statement.is_action_permitted(action, resource, incoming_condition_values=context)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission


PATCHES = [_s3_bucket_policy_conditions]


def apply() -> None:
    global _applied
    if _applied:
        return
    for patch in PATCHES:
        patch()
    _applied = True
