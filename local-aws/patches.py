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


def _ecs_service_settings() -> None:
    """
    aws_ecs_service: moto's CreateService drops enableECSManagedTags, enableExecuteCommand,
    availabilityZoneRebalancing, healthCheckGracePeriodSeconds and capacityProviderStrategy
    (reporting launch type EC2 instead), so DescribeServices reads them back as unset and every
    plan after apply wants to change them, or replace a Spot service. Store what CreateService
    was given (UpdateService already stores every parameter it receives).
    """
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service
    settings = {
        "enableECSManagedTags": ("enable_ecs_managed_tags", False),
        "enableExecuteCommand": ("enable_execute_command", False),
        "availabilityZoneRebalancing": ("availability_zone_rebalancing", "DISABLED"),
        "healthCheckGracePeriodSeconds": ("health_check_grace_period_seconds", None),
        "capacityProviderStrategy": ("capacity_provider_strategy", None),
    }

    def create_service(self: EC2ContainerServiceResponse):  # type: ignore[no-untyped-def]
        result = original(self)
        service = result.result["service"]
        for param, (attribute, default) in settings.items():
            value = self._get_param(param)
            setattr(service, attribute, default if value is None else value)
        if service.capacity_provider_strategy and not self._get_param("launchType"):
            service.launch_type = None  # AWS reports no launch type for capacity-provider services
        return result

    EC2ContainerServiceResponse.create_service = create_service


def _security_group_rule_descriptions() -> None:
    """
    aws_vpc_security_group_ingress_rule / _egress_rule that reference another security group:
    moto keeps the rule's Description with the referenced group, but DescribeSecurityGroupRules
    reads it only from CIDR ranges, so the description is lost and every plan re-adds it.
    """
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: SecurityGroupRule) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)


def _codedeploy_deletes() -> None:
    """
    aws_codedeploy_app and aws_codedeploy_deployment_group (blue/green services): moto serves
    the creates and reads but not DeleteApplication or DeleteDeploymentGroup, so destroy fails.
    Deleting an application deletes its deployment groups, as in AWS.
    """
    from moto.codedeploy.exceptions import ApplicationDoesNotExistException, DeploymentGroupDoesNotExistException
    from moto.codedeploy.responses import CodeDeployResponse
    from moto.core.responses import ActionResult, EmptyResult

    def delete_application(self: CodeDeployResponse) -> EmptyResult:
        backend = self.codedeploy_backend
        name = self._get_param("applicationName")
        if name not in backend.applications:
            raise ApplicationDoesNotExistException(f"The application {name} does not exist with the user or AWS account.")
        del backend.applications[name]
        backend.deployment_groups.pop(name, None)
        return EmptyResult()

    def delete_deployment_group(self: CodeDeployResponse) -> ActionResult:
        backend = self.codedeploy_backend
        app = self._get_param("applicationName")
        group = self._get_param("deploymentGroupName")
        if group not in backend.deployment_groups.get(app, {}):
            raise DeploymentGroupDoesNotExistException(f"The deployment group {group} does not exist with the user or AWS account.")
        del backend.deployment_groups[app][group]
        return ActionResult({"hooksNotCleanedUp": []})

    CodeDeployResponse.delete_application = delete_application
    CodeDeployResponse.delete_deployment_group = delete_deployment_group


def _application_autoscaling_tags() -> None:
    """
    aws_appautoscaling_target: the provider registers the target with its tags, then calls
    application-autoscaling ListTagsForResource after create and on every read; moto has no tag
    operations for that service (HTTP 500), so apply retries until it times out. Keep the tags
    given to RegisterScalableTarget and serve Tag/Untag/ListTagsForResource by ARN.
    """
    import json

    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    def tags_of(self: ApplicationAutoScalingResponse) -> dict[str, dict[str, str]]:
        backend = self.applicationautoscaling_backend
        if not hasattr(backend, "resource_tags"):
            backend.resource_tags = {}
        return backend.resource_tags

    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        body = register(self)
        tags = self._get_param("Tags")
        if tags:
            tags_of(self).setdefault(json.loads(body)["ScalableTargetARN"], {}).update(tags)
        return body

    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags_of(self).setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags = tags_of(self).get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        return json.dumps({"Tags": tags_of(self).get(self._get_param("ResourceARN"), {})})

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource


PATCHES = [
    _s3_bucket_policy_conditions,
    _application_autoscaling_tags,
    _ecs_service_settings,
    _security_group_rule_descriptions,
    _codedeploy_deletes,
]


def apply() -> None:
    global _applied
    if _applied:
        return
    for patch in PATCHES:
        patch()
    _applied = True
