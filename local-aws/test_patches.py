"""Each patch in patches.py, proven against the patched server through boto3, as the provider calls it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

import patches


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    patches.apply()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{server._server.server_port}"
    server.stop()


def client(endpoint: str, service: str):
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def tls_policy(bucket: str, secure_transport: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": secure_transport}},
                }
            ],
        }
    )


def test_tls_only_bucket_policy_lets_tls_requests_through(endpoint: str) -> None:
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="tls-only")
    s3.put_bucket_policy(Bucket="tls-only", Policy=tls_policy("tls-only", "false"))
    s3.put_object(Bucket="tls-only", Key="state", Body=b"{}")
    assert s3.get_object(Bucket="tls-only", Key="state")["Body"].read() == b"{}"
    s3.head_object(Bucket="tls-only", Key="state")


def test_a_bucket_name_another_account_owns_is_not_available(endpoint: str) -> None:
    s3 = client(endpoint, "s3")
    with pytest.raises(ClientError) as raised:
        s3.create_bucket(Bucket=patches.TAKEN_BUCKET_NAMES[0])
    assert raised.value.response["Error"]["Code"] == "BucketAlreadyExists"
    s3.create_bucket(Bucket="tfstate-123456789012-us-east-1-probe")


def test_deny_whose_condition_holds_still_denies(endpoint: str) -> None:
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="deny-tls")
    s3.put_bucket_policy(Bucket="deny-tls", Policy=tls_policy("deny-tls", "true"))
    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket="deny-tls", Key="state", Body=b"{}")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403



def test_application_autoscaling_target_tags(endpoint: str) -> None:
    ecs = client(endpoint, "ecs")
    ecs.create_cluster(clusterName="scaled")
    ecs.register_task_definition(family="scaled", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 512}])
    ecs.create_service(cluster="scaled", serviceName="web", taskDefinition="scaled", desiredCount=1)
    scaling = client(endpoint, "application-autoscaling")
    arn = scaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/scaled/web", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1, MaxCapacity=4, Tags={"Environment": "dev"},
    )["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Environment": "dev"}
    scaling.tag_resource(ResourceARN=arn, Tags={"Team": "platform"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Environment"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Team": "platform"}


def test_ecs_service_keeps_its_settings(endpoint: str) -> None:
    ecs = client(endpoint, "ecs")
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(
        family="t", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx", "essential": True}],
    )
    ecs.create_service(
        cluster="c", serviceName="s", taskDefinition="t", desiredCount=1, launchType="FARGATE",
        enableECSManagedTags=True, enableExecuteCommand=True, availabilityZoneRebalancing="ENABLED",
    )
    ecs.create_service(cluster="c", serviceName="plain", taskDefinition="t", desiredCount=1, launchType="FARGATE")
    spot = [{"capacityProvider": "FARGATE", "weight": 50, "base": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 50, "base": 0}]
    ecs.create_service(cluster="c", serviceName="spot", taskDefinition="t", desiredCount=1, capacityProviderStrategy=spot, healthCheckGracePeriodSeconds=60)
    described = {s["serviceName"]: s for s in ecs.describe_services(cluster="c", services=["s", "plain", "spot"])["services"]}
    assert described["s"]["enableECSManagedTags"] is True
    assert described["s"]["enableExecuteCommand"] is True
    assert described["s"]["availabilityZoneRebalancing"] == "ENABLED"
    assert described["plain"]["enableExecuteCommand"] is False
    assert described["plain"]["availabilityZoneRebalancing"] == "DISABLED"
    assert described["spot"]["capacityProviderStrategy"] == spot
    assert described["spot"]["healthCheckGracePeriodSeconds"] == 60
    assert "launchType" not in described["spot"]


def fargate_task(ecs, family: str, image: str) -> str:  # type: ignore[no-untyped-def]
    return ecs.register_task_definition(
        family=family, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": image, "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]


def awsvpc(endpoint: str) -> dict:  # type: ignore[type-arg]
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}}


def test_ecs_service_runs_its_desired_count_on_its_task_definition(endpoint: str) -> None:
    ecs = client(endpoint, "ecs")
    ecs.create_cluster(clusterName="steady")
    first = fargate_task(ecs, "steady", "repo:1")
    ecs.create_service(cluster="steady", serviceName="s", taskDefinition=first, desiredCount=2, launchType="FARGATE", networkConfiguration=awsvpc(endpoint))
    second = fargate_task(ecs, "steady", "repo:2")
    ecs.update_service(cluster="steady", service="s", taskDefinition=second)
    service = ecs.describe_services(cluster="steady", services=["s"])["services"][0]
    assert (service["runningCount"], service["desiredCount"], service["taskDefinition"]) == (2, 2, second)
    assert [(d["rolloutState"], d["runningCount"], d["taskDefinition"]) for d in service["deployments"]] == [("COMPLETED", 2, second)]


def test_ecs_service_rolls_back_from_tasks_that_never_become_healthy(endpoint: str) -> None:
    ecs = client(endpoint, "ecs")
    ecs.create_cluster(clusterName="rollback")
    good = fargate_task(ecs, "rollback", "repo:1")
    ecs.create_service(cluster="rollback", serviceName="s", taskDefinition=good, desiredCount=1, launchType="FARGATE", networkConfiguration=awsvpc(endpoint))
    bad = fargate_task(ecs, "rollback", f"repo:{patches.UNHEALTHY_IMAGE_MARKER}")
    ecs.update_service(cluster="rollback", service="s", taskDefinition=bad)
    service = ecs.describe_services(cluster="rollback", services=["s"])["services"][0]
    assert service["taskDefinition"] == good
    assert "deployment failed" in service["events"][0]["message"]
    stopped = ecs.list_tasks(cluster="rollback", desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster="rollback", tasks=stopped)["tasks"]
    assert [(t["taskDefinitionArn"], t["stoppedReason"]) for t in tasks] == [(bad, "Task failed ELB health checks")]


def task_network(endpoint: str) -> dict:  # type: ignore[type-arg]
    """Subnets in a VPC with DNS hostnames, as the stacks make them (moto names a task's interface only then)."""
    network = awsvpc(endpoint)
    ec2 = client(endpoint, "ec2")
    vpc = ec2.describe_subnets(SubnetIds=network["awsvpcConfiguration"]["subnets"])["Subnets"][0]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    return network


def test_ecs_runs_a_fargate_task_whose_containers_set_no_memory(endpoint: str) -> None:
    ecs = client(endpoint, "ecs")
    ecs.create_cluster(clusterName="sized")
    definition = fargate_task(ecs, "sized", "repo:1")
    started = ecs.run_task(cluster="sized", taskDefinition=definition, launchType="FARGATE", networkConfiguration=task_network(endpoint))
    assert [t["taskDefinitionArn"] for t in started["tasks"]] == [definition]


def test_ecs_one_off_task_stops_with_its_exit_code_and_releases_its_interface(endpoint: str) -> None:
    ecs = client(endpoint, "ecs")
    ecs.create_cluster(clusterName="one-off")
    definition = fargate_task(ecs, "one-off", "repo:1")
    network = task_network(endpoint)
    run = lambda command: ecs.run_task(  # noqa: E731
        cluster="one-off", taskDefinition=definition, launchType="FARGATE", networkConfiguration=network, group="release:migrate",
        overrides={"containerOverrides": [{"name": "app", "command": command}]},
    )["tasks"][0]["taskArn"]
    passed, failed = run(["alembic", "upgrade", "head"]), run(["sh", "-c", f"exit 1 # {patches.FAILING_COMMAND_MARKER}"])
    tasks = {t["taskArn"]: t for t in ecs.describe_tasks(cluster="one-off", tasks=[passed, failed])["tasks"]}
    assert [(tasks[arn]["lastStatus"], tasks[arn]["containers"][0]["exitCode"]) for arn in (passed, failed)] == [("STOPPED", 0), ("STOPPED", 1)]
    assert tasks[failed]["stoppedReason"] == "Essential container in task exited"
    subnet = network["awsvpcConfiguration"]["subnets"][0]
    interfaces = client(endpoint, "ec2").describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])
    assert interfaces["NetworkInterfaces"] == []


def test_ecs_service_rolls_back_from_an_unhealthy_image_named_by_digest(endpoint: str) -> None:
    ecs, ecr = client(endpoint, "ecs"), client(endpoint, "ecr")
    registry = ecr.create_repository(repositoryName="p/app")["repository"]["repositoryUri"]
    layer = {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1}
    digests = {}
    for tag in ("1", f"2-{patches.UNHEALTHY_IMAGE_MARKER}"):
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "layers": [{**layer, "digest": f"sha256:{tag * 8}"}]}
        digests[tag] = ecr.put_image(repositoryName="p/app", imageTag=tag, imageManifest=json.dumps(manifest))["image"]["imageId"]["imageDigest"]
    ecs.create_cluster(clusterName="pinned")
    good = fargate_task(ecs, "pinned", f"{registry}@{digests['1']}")
    ecs.create_service(cluster="pinned", serviceName="s", taskDefinition=good, desiredCount=1, launchType="FARGATE", networkConfiguration=awsvpc(endpoint))
    bad = fargate_task(ecs, "pinned", f"{registry}@{digests[f'2-{patches.UNHEALTHY_IMAGE_MARKER}']}")
    ecs.update_service(cluster="pinned", service="s", taskDefinition=bad)
    assert ecs.describe_services(cluster="pinned", services=["s"])["services"][0]["taskDefinition"] == good


def test_ecs_service_refuses_a_target_group_no_listener_routes_to(endpoint: str) -> None:
    ec2, elbv2, ecs = client(endpoint, "ec2"), client(endpoint, "elbv2"), client(endpoint, "ecs")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    group = elbv2.create_target_group(Name="unrouted", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_cluster(clusterName="routed")
    task = fargate_task(ecs, "routed", "repo:1")
    tasks = ec2.create_security_group(GroupName="routed", Description="routed", VpcId=vpc)["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [tasks], "assignPublicIp": "DISABLED"}}
    service = dict(cluster="routed", taskDefinition=task, desiredCount=1, launchType="FARGATE", networkConfiguration=network,
                   loadBalancers=[{"targetGroupArn": group, "containerName": "app", "containerPort": 80}])
    with pytest.raises(ClientError, match="does not have an associated load balancer"):
        ecs.create_service(serviceName="early", **service)
    alb = elbv2.create_load_balancer(Name="routed", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
    ecs.create_service(serviceName="after-listener", **service)


def test_security_group_rule_keeps_description_of_group_reference(endpoint: str) -> None:
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    alb = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    app = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    rules = ec2.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb, "Description": "from alb"}]}],
    )["SecurityGroupRules"]
    described = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rules[0]["SecurityGroupRuleId"]])["SecurityGroupRules"]
    assert described[0]["Description"] == "from alb"
    assert described[0]["ReferencedGroupInfo"]["GroupId"] == alb


def test_security_group_rule_keeps_description_of_prefix_list(endpoint: str) -> None:
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    alb = ec2.create_security_group(GroupName="alb-cdn", Description="alb", VpcId=vpc)["GroupId"]
    cloudfront = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.global.cloudfront.origin-facing"]}]
    )["PrefixLists"][0]["PrefixListId"]
    rules = ec2.authorize_security_group_ingress(
        GroupId=alb,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": cloudfront, "Description": "from cdn"}]}
        ],
    )["SecurityGroupRules"]
    described = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rules[0]["SecurityGroupRuleId"]])["SecurityGroupRules"]
    assert described[0]["Description"] == "from cdn"
    assert described[0]["PrefixListId"] == cloudfront


def test_cloudfront_leaves_out_legacy_settings_with_a_cache_policy_and_keeps_the_certificate(endpoint: str) -> None:
    cloudfront = client(endpoint, "cloudfront")
    behaviour = {
        "TargetOriginId": "alb",
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    }
    created = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "patch-test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "alb",
                        "DomainName": "origin.example.com",
                        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
                    }
                ],
            },
            "DefaultCacheBehavior": behaviour,
            "CacheBehaviors": {"Quantity": 1, "Items": [{**behaviour, "PathPattern": "/api/*"}]},
            "ViewerCertificate": {
                "ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
        }
    )["Distribution"]
    config = cloudfront.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    assert "ForwardedValues" not in config["DefaultCacheBehavior"]
    assert "ForwardedValues" not in config["CacheBehaviors"]["Items"][0]
    assert config["ViewerCertificate"]["CloudFrontDefaultCertificate"] is False


def test_codedeploy_application_and_group_can_be_deleted(endpoint: str) -> None:
    codedeploy = client(endpoint, "codedeploy")
    codedeploy.create_application(applicationName="app", computePlatform="ECS")
    codedeploy.create_deployment_group(
        applicationName="app", deploymentGroupName="group", serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy"
    )
    codedeploy.delete_deployment_group(applicationName="app", deploymentGroupName="group")
    with pytest.raises(ClientError) as missing_group:
        codedeploy.get_deployment_group(applicationName="app", deploymentGroupName="group")
    assert missing_group.value.response["Error"]["Code"] == "DeploymentGroupDoesNotExistException"
    codedeploy.delete_application(applicationName="app")
    with pytest.raises(ClientError) as missing_app:
        codedeploy.get_application(applicationName="app")
    assert missing_app.value.response["Error"]["Code"] == "ApplicationDoesNotExistException"


def test_removing_a_role_its_profile_no_longer_holds_is_no_such_entity(endpoint: str) -> None:
    iam = client(endpoint, "iam")
    iam.create_role(RoleName="host", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="host")
    iam.add_role_to_instance_profile(InstanceProfileName="host", RoleName="host")
    iam.remove_role_from_instance_profile(InstanceProfileName="host", RoleName="host")
    assert error_code(lambda: iam.remove_role_from_instance_profile(InstanceProfileName="host", RoleName="host")) == "NoSuchEntity"


def test_bucket_notification_reports_eventbridge_delivery(endpoint: str) -> None:
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="promotions")
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket="promotions")
    s3.put_bucket_notification_configuration(Bucket="promotions", NotificationConfiguration={"EventBridgeConfiguration": {}})
    assert s3.get_bucket_notification_configuration(Bucket="promotions")["EventBridgeConfiguration"] == {}


def error_code(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as error:
        call()
    return error.value.response["Error"]["Code"]


def test_elasticache_parameter_group_lifecycle(endpoint: str) -> None:
    cache = client(endpoint, "elasticache")
    arn = cache.create_cache_parameter_group(
        CacheParameterGroupName="lru", CacheParameterGroupFamily="redis7", Description="eviction", Tags=[{"Key": "Env", "Value": "dev"}]
    )["CacheParameterGroup"]["ARN"]
    cache.modify_cache_parameter_group(
        CacheParameterGroupName="lru", ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}]
    )
    group = cache.describe_cache_parameter_groups(CacheParameterGroupName="lru")["CacheParameterGroups"][0]
    assert (group["CacheParameterGroupFamily"], group["Description"]) == ("redis7", "eviction")
    parameters = cache.describe_cache_parameters(CacheParameterGroupName="lru", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"]) for p in parameters] == [("maxmemory-policy", "allkeys-lru")]
    assert cache.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "Env", "Value": "dev"}]
    cache.delete_cache_parameter_group(CacheParameterGroupName="lru")
    assert error_code(lambda: cache.describe_cache_parameter_groups(CacheParameterGroupName="lru")) == "CacheParameterGroupNotFound"


def test_elasticache_user_group_lifecycle(endpoint: str) -> None:
    cache = client(endpoint, "elasticache")
    cache.create_user(UserId="app-default", UserName="default", Engine="redis", AccessString="off -@all", NoPasswordRequired=True)
    cache.create_user(UserId="app", UserName="app", Engine="redis", AccessString="on ~* +@all", AuthenticationMode={"Type": "iam"})
    arn = cache.create_user_group(UserGroupId="app-users", Engine="redis", UserIds=["app-default", "app"])["ARN"]
    group = cache.describe_user_groups(UserGroupId="app-users")["UserGroups"][0]
    assert (group["Status"], group["UserIds"]) == ("active", ["app-default", "app"])
    assert cache.describe_users(UserId="app")["Users"][0]["UserGroupIds"] == ["app-users"]
    assert cache.list_tags_for_resource(ResourceName=arn)["TagList"] == []
    cache.modify_user_group(UserGroupId="app-users", UserIdsToRemove=["app"])
    assert cache.describe_user_groups(UserGroupId="app-users")["UserGroups"][0]["UserIds"] == ["app-default"]
    cache.delete_user_group(UserGroupId="app-users")
    assert error_code(lambda: cache.describe_user_groups(UserGroupId="app-users")) == "UserGroupNotFound"


def test_elasticache_subnet_group_can_be_deleted(endpoint: str) -> None:
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    cache = client(endpoint, "elasticache")
    cache.create_cache_subnet_group(CacheSubnetGroupName="isolated", CacheSubnetGroupDescription="d", SubnetIds=[subnet])
    cache.delete_cache_subnet_group(CacheSubnetGroupName="isolated")
    assert error_code(lambda: cache.describe_cache_subnet_groups(CacheSubnetGroupName="isolated")) == "CacheSubnetGroupNotFoundFault"


def test_elasticache_replication_group_members_endpoints_and_delete(endpoint: str) -> None:
    cache = client(endpoint, "elasticache")
    cache.create_replication_group(
        ReplicationGroupId="pair", ReplicationGroupDescription="d", Engine="redis", CacheNodeType="cache.t4g.small",
        NumCacheClusters=2, AutomaticFailoverEnabled=True, MultiAZEnabled=True, SecurityGroupIds=["sg-12345678"],
    )
    group = cache.describe_replication_groups(ReplicationGroupId="pair")["ReplicationGroups"][0]
    assert group["MemberClusters"] == ["pair-001", "pair-002"]
    assert group["NodeGroups"][0]["ReaderEndpoint"]["Address"].startswith("replica.")
    member = cache.describe_cache_clusters(CacheClusterId="pair-001")["CacheClusters"][0]
    assert member["ReplicationGroupId"] == "pair"
    assert member["SecurityGroups"] == [{"SecurityGroupId": "sg-12345678", "Status": "active"}]
    cache.delete_replication_group(ReplicationGroupId="pair")
    assert error_code(lambda: cache.describe_replication_groups(ReplicationGroupId="pair")) == "ReplicationGroupNotFoundFault"
    assert error_code(lambda: cache.describe_cache_clusters(CacheClusterId="pair-002")) == "CacheClusterNotFound"


def test_rds_instances_have_own_ids_insights_and_replica_defaults(endpoint: str) -> None:
    rds = client(endpoint, "rds")
    rds.create_db_instance(
        DBInstanceIdentifier="primary", DBInstanceClass="db.t4g.small", Engine="postgres", MasterUsername="app",
        MasterUserPassword="not-a-real-secret-1", AllocatedStorage=20, MultiAZ=True, BackupRetentionPeriod=30,
        EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId="arn:aws:kms:us-east-1:123456789012:key/k",
        EnableCloudwatchLogsExports=["postgresql"],
    )
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="replica", SourceDBInstanceIdentifier="primary", EnableCloudwatchLogsExports=["postgresql", "upgrade"]
    )
    primary, replica = (rds.describe_db_instances(DBInstanceIdentifier=i)["DBInstances"][0] for i in ("primary", "replica"))
    assert primary["DbiResourceId"] != replica["DbiResourceId"]
    assert (primary["PerformanceInsightsEnabled"], primary["PerformanceInsightsRetentionPeriod"]) == (True, 7)
    assert primary["PerformanceInsightsKMSKeyId"].endswith(":key/k")
    assert primary["EnabledCloudwatchLogsExports"] == ["postgresql"]
    assert replica["EnabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert (replica["MultiAZ"], replica["BackupRetentionPeriod"]) == (False, 0)


def test_rds_parameters_read_back_as_user_set(endpoint: str) -> None:
    rds = client(endpoint, "rds")
    rds.create_db_parameter_group(DBParameterGroupName="tls", DBParameterGroupFamily="postgres16", Description="d")
    rds.modify_db_parameter_group(
        DBParameterGroupName="tls", Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}]
    )
    user = rds.describe_db_parameters(DBParameterGroupName="tls", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"], p["Source"]) for p in user] == [("rds.force_ssl", "1", "user")]
    assert rds.describe_db_parameters(DBParameterGroupName="tls", Source="engine-default")["Parameters"] == []


def test_cloudwatch_composite_alarm_is_stored_and_described(endpoint: str) -> None:
    cloudwatch = client(endpoint, "cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="cpu", Namespace="AWS/ECS", MetricName="CPUUtilization", Statistic="Average", Period=300,
        EvaluationPeriods=1, Threshold=80, ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.put_composite_alarm(AlarmName="health", AlarmRule='ALARM("cpu")', AlarmActions=["arn:aws:sns:us-east-1:123456789012:t"])
    composite = cloudwatch.describe_alarms(AlarmNames=["health"])["CompositeAlarms"]
    assert [(a["AlarmName"], a["AlarmRule"], a["AlarmActions"]) for a in composite] == [
        ("health", 'ALARM("cpu")', ["arn:aws:sns:us-east-1:123456789012:t"])
    ]


def test_data_lifecycle_manager_keeps_policies_and_their_tags(endpoint: str) -> None:
    dlm = client(endpoint, "dlm")
    details = {
        "ResourceTypes": ["VOLUME"],
        "TargetTags": [{"Key": "Snapshots", "Value": "app-data"}],
        "Schedules": [{"Name": "daily", "CreateRule": {"Interval": 24, "IntervalUnit": "HOURS", "Times": ["03:00"]}, "RetainRule": {"Count": 7}}],
    }
    policy_id = dlm.create_lifecycle_policy(
        ExecutionRoleArn="arn:aws:iam::123456789012:role/dlm",
        Description="app-data daily snapshots",
        State="ENABLED",
        PolicyDetails=details,
        Tags={"Name": "app-data"},
    )["PolicyId"]
    policy = dlm.get_lifecycle_policy(PolicyId=policy_id)["Policy"]
    assert policy["PolicyDetails"] == details
    assert policy["Tags"] == {"Name": "app-data"}
    arn = policy["PolicyArn"]

    dlm.tag_resource(ResourceArn=arn, Tags={"Team": "platform"})
    dlm.untag_resource(ResourceArn=arn, TagKeys=["Name"])
    assert dlm.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"Team": "platform"}
    dlm.update_lifecycle_policy(PolicyId=policy_id, State="DISABLED")
    assert dlm.get_lifecycle_policy(PolicyId=policy_id)["Policy"]["State"] == "DISABLED"

    dlm.delete_lifecycle_policy(PolicyId=policy_id)
    with pytest.raises(ClientError) as gone:
        dlm.get_lifecycle_policy(PolicyId=policy_id)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_instance_reports_the_groups_of_its_primary_interface(endpoint: str) -> None:
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="host", Description="host", VpcId=vpc)["GroupId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.small",
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [group], "AssociatePublicIpAddress": True}],
    )["Instances"][0]["InstanceId"]
    described = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]
    assert [g["GroupId"] for g in described["SecurityGroups"]] == [group]


def codepipeline_role(endpoint: str, name: str) -> str:
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    return client(endpoint, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def test_codebuild_project_run_by_a_pipeline_keeps_its_key(endpoint: str) -> None:
    codebuild = client(endpoint, "codebuild")
    key = "arn:aws:kms:us-east-1:123456789012:key/0b4d4ecf-94ad-4e3b-a6e5-1a1b2c3d4e5f"
    codebuild.create_project(
        name="pipeline-build",
        source={"type": "CODEPIPELINE", "buildspec": "version: 0.2"},
        artifacts={"type": "CODEPIPELINE"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole="arn:aws:iam::123456789012:role/pipeline-build",
        encryptionKey=key,
    )
    [project] = codebuild.batch_get_projects(names=["pipeline-build"])["projects"]
    assert project["source"]["type"] == "CODEPIPELINE"
    assert project["encryptionKey"] == key


def test_codepipeline_reports_its_times_as_timestamps(endpoint: str) -> None:
    codepipeline = client(endpoint, "codepipeline")
    stages = [
        {
            "name": name,
            "actions": [
                {
                    "name": name,
                    "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
                    "configuration": {},
                    **artifacts,
                }
            ],
        }
        for name, category, provider, artifacts in [
            ("Source", "Source", "S3", {"outputArtifacts": [{"name": "source"}]}),
            ("Build", "Build", "CodeBuild", {"inputArtifacts": [{"name": "source"}]}),
        ]
    ]
    codepipeline.create_pipeline(
        pipeline={
            "name": "timestamps",
            "roleArn": codepipeline_role(endpoint, "timestamps-pipeline"),
            "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": stages,
        }
    )
    raw: list[bytes] = []
    # boto3 would also parse ISO strings; the provider's Go SDK takes only epoch numbers, so check the wire.
    codepipeline.meta.events.register("after-call.codepipeline.GetPipeline", lambda http_response, **_: raw.append(http_response.content))
    codepipeline.get_pipeline(name="timestamps")
    metadata = json.loads(raw[0])["metadata"]
    assert isinstance(metadata["created"], (int, float)) and metadata["updated"] >= metadata["created"]


def test_code_connections_are_listed_page_by_page(endpoint: str) -> None:
    connections = client(endpoint, "codestar-connections")
    arns = [connections.create_connection(ProviderType="GitHub", ConnectionName=f"env-{i}-github")["ConnectionArn"] for i in range(3)]
    first = connections.list_connections(ProviderTypeFilter="GitHub", MaxResults=2)
    second = connections.list_connections(ProviderTypeFilter="GitHub", MaxResults=2, NextToken=first["NextToken"])
    assert [c["ConnectionArn"] for c in first["Connections"] + second["Connections"]] == arns
    assert "NextToken" not in second
    assert connections.list_connections(ProviderTypeFilter="Bitbucket")["Connections"] == []
    for arn in arns:
        connections.delete_connection(ConnectionArn=arn)


def test_code_connections_lifecycle_and_tags(endpoint: str) -> None:
    connections = client(endpoint, "codestar-connections")
    arn = connections.create_connection(ProviderType="GitHub", ConnectionName="app-github", Tags=[{"Key": "Project", "Value": "app"}])[
        "ConnectionArn"
    ]
    connection = connections.get_connection(ConnectionArn=arn)["Connection"]
    assert connection["ConnectionName"] == "app-github"
    # As in AWS: a new connection waits for someone to approve it in the console.
    assert connection["ConnectionStatus"] == "PENDING"
    connections.tag_resource(ResourceArn=arn, Tags=[{"Key": "Team", "Value": "platform"}])
    connections.untag_resource(ResourceArn=arn, TagKeys=["Project"])
    assert connections.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "Team", "Value": "platform"}]
    connections.delete_connection(ConnectionArn=arn)
    with pytest.raises(ClientError) as missing:
        connections.get_connection(ConnectionArn=arn)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def budget_with_notifications(budgets, name: str, topic: str) -> None:  # type: ignore[no-untyped-def]
    budgets.create_budget(
        AccountId="123456789012",
        Budget={"BudgetName": name, "BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": "175.0", "Unit": "USD"}},
        NotificationsWithSubscribers=[
            {
                "Notification": {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN", "Threshold": threshold, "ThresholdType": "PERCENTAGE"},
                "Subscribers": [{"SubscriptionType": "SNS", "Address": topic}],
            }
            for kind, threshold in (("ACTUAL", 80.0), ("FORECASTED", 100.0))
        ],
        ResourceTags=[{"Key": "Environment", "Value": "dev"}],
    )


def test_budget_notification_subscribers_are_read_back(endpoint: str) -> None:
    budgets = client(endpoint, "budgets")
    topic = "arn:aws:sns:us-east-1:123456789012:alarms"
    budget_with_notifications(budgets, "subscribers", topic)
    for notification in budgets.describe_notifications_for_budget(AccountId="123456789012", BudgetName="subscribers")["Notifications"]:
        subscribers = budgets.describe_subscribers_for_notification(AccountId="123456789012", BudgetName="subscribers", Notification=notification)
        assert subscribers["Subscribers"] == [{"SubscriptionType": "SNS", "Address": topic}]
    with pytest.raises(ClientError) as missing:
        budgets.describe_subscribers_for_notification(
            AccountId="123456789012",
            BudgetName="subscribers",
            Notification={"NotificationType": "ACTUAL", "ComparisonOperator": "LESS_THAN", "Threshold": 1.0},
        )
    assert missing.value.response["Error"]["Code"] == "NotFoundException"
    budgets.delete_budget(AccountId="123456789012", BudgetName="subscribers")


def test_budget_tags_are_kept_by_arn(endpoint: str) -> None:
    budgets = client(endpoint, "budgets")
    budget_with_notifications(budgets, "tagged", "arn:aws:sns:us-east-1:123456789012:alarms")
    arn = "arn:aws:budgets::123456789012:budget/tagged"
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "Environment", "Value": "dev"}]
    budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "Team", "Value": "platform"}])
    budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["Environment"])
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "Team", "Value": "platform"}]
    budgets.delete_budget(AccountId="123456789012", BudgetName="tagged")
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == []


def test_wafv2_ip_sets_take_updates_and_deletes_with_their_lock_token(endpoint: str) -> None:
    waf = client(endpoint, "wafv2")
    created = waf.create_ip_set(Name="deny", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["203.0.113.0/24"])["Summary"]
    assert len(created["LockToken"]) == 36
    token = waf.update_ip_set(
        Name="deny", Scope="REGIONAL", Id=created["Id"], Addresses=["203.0.113.7/32"], LockToken=created["LockToken"]
    )["NextLockToken"]
    assert waf.get_ip_set(Name="deny", Scope="REGIONAL", Id=created["Id"])["IPSet"]["Addresses"] == ["203.0.113.7/32"]
    waf.delete_ip_set(Name="deny", Scope="REGIONAL", Id=created["Id"], LockToken=token)
    assert waf.list_ip_sets(Scope="REGIONAL")["IPSets"] == []


def unchecked(endpoint: str, service: str):  # type: ignore[no-untyped-def]
    """A client that sends what it is given, as the Terraform provider's Go SDK does: botocore checks some ranges itself."""
    from botocore.config import Config

    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(parameter_validation=False),
    )


def error_of(call) -> dict:  # type: ignore[no-untyped-def,type-arg]
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]


def test_strict_query_protocol_refuses_a_name_over_its_length(endpoint: str) -> None:
    error = error_of(lambda: client(endpoint, "iam").create_role(RoleName="r" * 65, AssumeRolePolicyDocument="{}"))
    assert error["Code"] == "ValidationError"
    assert "at 'RoleName' failed to satisfy constraint: Member must have length less than or equal to 64" in error["Message"]


def test_strict_ec2_protocol_refuses_a_value_out_of_range(endpoint: str) -> None:
    error = error_of(lambda: unchecked(endpoint, "ec2").describe_vpcs(MaxResults=2))
    assert error["Code"] == "InvalidParameterValue"
    assert "at 'MaxResults' failed to satisfy constraint: Member must have value greater than or equal to 5" in error["Message"]


def test_strict_json_protocol_refuses_a_name_over_its_length(endpoint: str) -> None:
    error = error_of(lambda: client(endpoint, "logs").create_log_group(logGroupName="g" * 513))
    assert error["Code"] == "ValidationException"
    assert "at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512" in error["Message"]


def test_strict_rest_json_protocol_refuses_text_its_pattern_forbids(endpoint: str) -> None:
    dlm = client(endpoint, "dlm")
    error = error_of(
        lambda: dlm.create_lifecycle_policy(
            ExecutionRoleArn="arn:aws:iam::123456789012:role/dlm", Description="daily!", State="ENABLED",
            PolicyDetails={"ResourceTypes": ["VOLUME"], "TargetTags": [{"Key": "k", "Value": "v"}],
                           "Schedules": [{"Name": "daily", "CreateRule": {"Interval": 24, "IntervalUnit": "HOURS"}, "RetainRule": {"Count": 7}}]},
        )
    )
    assert error["Code"] == "ValidationException"
    assert "at 'Description' failed to satisfy constraint: Member must satisfy regular expression pattern" in error["Message"]


def test_strict_rest_xml_protocol_refuses_a_reference_over_its_length(endpoint: str) -> None:
    error = error_of(lambda: client(endpoint, "route53").create_hosted_zone(Name="strict.example.org", CallerReference="c" * 129))
    assert error["Code"] == "InvalidInput"
    assert "at 'CallerReference' failed to satisfy constraint: Member must have length less than or equal to 128" in error["Message"]


def test_strict_requests_let_valid_ones_through(endpoint: str) -> None:
    client(endpoint, "logs").create_log_group(logGroupName="/strict/valid")
    client(endpoint, "ec2").describe_vpcs(MaxResults=5)


def test_strict_requests_name_once_each_operation_they_could_not_check(capsys: pytest.CaptureFixture[str]) -> None:
    class Unreadable:
        boto3_service_name = "example"

        def _get_action(self) -> str:
            return "DoThing"

    patches._report_unchecked(Unreadable(), ValueError("no model"))
    patches._report_unchecked(Unreadable(), ValueError("no model"))
    assert capsys.readouterr().out == "strict: unchecked example DoThing: ValueError: no model\n"


def control(endpoint: str, method: str = "GET", query: str = "") -> tuple[int, dict]:  # type: ignore[type-arg]
    """The fault switch, called as a drill would (plain HTTP, unsigned)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{endpoint}{patches.FAULTS_PATH}{'?' + query if query else ''}", method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def faults(endpoint: str):  # type: ignore[no-untyped-def]
    """Sets the emulator's fault rate (and seed); faults are off again after the test."""

    def switch(rate: float, seed: int | None = None) -> dict:  # type: ignore[type-arg]
        status, state = control(endpoint, "POST", f"rate={rate}" + (f"&seed={seed}" if seed is not None else ""))
        assert status == 200, state
        return state

    yield switch
    switch(0)


def single_try(endpoint: str, service: str):  # type: ignore[no-untyped-def]
    """A client that makes one attempt, so each answer the emulator gives is seen, and keeps each raw body."""
    from botocore.config import Config

    made = boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )
    made.raw_bodies = []  # type: ignore[attr-defined]
    made.meta.events.register("after-call", lambda http_response, **_: made.raw_bodies.append(http_response.content))
    return made


#: What the AWS SDK for Go v2's standard retryer retries (aws/retry/standard.go): these throttling codes, and these statuses.
SDK_THROTTLE_CODES = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown", "TooManyRequestsException"}
SDK_RETRYABLE_STATUSES = {500, 502, 503, 504}


def injected(endpoint: str) -> dict[str, int]:
    return control(endpoint)[1]["injected"]


#: A call of each protocol: (protocol, service, call, what the raw error body starts with).
PROTOCOL_CALLS = [
    ("json", "sqs", lambda c: c.list_queues(), b'{"__type": '),
    ("query", "iam", lambda c: c.list_roles(), b'<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Error>'),
    ("ec2", "ec2", lambda c: c.describe_vpcs(), b'<?xml version="1.0" encoding="utf-8"?>\n<Response><Errors><Error>'),
    ("s3", "s3", lambda c: c.list_buckets(), b'<?xml version="1.0" encoding="utf-8"?>\n<Error><Code>'),
    ("rest-xml", "route53", lambda c: c.list_hosted_zones(), b'<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Error>'),
    ("rest-json", "lambda", lambda c: c.list_functions(), b'{"__type": '),
]


def test_faults_answer_every_call_at_rate_one_retryably_in_its_protocols_shape(endpoint: str, faults) -> None:  # type: ignore[no-untyped-def]
    before = injected(endpoint)
    faults(1, seed=1)
    for protocol, service, call, body_start in PROTOCOL_CALLS:
        made = single_try(endpoint, service)
        seen = set()
        for _ in range(8):
            with pytest.raises(ClientError) as raised:
                call(made)
            error, status = raised.value.response["Error"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]
            assert (error["Code"], status, error["Message"]) in patches.FAULT_ERRORS[protocol], (service, error, status)
            assert error["Code"] in SDK_THROTTLE_CODES or status in SDK_RETRYABLE_STATUSES
            assert made.raw_bodies[-1].startswith(body_start), (service, made.raw_bodies[-1])
            seen.add(error["Code"])
        # Throttles and outages are mixed.
        assert seen == {code for code, _, _ in patches.FAULT_ERRORS[protocol]}, (service, seen)
    after = injected(endpoint)
    assert {s: after.get(s, 0) - before.get(s, 0) for _, s, _, _ in PROTOCOL_CALLS} == {s: 8 for _, s, _, _ in PROTOCOL_CALLS}


def test_faults_leave_a_head_request_without_a_body(endpoint: str, faults) -> None:  # type: ignore[no-untyped-def]
    s3 = single_try(endpoint, "s3")
    s3.create_bucket(Bucket="fault-head")
    s3.put_object(Bucket="fault-head", Key="state", Body=b"{}")
    faults(1)
    with pytest.raises(ClientError) as raised:
        s3.head_object(Bucket="fault-head", Key="state")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert s3.raw_bodies[-1] == b""


def test_faults_off_at_rate_zero(endpoint: str, faults) -> None:  # type: ignore[no-untyped-def]
    before = injected(endpoint)
    faults(0)
    for _, service, call, _ in PROTOCOL_CALLS:
        made = single_try(endpoint, service)
        for _ in range(5):
            call(made)
    assert injected(endpoint) == before


def test_faulted_request_reaches_nothing_and_its_retry_succeeds(endpoint: str, faults) -> None:  # type: ignore[no-untyped-def]
    logs = single_try(endpoint, "logs")
    faults(1)
    with pytest.raises(ClientError):
        logs.create_log_group(logGroupName="/faults/once")
    faults(0)
    assert logs.describe_log_groups(logGroupNamePrefix="/faults/once")["logGroups"] == []
    # The body of the faulted request was read off the connection: the next request on it is whole.
    logs.create_log_group(logGroupName="/faults/once")
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/faults/once")["logGroups"]] == ["/faults/once"]


def test_fault_draws_repeat_with_their_seed(endpoint: str, faults) -> None:  # type: ignore[no-untyped-def]
    sqs = single_try(endpoint, "sqs")

    def pattern() -> list[str]:
        answers = []
        for _ in range(24):
            try:
                sqs.list_queues()
                answers.append("ok")
            except ClientError as error:
                answers.append(error.response["Error"]["Code"])
        return answers

    faults(0.5, seed=7)
    first = pattern()
    faults(0.5, seed=7)
    assert pattern() == first
    assert "ok" in first and len(set(first)) > 2


def test_fault_switch_reports_and_refuses_a_rate_out_of_range(endpoint: str, faults) -> None:  # type: ignore[no-untyped-def]
    state = faults(0.25, seed=42)
    assert (state["rate"], state["seed"]) == (0.25, 42)
    assert set(state) == {"rate", "seed", "injected", "requests"}
    assert control(endpoint, "POST", "rate=1.5")[0] == 400
    assert control(endpoint, "POST", "rate=often")[0] == 400
    assert control(endpoint)[1]["rate"] == 0.25


def test_control_endpoints_and_unsigned_requests_are_never_faulted(endpoint: str, faults) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    before = injected(endpoint)
    faults(1)
    # moto's own endpoints, even if a request to them were signed as an SDK call is.
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"}
    for path, headers in [("/moto-api/", {}), ("/moto-api/config", {}), ("/moto-api/config", signed), (patches.FAULTS_PATH, signed)]:
        with urllib.request.urlopen(urllib.request.Request(f"{endpoint}{path}", headers=headers)) as response:
            assert response.status in (200, 201), path
            assert "x-local-aws-fault" not in response.headers
    # An unsigned request (no SDK call carries none) goes to moto untouched, whatever it answers.
    with urllib.request.urlopen(f"{endpoint}/") as response:
        assert "x-local-aws-fault" not in response.headers
    assert injected(endpoint) == before


def test_server_takes_its_fault_rate_and_seed_from_the_environment() -> None:
    import os
    import queue
    import subprocess
    import sys
    import threading
    from pathlib import Path

    server = Path(__file__).with_name("server.py")
    env = {**os.environ, "LOCAL_AWS_FAULT_RATE": "1", "LOCAL_AWS_FAULT_SEED": "11"}
    process = subprocess.Popen([sys.executable, str(server), "--port", "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in process.stdout or []], daemon=True).start()
    try:
        assert lines.get(timeout=60) == "faults: 1.0 of AWS API requests, seed 11"
        endpoint = f"http://127.0.0.1:{lines.get(timeout=60).removeprefix('listening on ')}"
        with pytest.raises(ClientError):
            single_try(endpoint, "sqs").list_queues()
        state = control(endpoint)[1]
        assert (state["rate"], state["seed"], state["injected"]) == (1.0, 11, {"sqs": 1})
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_fault_rate_out_of_range_stops_the_server_from_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_AWS_FAULT_RATE", "2")
    # Refused before anything is patched, so a typo in a drill's rate fails loudly rather than running without faults.
    with pytest.raises(ValueError, match="fault rate 2 is not between 0 and 1"):
        patches._inject_faults()
