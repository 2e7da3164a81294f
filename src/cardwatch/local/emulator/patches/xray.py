"""X-Ray resource policies on the emulator, which moto's X-Ray lacks.

Both deployments give SNS an X-Ray resource policy (active tracing on the alert topic
needs one), so ``terraform apply`` against the emulator creates one, reads it back and
deletes it. moto answers none of the three calls; this adds them to its X-Ray service,
on the local side, with the request and response shapes of the X-Ray API
(PutResourcePolicy, ListResourcePolicies, DeleteResourcePolicy): a policy per name, a
new revision id on each put.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

__all__ = ["TARGETS", "install"]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.xray.urls.url_paths",
    "moto.xray.responses.XRayResponse.dispatch",
)

_ACTIONS = ("PutResourcePolicy", "ListResourcePolicies", "DeleteResourcePolicy")
_LOCK = threading.Lock()
#: (account, region) -> policy name -> the policy as X-Ray returns it
_POLICIES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
_installed = False


def _store(response: Any) -> dict[str, dict[str, Any]]:
    return _POLICIES.setdefault((response.current_account, response.region), {})


def _put_resource_policy(self: Any) -> str:
    name, document = self._get_param("PolicyName"), self._get_param("PolicyDocument")
    if not name or not document:
        return json.dumps({"__type": "InvalidRequestException", "message": "name and document"})
    with _LOCK:
        policy = {
            "PolicyName": name,
            "PolicyDocument": document,
            "PolicyRevisionId": uuid.uuid4().hex,
            "LastUpdatedTime": time.time(),
        }
        _store(self)[name] = policy
    return json.dumps({"ResourcePolicy": policy})


def _list_resource_policies(self: Any) -> str:
    with _LOCK:
        return json.dumps({"ResourcePolicies": list(_store(self).values())})


def _delete_resource_policy(self: Any) -> str:
    with _LOCK:
        _store(self).pop(self._get_param("PolicyName"), None)
    return "{}"


def install() -> None:
    """Teach moto's X-Ray the three resource-policy calls (before its server starts)."""
    global _installed  # noqa: PLW0603 (one patch per process)
    if _installed:
        return
    from moto.xray import urls  # noqa: PLC0415 - only local mode and the tests need moto
    from moto.xray.responses import XRayResponse  # noqa: PLC0415

    for action in _ACTIONS:
        urls.url_paths[f"{{0}}/{action}$"] = XRayResponse.dispatch
    XRayResponse.put_resource_policy = _put_resource_policy  # type: ignore[attr-defined]
    XRayResponse.list_resource_policies = _list_resource_policies  # type: ignore[attr-defined]
    XRayResponse.delete_resource_policy = _delete_resource_policy  # type: ignore[attr-defined]
    _installed = True
