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
