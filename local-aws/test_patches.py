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

