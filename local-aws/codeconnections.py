"""
AWS CodeConnections (CodeStar Connections) for moto, which has none: the calls hashicorp/aws
5.100.0 makes for `aws_codestarconnections_connection` (create, get, delete, tag, untag, list
tags) and for the data source that finds a connection by name (list, as `delivery.connectionFrom`
uses it). A connection is created PENDING, as in AWS, where someone then approves it in the
console; nothing here ever talks to GitHub. Registered as `codestar-connections` by `register()`.
"""

from __future__ import annotations

import re
import sys
import types
import uuid
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, BaseResponse, EmptyResult

SERVICE = "codestar-connections"


class ResourceNotFound(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


class CodeConnectionsBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.connections: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, list[dict[str, str]]] = {}

    @property
    def _url_module(self) -> Any:  # moto derives URL rules from a `urls` module; this service has none on disk
        return sys.modules[__name__ + "_urls"]

    def create(self, name: str, provider_type: str, tags: list[dict[str, str]]) -> str:
        arn = f"arn:aws:{SERVICE}:{self.region_name}:{self.account_id}:connection/{uuid.uuid4()}"
        self.connections[arn] = {
            "ConnectionName": name,
            "ConnectionArn": arn,
            "ProviderType": provider_type,
            "OwnerAccountId": self.account_id,
            "ConnectionStatus": "PENDING",
        }
        self.tags[arn] = list(tags)
        return arn

    def get(self, arn: str) -> dict[str, Any]:
        if arn not in self.connections:
            raise ResourceNotFound(f"Connection {arn} does not exist")
        return self.connections[arn]

    def delete(self, arn: str) -> None:
        self.get(arn)
        del self.connections[arn]
        del self.tags[arn]


codestarconnections_backends = BackendDict(CodeConnectionsBackend, SERVICE)


class CodeConnectionsResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name=SERVICE)

    @property
    def backend(self) -> CodeConnectionsBackend:
        return codestarconnections_backends[self.current_account][self.region]

    def create_connection(self) -> ActionResult:
        arn = self.backend.create(
            self._get_param("ConnectionName"), self._get_param("ProviderType") or "GitHub", self._get_param("Tags") or []
        )
        return ActionResult({"ConnectionArn": arn, "Tags": self.backend.tags[arn]})

    def get_connection(self) -> ActionResult:
        return ActionResult({"Connection": self.backend.get(self._get_param("ConnectionArn"))})

    def list_connections(self) -> ActionResult:
        provider = self._get_param("ProviderTypeFilter")
        found = [c for c in self.backend.connections.values() if provider is None or c["ProviderType"] == provider]
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or 50)
        page = found[start : start + size]
        more = start + size < len(found)
        return ActionResult({"Connections": page, **({"NextToken": str(start + size)} if more else {})})

    def delete_connection(self) -> EmptyResult:
        self.backend.delete(self._get_param("ConnectionArn"))
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        arn = self._get_param("ResourceArn")
        self.backend.get(arn)
        return ActionResult({"Tags": self.backend.tags[arn]})

    def tag_resource(self) -> EmptyResult:
        arn = self._get_param("ResourceArn")
        self.backend.get(arn)
        new = {t["Key"]: t["Value"] for t in self._get_param("Tags") or []}
        kept = [t for t in self.backend.tags[arn] if t["Key"] not in new]
        self.backend.tags[arn] = kept + [{"Key": k, "Value": v} for k, v in new.items()]
        return EmptyResult()

    def untag_resource(self) -> EmptyResult:
        arn = self._get_param("ResourceArn")
        self.backend.get(arn)
        removed = set(self._get_param("TagKeys") or [])
        self.backend.tags[arn] = [t for t in self.backend.tags[arn] if t["Key"] not in removed]
        return EmptyResult()


def register() -> None:
    """Makes `codestar-connections` a moto service: its URL module, its backend module, and the host pattern the server routes by."""
    from moto import backend_index

    if any(name == SERVICE for name, _ in backend_index.backend_url_patterns):
        return
    pattern = r"https?://codestar-connections\.(.+)\.amazonaws\.com"
    urls = types.ModuleType(__name__ + "_urls")
    urls.url_bases = [pattern]  # type: ignore[attr-defined]
    urls.url_paths = {"{0}/$": CodeConnectionsResponse.dispatch}  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    # moto imports `moto.codestarconnections` and reads `codestarconnections_backends` from it.
    sys.modules["moto.codestarconnections"] = sys.modules[__name__]
    backend_index.backend_url_patterns.append((SERVICE, re.compile(pattern)))
