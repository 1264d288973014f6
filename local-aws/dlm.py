"""
Amazon Data Lifecycle Manager for moto, which has none: the lifecycle-policy and tagging calls
hashicorp/aws 5.100.0 makes for `aws_dlm_lifecycle_policy` (create, get, update, delete, tag,
untag, list tags). Policies are stored as given; no snapshots are ever taken. Registered as the
`dlm` service by `register()`, before moto's server starts.
"""

from __future__ import annotations

import json
import sys
import types
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, BaseResponse, EmptyResult


class ResourceNotFound(JsonRESTError):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


class InvalidRequest(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestException", message)


class DlmBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.policies: dict[str, dict[str, Any]] = {}

    @property
    def _url_module(self) -> Any:  # moto derives URL rules from a `urls` module; this service has none on disk
        return sys.modules[__name__ + "_urls"]

    def _arn(self, policy_id: str) -> str:
        return f"arn:aws:dlm:{self.region_name}:{self.account_id}:policy/{policy_id}"

    def create(self, request: dict[str, Any]) -> str:
        for field in ("ExecutionRoleArn", "Description", "State"):
            if not request.get(field):
                raise InvalidRequest(f"{field} is required")
        policy_id = f"policy-{uuid.uuid4().hex[:17]}"
        now = datetime.now(timezone.utc)
        self.policies[policy_id] = {
            "PolicyId": policy_id,
            "PolicyArn": self._arn(policy_id),
            "Description": request["Description"],
            "State": request["State"],
            "StatusMessage": "ENABLED" if request["State"] == "ENABLED" else "DISABLED",
            "ExecutionRoleArn": request["ExecutionRoleArn"],
            "PolicyDetails": request.get("PolicyDetails", {}),
            "Tags": dict(request.get("Tags") or {}),
            "DefaultPolicy": bool(request.get("DefaultPolicy", False)),
            "DateCreated": now,
            "DateModified": now,
        }
        return policy_id

    def get(self, policy_id: str) -> dict[str, Any]:
        if policy_id not in self.policies:
            raise ResourceNotFound(f"Policy {policy_id} not found")
        return self.policies[policy_id]

    def update(self, policy_id: str, request: dict[str, Any]) -> None:
        policy = self.get(policy_id)
        for field in ("Description", "State", "ExecutionRoleArn", "PolicyDetails"):
            if field in request:
                policy[field] = request[field]
        policy["DateModified"] = datetime.now(timezone.utc)

    def delete(self, policy_id: str) -> None:
        self.get(policy_id)
        del self.policies[policy_id]

    def by_arn(self, arn: str) -> dict[str, Any]:
        return self.get(arn.rsplit("/", 1)[-1])


dlm_backends = BackendDict(DlmBackend, "dlm")


class DlmResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="dlm")

    @property
    def backend(self) -> DlmBackend:
        return dlm_backends[self.current_account][self.region]

    def _policy_id(self) -> str:
        return unquote(self.uri_match["policyId"])

    def _resource_arn(self) -> str:
        return unquote(self.uri_match["resourceArn"])

    def create_lifecycle_policy(self) -> ActionResult:
        return ActionResult({"PolicyId": self.backend.create(json.loads(self.body or "{}"))})

    def get_lifecycle_policy(self) -> ActionResult:
        return ActionResult({"Policy": self.backend.get(self._policy_id())})

    def get_lifecycle_policies(self) -> ActionResult:
        return ActionResult(
            {
                "Policies": [
                    {key: p[key] for key in ("PolicyId", "Description", "State", "Tags", "DefaultPolicy")}
                    for p in self.backend.policies.values()
                ]
            }
        )

    def update_lifecycle_policy(self) -> ActionResult:
        self.backend.update(self._policy_id(), json.loads(self.body or "{}"))
        return EmptyResult()

    def delete_lifecycle_policy(self) -> ActionResult:
        self.backend.delete(self._policy_id())
        return EmptyResult()

    def tag_resource(self) -> ActionResult:
        self.backend.by_arn(self._resource_arn())["Tags"].update(json.loads(self.body or "{}").get("Tags", {}))
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        tags = self.backend.by_arn(self._resource_arn())["Tags"]
        for key in self.querystring.get("tagKeys", []):
            tags.pop(key, None)
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"Tags": self.backend.by_arn(self._resource_arn())["Tags"]})


def register() -> None:
    """Makes `dlm` a moto service: its URL module, its backend module, and the host pattern the server routes by."""
    import re

    from moto import backend_index

    if any(name == "dlm" for name, _ in backend_index.backend_url_patterns):
        return
    urls = types.ModuleType(__name__ + "_urls")
    urls.url_bases = [r"https?://dlm\.(.+)\.amazonaws\.com"]  # type: ignore[attr-defined]
    urls.url_paths = {  # type: ignore[attr-defined]
        "{0}/policies/?$": DlmResponse.dispatch,
        "{0}/policies/(?P<policyId>[^/]+)/?$": DlmResponse.dispatch,
        "{0}/tags/(?P<resourceArn>.+)$": DlmResponse.dispatch,
    }
    sys.modules[urls.__name__] = urls
    # moto imports `moto.dlm` and reads `dlm_backends` from it.
    sys.modules["moto.dlm"] = sys.modules[__name__]
    backend_index.backend_url_patterns.append(("dlm", re.compile(r"https?://dlm\.(.+)\.amazonaws\.com")))
