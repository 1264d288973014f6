"""
Closes the gaps between moto 5.2.5 and what hashicorp/aws 5.100.0 calls, so the project's
stacks can apply, re-plan clean and destroy against a local AWS. Each patch names the provider
call that needs it. `apply()` is idempotent and runs before moto's server starts.

Never patch moto to accept configuration real AWS would refuse: a patch only makes moto answer
the way AWS does.
"""

from __future__ import annotations

import functools

_applied = False


def _store(backend: object, name: str) -> dict:
    """A dict moto's backend lacks, kept on the backend (so per account and region) under `name`."""
    if not hasattr(backend, name):
        setattr(backend, name, {})
    return getattr(backend, name)


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


#: An image tag containing this stands for an image whose tasks never become healthy.
UNHEALTHY_IMAGE_MARKER = "e2e-unhealthy"


def _ecs_deployments_settle() -> None:
    """
    aws_ecs_service with wait_for_steady_state: the provider waits until the service has one
    deployment and runningCount equals desiredCount. moto runs no task unless
    MOTO_ECS_SERVICE_RUNNING says so, so every apply would wait its 20 minutes and fail. In AWS a
    deployment's tasks start and, once healthy, the service runs its desired count on the new task
    definition: CreateService and UpdateService now leave that state behind.

    A task definition whose image tag contains UNHEALTHY_IMAGE_MARKER (or whose image, named by its
    digest, ECR holds under such a tag) stands for tasks that never become healthy: as the deployment circuit breaker does, UpdateService then puts the service
    back on its previous task definition, with the failure in the service's events and a stopped
    task whose reason says why.
    """
    import copy

    from moto.core.utils import utcnow
    from moto.ecs.models import EC2ContainerServiceBackend, Service, Task
    from moto.moto_api._internal import mock_random

    def settle(service: Service) -> None:
        service.running_count = service.desired_count
        service.pending_count = 0
        if service.deployment_controller.get("type", "ECS") == "ECS" and service.deployments:
            deployment = service.deployments[0]
            deployment.update(
                desiredCount=service.desired_count,
                runningCount=service.desired_count,
                pendingCount=0,
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
                taskDefinition=service.task_definition,
                updatedAt=utcnow(),
            )
            service.deployments = [deployment]

    def tags_of(backend: EC2ContainerServiceBackend, image: str) -> list[str]:
        """An image's tags: the one it names, or, named by digest (repo@sha256:…), those ECR holds it under."""
        if "@" not in image:
            return [image.rsplit(":", 1)[-1]]
        from moto.ecr.models import ecr_backends

        repository, digest = image.split("/", 1)[1].split("@", 1)
        found = ecr_backends[backend.account_id][backend.region_name].repositories.get(repository)
        return [tag for i in (found.images if found else []) if i.get_image_digest() == digest for tag in (i.image_tags or [i.image_tag])]

    def unhealthy(backend: EC2ContainerServiceBackend, task_definition_arn: str | None) -> bool:
        if not task_definition_arn:
            return False
        definition = backend.describe_task_definition(task_definition_arn)
        return any(UNHEALTHY_IMAGE_MARKER in tag for c in definition.container_definitions for tag in tags_of(backend, c.get("image", "")))

    def roll_back(backend: EC2ContainerServiceBackend, service: Service, failed: str, previous: str) -> None:
        service.task_definition = previous
        cluster = backend._get_cluster(service.cluster_arn)
        # A stopped task needs no network interface; moto would try to attach one for awsvpc.
        definition = copy.copy(backend.describe_task_definition(failed))
        definition.network_mode = "none"
        task = Task(
            cluster,
            definition,
            None,
            None,
            backend,
            group=f"service:{service.name}",
            launch_type="FARGATE",
            started_by=service.deployments[0]["id"] if service.deployments else "",
        )
        task.desired_status = "STOPPED"
        task.status = "STOPPED"
        task.stopped_reason = "Task failed ELB health checks"
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        service.events.insert(
            0,
            {
                "id": str(mock_random.uuid4()),
                "createdAt": utcnow(),
                "message": f"(service {service.name}) deployment failed: tasks failed to start; rolling back to {previous}.",
            },
        )

    original_create = EC2ContainerServiceBackend.create_service
    original_update = EC2ContainerServiceBackend.update_service

    def create_service(self: EC2ContainerServiceBackend, *args, **kwargs) -> Service:  # type: ignore[no-untyped-def]
        service = original_create(self, *args, **kwargs)
        settle(service)
        return service

    def update_service(self: EC2ContainerServiceBackend, service_properties: dict) -> Service:  # type: ignore[type-arg]
        cluster = service_properties.get("cluster", "default")
        name = service_properties["service"].split("/")[-1]
        previous = self._get_service(cluster, name).task_definition
        service = original_update(self, service_properties)
        requested = service.task_definition
        if requested != previous and previous and unhealthy(self, requested):
            roll_back(self, service, requested, previous)
        settle(service)
        return service

    EC2ContainerServiceBackend.create_service = create_service
    EC2ContainerServiceBackend.update_service = update_service


def _ecs_run_fargate_task() -> None:
    """
    RunTask of a Fargate task definition whose containers set no memory of their own (Fargate
    allows it: the task's size holds): moto adds up the containers' memory to place the task and
    fails with a 500 on the missing value. A container without memory now counts as 0.
    """
    import copy

    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def calculate(task_definition):  # type: ignore[no-untyped-def]
        sized = copy.copy(task_definition)
        sized.container_definitions = [
            definition
            if any(k in definition for k in ("memory", "memoryReservation", "Memory", "MemoryReservation"))
            else {**definition, "memory": 0}
            for definition in task_definition.container_definitions
        ]
        return original(sized)

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(calculate)


#: A one-off task whose command contains this exits 1: how the e2e shows a failing migration stop a release.
FAILING_COMMAND_MARKER = "e2e-fail"


def _ecs_one_off_tasks_finish() -> None:
    """
    RunTask (a migration, a scheduled job): in AWS the task runs its command and stops, with each
    container's exit code and a stop reason. moto's tasks stay RUNNING forever, so a caller that
    waits for STOPPED would wait out its time limit. A task RunTask starts now stops at once: exit
    code 1 when its command override contains FAILING_COMMAND_MARKER, else 0, and its network
    interface is released (Fargate deletes a stopped task's ENI, and a subnet with one cannot be
    deleted).
    """
    from moto.ec2.models import ec2_backends
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.run_task

    def run_task(self: EC2ContainerServiceBackend, *args, **kwargs):  # type: ignore[no-untyped-def]
        tasks = original(self, *args, **kwargs)
        ec2 = ec2_backends[self.account_id][self.region_name]
        for task in tasks:
            commands = [o.get("command") or [] for o in task.overrides.get("containerOverrides", [])]
            failed = any(FAILING_COMMAND_MARKER in part for command in commands for part in command)
            task.status = "STOPPED"
            task.desired_status = "STOPPED"
            task.stopped_reason = "Essential container in task exited"
            task.stop_code = "EssentialContainerExited"
            for container in task.containers:
                container.last_status = "STOPPED"
                container.exitCode = 1 if failed else 0
            for attachment in task.attachments:
                for detail in attachment.get("details", []):
                    if detail["name"] == "networkInterfaceId":
                        ec2.delete_network_interface(detail["value"])
                attachment["status"] = "DELETED"
        return tasks

    EC2ContainerServiceBackend.run_task = run_task


def _ecs_service_needs_routed_target_group() -> None:
    """
    aws_ecs_service with a load_balancer block: ECS refuses CreateService while the target group
    is attached to no load balancer (no listener or rule forwards to it yet), with
    InvalidParameterException. moto accepts it, so a service created before its listener rule
    went unnoticed.
    """
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.elbv2.models import elbv2_backends

    original = EC2ContainerServiceBackend.create_service

    def create_service(self: EC2ContainerServiceBackend, *args, **kwargs):  # type: ignore[no-untyped-def]
        load_balancers = kwargs.get("load_balancers") if "load_balancers" in kwargs else (args[4] if len(args) > 4 else None)
        elbv2 = elbv2_backends[self.account_id][self.region_name]
        for entry in load_balancers or []:
            arn = entry.get("targetGroupArn")
            group = elbv2.target_groups.get(arn) if arn else None
            if group is not None and not group.load_balancer_arns:
                raise InvalidParameterException(
                    f"The target group with targetGroupArn {arn} does not have an associated load balancer."
                )
        return original(self, *args, **kwargs)

    EC2ContainerServiceBackend.create_service = create_service


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


def _security_group_prefix_list_rule_descriptions() -> None:
    """
    aws_vpc_security_group_ingress_rule with a prefix list (CloudFront's origin-facing list): moto
    keeps only the list's id of the PrefixListIds entry, so the rule's Description is lost and
    every plan re-adds it.
    """
    from moto.ec2.models.security_groups import SecurityGroupRule

    original_init = SecurityGroupRule.__init__
    original_description = SecurityGroupRule.description

    def __init__(self: SecurityGroupRule, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        prefix_list = kwargs.get("prefix_list_id") or (args[7] if len(args) > 7 else None)
        self.prefix_list_description = (prefix_list or {}).get("Description")

    def description(self: SecurityGroupRule) -> str | None:
        return original_description.fget(self) or getattr(self, "prefix_list_description", None)

    SecurityGroupRule.__init__ = __init__
    SecurityGroupRule.description = property(description)


def _cloudfront_policy_behaviours_and_certificates() -> None:
    """
    aws_cloudfront_distribution with cache policies and an ACM certificate: moto answers every
    behaviour with ForwardedValues (AWS leaves the legacy settings out when a cache policy is
    named) and CloudFrontDefaultCertificate true whatever certificate is set, so every plan
    removes the one and unsets the other.
    """
    from moto.cloudfront import models

    behaviour_init = models.DefaultCacheBehaviour.__init__
    certificate_init = models.ViewerCertificate.__init__

    def cache_behaviour(self, config: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
        behaviour_init(self, config)
        if config.get("CachePolicyId") and "ForwardedValues" not in config:
            self.forwarded_values = None

    def viewer_certificate(self, config: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
        certificate_init(self, config)
        if "CloudFrontDefaultCertificate" not in config and (config.get("ACMCertificateArn") or config.get("IAMCertificateId")):
            self.cloud_front_default_certificate = False

    models.DefaultCacheBehaviour.__init__ = cache_behaviour
    models.ViewerCertificate.__init__ = viewer_certificate


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


def _s3_eventbridge_notifications() -> None:
    """
    aws_s3_bucket_notification with `eventbridge = true` (the promotions bucket): moto stores
    PutBucketNotificationConfiguration's EventBridgeConfiguration but GetBucketNotificationConfiguration
    leaves it out, so every plan turns EventBridge delivery on again.
    """
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_notification

    def get_bucket_notification(self: S3Response):  # type: ignore[no-untyped-def]
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is None or configuration.event_bridge is None:
            return original(self)
        if configuration.topic or configuration.queue or configuration.cloud_function:
            raise NotImplementedError("EventBridge beside topic, queue or function notifications")
        self.data["Action"] = "GetBucketNotificationConfiguration"
        return self.serialized(ActionResult({"EventBridgeConfiguration": {}}))

    S3Response.get_bucket_notification = get_bucket_notification


def _iam_remove_role_not_in_profile() -> None:
    """
    aws_iam_role delete (a replaced host role whose instance profile was updated in the same
    apply): RemoveRoleFromInstanceProfile for a role the profile no longer holds fails in AWS with
    NoSuchEntity, which the provider ignores. moto raises a ValueError (HTTP 500), which the SDK
    retries for ten minutes.
    """
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import IAMBackend

    def remove_role_from_instance_profile(self: IAMBackend, profile_name: str, role_name: str) -> None:
        profile = self.get_instance_profile(profile_name)
        role = self.get_role(role_name)
        if role not in profile.roles:
            raise NotFoundException(f"Role {role_name} is not in instance profile {profile_name}.")
        profile.roles.remove(role)

    IAMBackend.remove_role_from_instance_profile = remove_role_from_instance_profile


#: Bucket names other AWS accounts already own: the app's old default state bucket among them.
TAKEN_BUCKET_NAMES = ("platform-infra-terraform-state",)
STRANGER_ACCOUNT = "999999999999"


def _bucket_names_others_own() -> None:
    """
    aws_s3_bucket (the bootstrap's state bucket): bucket names are global across all AWS
    accounts, so a name anyone else holds fails with BucketAlreadyExists. moto's namespace holds
    only the buckets made in the emulator, so a colliding default name went unnoticed. The names
    in TAKEN_BUCKET_NAMES are held by another account from the start.
    """
    from moto.s3.models import s3_backends

    for name in TAKEN_BUCKET_NAMES:
        s3_backends[STRANGER_ACCOUNT]["aws"].create_bucket(name, "us-east-1")


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
        return _store(self.applicationautoscaling_backend, "resource_tags")

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


def _elasticache_parameter_groups() -> None:
    """
    aws_elasticache_parameter_group: moto has no cache parameter group operations at all. Serve
    Create/Describe/Modify/Reset/Delete CacheParameterGroup(s) and DescribeCacheParameters with
    Source=user (the only parameters the provider reads back), and tag them by ARN.
    """
    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache.exceptions import ElastiCacheException
    from moto.elasticache.responses import ElastiCacheResponse

    class CacheParameterGroupNotFound(ElastiCacheException):
        code = "CacheParameterGroupNotFound"

    class CacheParameterGroupAlreadyExists(ElastiCacheException):
        code = "CacheParameterGroupAlreadyExists"

    def groups_of(self: ElastiCacheResponse) -> dict[str, dict]:
        return _store(self.elasticache_backend, "cache_parameter_groups")

    def group(self: ElastiCacheResponse) -> dict:
        name = self._get_param("CacheParameterGroupName")
        if name not in groups_of(self):
            raise CacheParameterGroupNotFound(f"CacheParameterGroup {name} not found.")
        return groups_of(self)[name]

    def public(found: dict) -> dict:
        return {k: v for k, v in found.items() if k != "Parameters"}

    def create_cache_parameter_group(self: ElastiCacheResponse) -> ActionResult:
        name = self._get_param("CacheParameterGroupName")
        if name in groups_of(self):
            raise CacheParameterGroupAlreadyExists(f"CacheParameterGroup {name} already exists.")
        backend = self.elasticache_backend
        arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"
        groups_of(self)[name] = {
            "CacheParameterGroupName": name,
            "CacheParameterGroupFamily": self._get_param("CacheParameterGroupFamily"),
            "Description": self._get_param("Description"),
            "IsGlobal": False,
            "ARN": arn,
            "Parameters": {},
        }
        tags = self._get_param("Tags", [])
        if tags:
            backend.tagging_service.tag_resource(arn, tags)
        return ActionResult({"CacheParameterGroup": public(groups_of(self)[name])})

    def describe_cache_parameter_groups(self: ElastiCacheResponse) -> ActionResult:
        if self._get_param("CacheParameterGroupName"):
            return ActionResult({"CacheParameterGroups": [public(group(self))]})
        return ActionResult({"CacheParameterGroups": [public(g) for g in groups_of(self).values()]})

    def modify_cache_parameter_group(self: ElastiCacheResponse) -> ActionResult:
        found = group(self)
        for item in self._get_param("ParameterNameValues", []):
            found["Parameters"][item["ParameterName"]] = item["ParameterValue"]
        return ActionResult({"CacheParameterGroupName": found["CacheParameterGroupName"]})

    def reset_cache_parameter_group(self: ElastiCacheResponse) -> ActionResult:
        found = group(self)
        if self._get_bool_param("ResetAllParameters"):
            found["Parameters"].clear()
        for item in self._get_param("ParameterNameValues", []):
            found["Parameters"].pop(item["ParameterName"], None)
        return ActionResult({"CacheParameterGroupName": found["CacheParameterGroupName"]})

    def describe_cache_parameters(self: ElastiCacheResponse) -> ActionResult:
        found = group(self)
        # Only user-set parameters exist here; engine defaults are not modelled.
        parameters = [
            {"ParameterName": k, "ParameterValue": v, "Source": "user", "IsModifiable": True, "DataType": "string"}
            for k, v in found["Parameters"].items()
        ]
        return ActionResult({"Parameters": parameters if self._get_param("Source") in (None, "user") else []})

    def delete_cache_parameter_group(self: ElastiCacheResponse) -> EmptyResult:
        group(self)
        del groups_of(self)[self._get_param("CacheParameterGroupName")]
        return EmptyResult()

    for handler in (
        create_cache_parameter_group,
        describe_cache_parameter_groups,
        modify_cache_parameter_group,
        reset_cache_parameter_group,
        describe_cache_parameters,
        delete_cache_parameter_group,
    ):
        setattr(ElastiCacheResponse, handler.__name__, handler)


def _elasticache_user_groups() -> None:
    """
    aws_elasticache_user_group: moto has no user group operations. Serve Create/Describe/Modify/
    Delete UserGroup(s), keeping each user's UserGroupIds in step, and tag groups by ARN.
    DeleteUser answers "deleting" and the next DescribeUsers forgets the user, as AWS does.
    """
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import ElastiCacheException
    from moto.elasticache.responses import ElastiCacheResponse

    class UserGroupNotFound(ElastiCacheException):
        code = "UserGroupNotFound"

    class UserGroupAlreadyExists(ElastiCacheException):
        code = "UserGroupAlreadyExists"

    def groups_of(self: ElastiCacheResponse) -> dict[str, dict]:
        return _store(self.elasticache_backend, "user_groups")

    def group(self: ElastiCacheResponse) -> dict:
        group_id = self._get_param("UserGroupId")
        if group_id not in groups_of(self):
            raise UserGroupNotFound(f"User group {group_id} not found.")
        return groups_of(self)[group_id]

    def link(self: ElastiCacheResponse, group_id: str, user_ids: list[str], add: bool) -> None:
        for user_id in user_ids:
            user = self.elasticache_backend.users.get(user_id)
            if user is None:
                continue
            if add and group_id not in user.user_group_ids:
                user.user_group_ids.append(group_id)
            if not add and group_id in user.user_group_ids:
                user.user_group_ids.remove(group_id)

    def with_replication_groups(found: dict, backend) -> dict:  # type: ignore[no-untyped-def]
        groups = [rg.replication_group_id for rg in backend.replication_groups.values() if found["UserGroupId"] in rg.user_group_ids]
        return {**found, "ReplicationGroups": groups}

    def create_user_group(self: ElastiCacheResponse) -> ActionResult:
        group_id = self._get_param("UserGroupId")
        if group_id in groups_of(self):
            raise UserGroupAlreadyExists(f"User group {group_id} already exists.")
        backend = self.elasticache_backend
        user_ids = self._get_param("UserIds", [])
        arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:usergroup:{group_id}"
        groups_of(self)[group_id] = {
            "UserGroupId": group_id,
            "Status": "active",
            "Engine": self._get_param("Engine"),
            "UserIds": list(user_ids),
            "MinimumEngineVersion": "6.0",
            "ARN": arn,
        }
        link(self, group_id, user_ids, add=True)
        tags = self._get_param("Tags", [])
        if tags:
            backend.tagging_service.tag_resource(arn, tags)
        return ActionResult(with_replication_groups(groups_of(self)[group_id], backend))

    def describe_user_groups(self: ElastiCacheResponse) -> ActionResult:
        backend = self.elasticache_backend
        found = [group(self)] if self._get_param("UserGroupId") else list(groups_of(self).values())
        return ActionResult({"UserGroups": [with_replication_groups(g, backend) for g in found]})

    def modify_user_group(self: ElastiCacheResponse) -> ActionResult:
        found = group(self)
        added = self._get_param("UserIdsToAdd", [])
        removed = self._get_param("UserIdsToRemove", [])
        found["UserIds"] = [u for u in found["UserIds"] if u not in removed] + [u for u in added if u not in found["UserIds"]]
        link(self, found["UserGroupId"], added, add=True)
        link(self, found["UserGroupId"], removed, add=False)
        return ActionResult(with_replication_groups(found, self.elasticache_backend))

    def delete_user_group(self: ElastiCacheResponse) -> ActionResult:
        found = group(self)
        link(self, found["UserGroupId"], found["UserIds"], add=False)
        del groups_of(self)[found["UserGroupId"]]
        return ActionResult({**with_replication_groups(found, self.elasticache_backend), "Status": "deleting"})

    for handler in (create_user_group, describe_user_groups, modify_user_group, delete_user_group):
        setattr(ElastiCacheResponse, handler.__name__, handler)


def _elasticache_tag_arns() -> None:
    """
    Tags on ElastiCache parameter groups and user groups: moto's ARN check for
    ListTagsForResource / AddTagsToResource knows clusters, snapshots, subnet groups, replication
    groups and users only, and refuses the other two resource types AWS tags.
    """
    import re

    from moto.elasticache.models import ElastiCacheBackend

    init = ElastiCacheBackend.__init__

    def __init__(self: ElastiCacheBackend, region_name: str, account_id: str) -> None:
        init(self, region_name, account_id)
        self.arn_regex = re.compile(
            r"^arn:aws:elasticache:.*:[0-9]*:(cluster|snapshot|subnetgroup|replicationgroup|user|parametergroup|usergroup):.*$"
        )

    ElastiCacheBackend.__init__ = __init__


def _elasticache_subnet_group_delete() -> None:
    """aws_elasticache_subnet_group: moto has no DeleteCacheSubnetGroup, so destroy fails."""
    from moto.core.responses import EmptyResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.responses import ElastiCacheResponse

    def delete_cache_subnet_group(self: ElastiCacheResponse) -> EmptyResult:
        name = self._get_param("CacheSubnetGroupName")
        if self.elasticache_backend.cache_subnet_groups.pop(name, None) is None:
            raise CacheSubnetGroupNotFound(name)
        return EmptyResult()

    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group


def _elasticache_replication_group_members() -> None:
    """
    aws_elasticache_replication_group (cluster mode off): moto sizes the group from
    ReplicasPerNodeGroup only, ignoring NumCacheClusters, and registers no cache cluster for its
    members, so the provider's DescribeCacheClusters of the first member fails after create; it
    also leaves out the node group's ReaderEndpoint, which AWS returns. Size it from
    NumCacheClusters, add the reader endpoint, and register each member as a cluster with the
    group's settings and security groups (the provider reads those from the first member).
    DeleteReplicationGroup leaves the group "deleting" forever, and the provider waits
    for it to go: remove it and its members, as AWS does once deletion completes.
    """
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup

    set_members = ReplicationGroup._set_node_members_clusters_disabled

    def set_members_disabled(self: ReplicationGroup, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if not kwargs["replicas_per_node_group"]:
            kwargs["replicas_per_node_group"] = max((kwargs["num_cache_clusters"] or 1) - 1, 0)
        set_members(self, **kwargs)

    create = ElastiCacheBackend.create_replication_group

    def create_replication_group(self: ElastiCacheBackend, **kwargs):  # type: ignore[no-untyped-def]
        group = create(self, **kwargs)
        for node_group in group.node_groups:
            if "reader_endpoint_address" in node_group:
                node_group["reader_endpoint"] = {"address": node_group["reader_endpoint_address"], "port": group.port}
        for member in group.member_clusters:
            cluster = CacheCluster(
                account_id=self.account_id, region_name=self.region_name, cache_cluster_id=member,
                cache_node_type=group.cache_node_type, replication_group_id=group.replication_group_id, az_mode=None,
                preferred_availability_zone=None, num_cache_nodes=1, engine=group.engine,
                engine_version=group.engine_version, cache_parameter_group_name=group.cache_parameter_group_name,
                cache_subnet_group_name=group.cache_subnet_group_name,
                transit_encryption_enabled=group.transit_encryption_enabled, network_type=group.network_type,
                ip_discovery=group.ip_discovery, snapshot_name=None,
                preferred_maintenance_window=group.preferred_maintenance_window, port=group.port,
                notification_topic_arn=group.notification_topic_arn,
                auto_minor_version_upgrade=group.auto_minor_version_upgrade,
                snapshot_retention_limit=group.snapshot_retention_limit, snapshot_window=group.snapshot_window,
                auth_token=None, outpost_mode=None, preferred_outpost_arn=None, preferred_availability_zones=None,
                cache_security_group_names=None, security_group_ids=group.security_group_ids, tags=None,
                snapshot_arns=None, preferred_outpost_arns=None, log_delivery_configurations=[],
                cache_node_ids_to_remove=None, cache_node_ids_to_reboot=None,
            )  # fmt: skip
            # moto sets these for the redis engine only; valkey members are the same kind of node.
            cluster.replication_group_id = group.replication_group_id
            cluster.num_cache_nodes = 1
            cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
            cluster.security_groups = [{"SecurityGroupId": sg, "Status": "active"} for sg in group.security_group_ids or []]
            self.cache_clusters[member] = cluster
        return group

    delete = ElastiCacheBackend.delete_replication_group

    def delete_replication_group(self: ElastiCacheBackend, replication_group_id: str, retain_primary_cluster):  # type: ignore[no-untyped-def]
        existing = self.replication_groups.get(replication_group_id)
        members = list(existing.member_clusters) if existing else []
        group = delete(self, replication_group_id, retain_primary_cluster)
        del self.replication_groups[replication_group_id]
        for member in members:
            self.cache_clusters.pop(member, None)
        return group

    ReplicationGroup._set_node_members_clusters_disabled = set_members_disabled
    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group


def _rds_instance_settings() -> None:
    """
    aws_db_instance: moto gives every instance the same DbiResourceId (the provider's id for the
    resource, so a primary and its replica collide), drops Performance Insights settings (every
    plan turns them back on), and creates a read replica as a copy of its primary that keeps the
    primary's DbiResourceId, Multi-AZ and backup retention and shares its list of log exports.
    Give each instance its own id, store the Performance Insights settings from create and
    modify, and give replicas their own log exports and AWS's replica defaults (single-AZ, no
    backups) unless the request sets them.
    """
    import copy
    import random
    import string

    from moto.rds.models import DBInstance, RDSBackend

    insights = ("enable_performance_insights", "performance_insights_kms_key_id", "performance_insights_retention_period")

    def new_resource_id() -> str:
        return "db-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=26))

    init = DBInstance.__init__

    def __init__(self: DBInstance, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        init(self, *args, **kwargs)
        self.dbi_resource_id = new_resource_id()
        for key in insights:
            setattr(self, key, kwargs.get(key))

    def performance_insights_enabled(self: DBInstance) -> bool:
        return bool(getattr(self, "enable_performance_insights", False))

    def performance_insights_retention_period(self: DBInstance) -> int | None:
        if not performance_insights_enabled(self):
            return None
        return self.__dict__.get("performance_insights_retention_period") or 7

    create_replica = RDSBackend.create_db_instance_read_replica

    def create_db_instance_read_replica(self: RDSBackend, db_kwargs: dict) -> DBInstance:  # type: ignore[type-arg]
        exports = list(db_kwargs.get("enable_cloudwatch_logs_exports") or [])
        replica = create_replica(self, db_kwargs)
        replica.dbi_resource_id = new_resource_id()
        replica.enabled_cloudwatch_logs_exports = exports
        # What AWS gives a replica unless asked otherwise, rather than the primary's settings.
        replica.multi_az = bool(db_kwargs.get("multi_az"))
        replica.backup_retention_period = db_kwargs.get("backup_retention_period") or 0
        replica.tags = copy.deepcopy(db_kwargs.get("tags") or [])
        return replica

    DBInstance.__init__ = __init__
    DBInstance.performance_insights_enabled = property(performance_insights_enabled)
    DBInstance.performance_insights_retention_period = property(
        performance_insights_retention_period,
        lambda self, value: self.__dict__.__setitem__("performance_insights_retention_period", value),
    )
    RDSBackend.create_db_instance_read_replica = create_db_instance_read_replica


def _rds_parameter_sources() -> None:
    """
    aws_db_parameter_group: the provider reads back the parameters it set with
    DescribeDBParameters(Source=user); moto ignores Source and returns parameters without one, so
    every plan re-adds them all. Everything moto stores was set by the user: say so, and honour
    the filter.
    """
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBParameterGroupNotFoundError
    from moto.rds.responses import RDSResponse

    def describe_db_parameters(self: RDSResponse) -> ActionResult:
        name = self.params.get("DBParameterGroupName")
        groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
        if not groups:
            raise DBParameterGroupNotFoundError(name)
        source = self.params.get("Source")
        parameters = [{**p, "Source": "user"} for p in groups[0].parameters.values()] if source in (None, "user") else []
        return ActionResult({"Parameters": parameters})

    RDSResponse.describe_db_parameters = describe_db_parameters


def _cloudwatch_composite_alarms() -> None:
    """
    aws_cloudwatch_composite_alarm: moto stores composite alarms (an alarm with a rule) and
    describes them, but does not route PutCompositeAlarm to the handler that stores them.
    """
    from moto.cloudwatch.responses import CloudWatchResponse

    CloudWatchResponse.put_composite_alarm = CloudWatchResponse.put_metric_alarm


def _instance_groups_from_primary_interface() -> None:
    """
    aws_instance with associate_public_ip_address: the provider then launches through a
    network-interface specification whose Groups moto puts on the interface only, so
    DescribeInstances reports no security groups and every plan wants to add them back. AWS
    reports the primary interface's groups as the instance's.
    """
    from moto.ec2.models.instances import Instance

    original = Instance.prep_nics

    def prep_nics(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        primary = self.nics.get(0)
        if not self.security_groups and primary is not None:
            self.security_groups = list(primary._group_set)

    Instance.prep_nics = prep_nics


def _data_lifecycle_manager() -> None:
    """aws_dlm_lifecycle_policy: moto has no DLM service at all; dlm.py is a minimal one."""
    import dlm

    dlm.register()


def _codebuild_pipeline_projects() -> None:
    """
    aws_codebuild_project run by CodePipeline: moto demands a location for CODEPIPELINE sources
    and artifacts, which AWS does not take, and reports its own encryption key instead of the
    project's, which would show as drift on every plan.
    """
    from moto.codebuild import responses
    from moto.codebuild.responses import CodeBuildResponse

    def pipeline_aware(validate):  # type: ignore[no-untyped-def]
        def check(params):  # type: ignore[no-untyped-def]
            if params.get("type") != "CODEPIPELINE":
                validate(params)

        return check

    responses._validate_required_params_source = pipeline_aware(responses._validate_required_params_source)
    responses._validate_required_params_artifacts = pipeline_aware(responses._validate_required_params_artifacts)
    original = CodeBuildResponse.create_project

    def create_project(self: CodeBuildResponse):  # type: ignore[no-untyped-def]
        result = original(self)
        key = self._get_param("encryptionKey")
        if key:
            self.codebuild_backend.codebuild_projects[self._get_param("name")].project_metadata["encryptionKey"] = key
        return result

    CodeBuildResponse.create_project = create_project


def _budgets_notification_subscribers() -> None:
    """
    aws_budgets_budget: the provider reads each notification's subscribers with
    DescribeSubscribersForNotification after create and on every read; moto has no such operation
    (HTTP 500), so apply retries until it gives up. Serve it from the subscribers moto keeps.
    """
    import json

    from moto.budgets.exceptions import NotFoundException
    from moto.budgets.responses import BudgetsResponse

    same = ("NotificationType", "ComparisonOperator", "Threshold", "ThresholdType")

    def describe_subscribers_for_notification(self: BudgetsResponse) -> str:
        budget = self.backend.budgets[self._get_param("AccountId")].get(self._get_param("BudgetName"))
        wanted = self._get_param("Notification")
        found = [
            n for n in (budget.notifications if budget else []) if all(n.details.get(key) == wanted.get(key) for key in same)
        ]
        if not found:
            raise NotFoundException("Unable to get subscribers - the notification doesn't exist.")
        return json.dumps({"Subscribers": found[0].subscribers})

    BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification  # type: ignore[attr-defined]


def _budgets_tags() -> None:
    """
    aws_budgets_budget: the provider creates the budget with its tags (ResourceTags) and reads them
    with ListTagsForResource after create and on every read; moto has no tag operations for
    Budgets (HTTP 500), so apply retries until it gives up. Keep the tags by the budget's ARN and
    serve Tag/Untag/ListTagsForResource; a deleted budget's tags go with it.
    """
    import json

    from moto.budgets.responses import BudgetsResponse

    def tags(self: BudgetsResponse) -> dict[str, list[dict[str, str]]]:
        return _store(self.backend, "budget_tags")

    def arn(self: BudgetsResponse, name: str) -> str:
        return f"arn:aws:budgets::{self._get_param('AccountId')}:budget/{name}"

    create, delete = BudgetsResponse.create_budget, BudgetsResponse.delete_budget

    def create_budget(self: BudgetsResponse) -> str:
        body = create(self)
        tags(self)[arn(self, self._get_param("Budget")["BudgetName"])] = self._get_param("ResourceTags") or []
        return body

    def delete_budget(self: BudgetsResponse) -> str:
        body = delete(self)
        tags(self).pop(arn(self, self._get_param("BudgetName")), None)
        return body

    def tag_resource(self: BudgetsResponse) -> str:
        held = {t["Key"]: t["Value"] for t in tags(self).get(self._get_param("ResourceARN"), [])}
        held.update({t["Key"]: t["Value"] for t in self._get_param("ResourceTags") or []})
        tags(self)[self._get_param("ResourceARN")] = [{"Key": k, "Value": v} for k, v in held.items()]
        return "{}"

    def untag_resource(self: BudgetsResponse) -> str:
        gone = set(self._get_param("ResourceTagKeys") or [])
        resource = self._get_param("ResourceARN")
        tags(self)[resource] = [t for t in tags(self).get(resource, []) if t["Key"] not in gone]
        return "{}"

    def list_tags_for_resource(self: BudgetsResponse) -> str:
        return json.dumps({"ResourceTags": tags(self).get(self._get_param("ResourceARN"), [])})

    BudgetsResponse.create_budget = create_budget  # type: ignore[method-assign]
    BudgetsResponse.delete_budget = delete_budget  # type: ignore[method-assign]
    BudgetsResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    BudgetsResponse.untag_resource = untag_resource  # type: ignore[attr-defined]
    BudgetsResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]


def _wafv2_ip_set_lock_tokens() -> None:
    """
    aws_wafv2_ip_set: moto hands out 6-character lock tokens for IP sets, which AWS's model (and so
    the strict request check) refuses in UpdateIPSet and DeleteIPSet (a UUID, 36 characters): every
    change and destroy of an IP set failed. Give IP sets whole UUIDs, as AWS does.
    """
    from moto.moto_api._internal import mock_random
    from moto.wafv2.models import FakeIPSet

    init, update = FakeIPSet.__init__, FakeIPSet.update

    def __init__(self: FakeIPSet, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        init(self, *args, **kwargs)
        self.lock_token = str(mock_random.uuid4())

    def update_ip_set(self: FakeIPSet, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        update(self, *args, **kwargs)
        self.lock_token = str(mock_random.uuid4())

    FakeIPSet.__init__ = __init__  # type: ignore[method-assign]
    FakeIPSet.update = update_ip_set  # type: ignore[method-assign]


def _codepipeline_timestamps() -> None:
    """aws_codepipeline: moto sends the pipeline's created/updated times as ISO strings; the JSON protocol (and the provider) wants epoch seconds."""
    from moto.codepipeline.models import CodePipeline
    from moto.core.utils import unix_time

    def metadata(self: CodePipeline) -> dict[str, object]:
        return {"pipelineArn": self._arn, "created": unix_time(self._created), "updated": unix_time(self._updated)}

    CodePipeline.metadata = property(metadata)  # type: ignore[assignment]


#: Patterns in botocore's models that AWS documents but does not enforce as written, by
#: (service, shape), with the reason. Anything else that fails is refused as AWS refuses it.
UNENFORCED_PATTERNS: dict[tuple[str, str], str] = {}


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str):  # type: ignore[no-untyped-def]
    """A model's pattern, compiled once; None for a Java-only construct, AWS's own check, which this cannot repeat."""
    import regex

    try:
        return regex.compile(pattern)
    except regex.error:
        return None


def _constraint_violations(service: str, shape, value, path: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What `value` breaks of `shape`'s constraints (botocore model), as AWS words a ValidationException."""
    found: list[str] = []
    if value is None:
        return found
    meta = shape.metadata
    fail = lambda constraint: found.append(f"Value '{str(value)[:120]}' at '{path}' failed to satisfy constraint: {constraint}")  # noqa: E731
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name in shape.required_members:
            member = shape.members[name]
            if value.get(name) is None and member.serialization.get("location") is None:
                found.append(f"Value null at '{path}{'.' if path else ''}{name}' failed to satisfy constraint: Member must not be null")
        for name, member in shape.members.items():
            if name in value:
                found += _constraint_violations(service, member, value[name], f"{path}{'.' if path else ''}{name}")
    elif kind == "list" and isinstance(value, list):
        if "min" in meta and len(value) < meta["min"]:
            fail(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
        for i, item in enumerate(value):
            found += _constraint_violations(service, shape.member, item, f"{path}.{i + 1}.member")
    elif kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
        for key, item in value.items():
            found += _constraint_violations(service, shape.key, key, f"{path}.key")
            found += _constraint_violations(service, shape.value, item, f"{path}.{key}")
    elif kind == "string" and isinstance(value, str):
        if "min" in meta and len(value) < meta["min"]:
            fail(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
        if shape.enum and value not in shape.enum:
            fail(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = meta.get("pattern")
        if pattern and (service, shape.name) not in UNENFORCED_PATTERNS:
            compiled = _compiled(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                fail(f"Member must satisfy regular expression pattern: {pattern}")
    elif kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)) and not isinstance(value, bool):
        if "min" in meta and value < meta["min"]:
            fail(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            fail(f"Member must have value less than or equal to {meta['max']}")
    return found


_UNCHECKED: set[tuple[str, str]] = set()


def _report_unchecked(response, error: Exception) -> None:  # type: ignore[no-untyped-def]
    """Prints, once per operation, a request the strict check could not read, so a run can say what went unchecked."""
    service = getattr(response, "boto3_service_name", "?")
    try:
        operation = response._get_action()
    except Exception:  # noqa: BLE001
        operation = "?"
    if (service, operation) not in _UNCHECKED:
        _UNCHECKED.add((service, operation))
        print(f"strict: unchecked {service} {operation}: {type(error).__name__}: {str(error)[:160]}", flush=True)


def _error_reply(protocol: str, code: str, message: str, status: int = 400, *, request_id: str, s3: bool = False) -> tuple[int, dict[str, str], str]:
    """
    An AWS error as `protocol` words it, as (HTTP status, headers, body): JSON protocols as
    `{"__type", "message"}` with X-Amzn-ErrorType, EC2 under Response/Errors, S3 under a bare
    Error root (its SDKs read no other), the other XML protocols under ErrorResponse (Type Sender
    for a 4xx, Receiver for a 5xx).
    """
    import xmltodict
    from moto.core.exceptions import JsonRESTError

    if protocol in ("json", "rest-json"):
        error = JsonRESTError(code, message)
        return status, dict(error.get_headers()), error.get_body()
    detail = {"Code": code, "Message": message}
    if protocol == "ec2":
        document: dict[str, object] = {"Response": {"Errors": {"Error": detail}, "RequestID": request_id}}
    elif s3:
        document = {"Error": {**detail, "RequestId": request_id}}
    else:
        document = {"ErrorResponse": {"Error": {"Type": "Sender" if status < 500 else "Receiver", **detail}, "RequestId": request_id}}
    return status, {"Content-Type": "text/xml", "X-Amzn-ErrorType": code}, xmltodict.unparse(document)


def _strict_requests() -> None:
    """
    Every request: AWS checks each parameter against its API model (required members, lengths,
    ranges, enums, patterns) and refuses a violation with ValidationException (JSON protocols),
    ValidationError (query) or InvalidParameterValue (EC2), naming the member. moto accepts
    nearly any value, so a stack that AWS would refuse passed the local cycle. Requests are now
    parsed with botocore's model of the operation, as moto does for some services, and checked.
    """
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.responses import BaseResponse, determine_request_protocol, get_service_model

    original_setup = BaseResponse.setup_class
    original_call = BaseResponse.call_action
    # moto builds a service's model on every request; building it once keeps the checks cheap.
    service_model_of = functools.lru_cache(maxsize=None)(get_service_model)

    def setup_class(self: BaseResponse, request, full_url=None, headers=None, use_raw_body=None):  # type: ignore[no-untyped-def]
        original_setup(self, request, full_url, headers, use_raw_body)
        self._strict = None
        try:
            service_model = service_model_of(self.boto3_service_name)
            operation_model = service_model.operation_model(self._get_action())
            protocol = determine_request_protocol(service_model, request.content_type)
            # Parsed again, into plain dicts under the model's own member names.
            params = PROTOCOL_PARSERS[protocol](operation_model, map_type=dict).parse(
                {
                    "method": request.method,
                    "values": request.values,
                    "headers": request.headers,
                    "body": request.data,
                    "url_path": request.path,
                    "url_params": getattr(self, "uri_match", {}) or {},
                }
            )
            self._strict = (service_model.protocol, operation_model, params)
        except Exception as error:  # noqa: BLE001  (no model, or moto cannot parse it: nothing to check, said once)
            self._strict = None
            _report_unchecked(self, error)

    def call_action(self: BaseResponse):  # type: ignore[no-untyped-def]
        strict = getattr(self, "_strict", None)
        if strict is not None:
            protocol, operation_model, params = strict
            service = operation_model.service_model.service_name
            found = _constraint_violations(service, operation_model.input_shape, dict(params), "") if operation_model.input_shape else []
            if found:
                message = f"{len(found)} validation error{'s' if len(found) > 1 else ''} detected: {'; '.join(found)}"
                code = {"json": "ValidationException", "rest-json": "ValidationException", "ec2": "InvalidParameterValue", "rest-xml": "InvalidInput"}
                status, headers, body = _error_reply(protocol, code.get(protocol, "ValidationError"), message, request_id="strict")
                return status, {**self.response_headers, **headers}, body
        return original_call(self)

    BaseResponse.setup_class = setup_class
    BaseResponse.call_action = call_action


def _code_connections() -> None:
    """aws_codestarconnections_connection: moto has no CodeConnections; codeconnections.py is a minimal one."""
    import codeconnections

    codeconnections.register()


#: Where the fault switch answers: no AWS API path starts with it (an S3 bucket name cannot hold "_").
FAULTS_PATH = "/_local-aws/faults"

#: The retryable errors a fault answers with, per protocol as AWS words them: (code, HTTP status,
#: message). Every AWS SDK retries each: a throttling code, or a 5xx status. EC2 sends its
#: throttling as 503; S3 throttles with SlowDown, 503.
FAULT_ERRORS: dict[str, tuple[tuple[str, int, str], ...]] = {
    "json": (("ThrottlingException", 400, "Rate exceeded"), ("ServiceUnavailableException", 503, "Service unavailable; try again later")),
    "rest-json": (("ThrottlingException", 400, "Rate exceeded"), ("ServiceUnavailableException", 503, "Service unavailable; try again later")),
    "query": (("Throttling", 400, "Rate exceeded"), ("ServiceUnavailable", 503, "Service unavailable; try again later")),
    "ec2": (("RequestLimitExceeded", 503, "Request limit exceeded."), ("Unavailable", 503, "The server is overloaded and can't handle the request.")),
    "rest-xml": (("Throttling", 400, "Rate exceeded"), ("ServiceUnavailable", 503, "Service unavailable; try again later")),
    "s3": (("SlowDown", 503, "Please reduce your request rate."), ("ServiceUnavailable", 503, "Reduce your request rate.")),
}


def _inject_faults() -> None:
    """
    Transient faults on demand, for reliability drills: AWS throttles and has brief outages, and the
    provider's and the S3 backend's SDK retry both (throttling codes, 5xx). With LOCAL_AWS_FAULT_RATE
    (0 to 1; unset or 0: off) that share of signed AWS API requests is answered, before moto sees
    it, with a retryable error in the request's own protocol: a throttle or a 503, drawn from a
    generator seeded with LOCAL_AWS_FAULT_SEED (random when unset). Nothing reaches moto, so a
    retry finds the state unchanged. Unsigned requests (moto's own /moto-api, a health probe) are
    never faulted. FAULTS_PATH switches the rate at run time (POST ?rate=&seed=) and reports it
    with the faults injected and the requests seen, per signing service (GET), as JSON.
    """
    import json
    import os
    import random
    import re
    import threading
    import uuid
    from collections import Counter
    from urllib.parse import parse_qs

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from werkzeug.wrappers import Response

    def rate_of(text: str) -> float:
        rate = float(text)
        if not 0 <= rate <= 1:
            raise ValueError(f"fault rate {text} is not between 0 and 1")
        return rate

    lock = threading.Lock()
    state: dict = {"injected": Counter(), "requests": Counter()}  # type: ignore[type-arg]

    def configure(rate: float, seed: int | None) -> None:
        state["rate"] = rate
        state["seed"] = random.SystemRandom().randrange(2**32) if seed is None else seed
        state["draws"] = random.Random(state["seed"])

    seed = os.environ.get("LOCAL_AWS_FAULT_SEED")
    configure(rate_of(os.environ.get("LOCAL_AWS_FAULT_RATE") or "0"), int(seed) if seed else None)
    if state["rate"]:
        print(f"faults: {state['rate']} of AWS API requests, seed {state['seed']}", flush=True)

    def report() -> dict:  # type: ignore[type-arg]
        return {"rate": state["rate"], "seed": state["seed"], "injected": dict(state["injected"]), "requests": dict(state["requests"])}

    def signing_service(environ: dict) -> str | None:  # type: ignore[type-arg]
        """The service a SigV4 request is signed for (header or presigned URL): only SDK calls carry one."""
        match = re.search(r"Credential=([^,\s]+)", environ.get("HTTP_AUTHORIZATION", ""))
        scope = match.group(1) if match else (parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential") or [""])[0]
        parts = scope.split("/")
        return parts[-2].lower() if len(parts) >= 4 else None

    def protocol_of(environ: dict, service: str) -> str | None:  # type: ignore[type-arg]
        """The request's protocol, read off the wire as AWS does; None for RPC v2 CBOR, which moto does not serve."""
        if environ.get("HTTP_SMITHY_PROTOCOL"):
            return None
        if environ.get("HTTP_X_AMZ_TARGET"):
            return "json"
        if service == "ec2":
            return "ec2"
        if service == "s3":
            control = environ.get("PATH_INFO", "").startswith("/v20180820/") or "s3-control" in environ.get("HTTP_HOST", "")
            return "rest-xml" if control else "s3"
        if service in ("route53", "cloudfront"):
            return "rest-xml"
        form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
        if form or "Action" in parse_qs(environ.get("QUERY_STRING", "")):
            return "query"
        return "rest-json"

    def drain(environ: dict) -> None:  # type: ignore[type-arg]
        """Reads the unread request body, so a kept-alive connection's next request starts where it should."""
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            remaining = int(length)
            while remaining > 0:
                chunk = stream.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
        elif environ.get("wsgi.input_terminated"):
            while stream.read(65536):
                pass

    def control(environ: dict, start_response):  # type: ignore[no-untyped-def,type-arg]
        method = environ.get("REQUEST_METHOD")
        if method == "POST":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            try:
                rate = rate_of(query["rate"][0]) if "rate" in query else state["rate"]
                seed = int(query["seed"][0]) if "seed" in query else None
            except ValueError as error:
                return Response(json.dumps({"error": str(error)}), 400, content_type="application/json")(environ, start_response)
            with lock:
                state["rate"] = rate
                if seed is not None:
                    configure(rate, seed)
        elif method != "GET":
            return Response(json.dumps({"error": "GET or POST"}), 405, content_type="application/json")(environ, start_response)
        with lock:
            body = json.dumps(report())
        return Response(body, 200, content_type="application/json")(environ, start_response)

    original = DomainDispatcherApplication.__call__

    def __call__(self: DomainDispatcherApplication, environ: dict, start_response):  # type: ignore[no-untyped-def,type-arg]
        path = environ.get("PATH_INFO", "")
        if path == FAULTS_PATH:
            return control(environ, start_response)
        service = None if path.startswith("/moto-api") else signing_service(environ)
        protocol = protocol_of(environ, service) if service else None
        if protocol is None:
            return original(self, environ, start_response)
        with lock:
            state["requests"][service] += 1
            fault = state["rate"] > 0 and state["draws"].random() < state["rate"]
            if fault:
                state["injected"][service] += 1
                code, status, message = state["draws"].choice(FAULT_ERRORS[protocol])
        if not fault:
            return original(self, environ, start_response)
        drain(environ)
        request_id = str(uuid.uuid4())
        status, headers, body = _error_reply(
            "rest-xml" if protocol == "s3" else protocol, code, message, status, request_id=request_id, s3=protocol == "s3"
        )
        headers.update({"x-amzn-RequestId": request_id, "x-amz-request-id": request_id, "x-local-aws-fault": code})
        response = Response(b"" if environ.get("REQUEST_METHOD") == "HEAD" else body, status, headers)
        return response(environ, start_response)

    DomainDispatcherApplication.__call__ = __call__


PATCHES = [
    _s3_bucket_policy_conditions,
    _bucket_names_others_own,
    _application_autoscaling_tags,
    _ecs_service_settings,
    _ecs_service_needs_routed_target_group,
    _ecs_deployments_settle,
    _ecs_run_fargate_task,
    _ecs_one_off_tasks_finish,
    _security_group_rule_descriptions,
    _security_group_prefix_list_rule_descriptions,
    _cloudfront_policy_behaviours_and_certificates,
    _codedeploy_deletes,
    _iam_remove_role_not_in_profile,
    _s3_eventbridge_notifications,
    _elasticache_parameter_groups,
    _elasticache_user_groups,
    _elasticache_tag_arns,
    _elasticache_subnet_group_delete,
    _elasticache_replication_group_members,
    _rds_instance_settings,
    _rds_parameter_sources,
    _cloudwatch_composite_alarms,
    _instance_groups_from_primary_interface,
    _data_lifecycle_manager,
    _codebuild_pipeline_projects,
    _codepipeline_timestamps,
    _budgets_notification_subscribers,
    _wafv2_ip_set_lock_tokens,
    _budgets_tags,
    _code_connections,
    _strict_requests,
    _inject_faults,
]


def apply() -> None:
    global _applied
    if _applied:
        return
    for patch in PATCHES:
        patch()
    _applied = True
