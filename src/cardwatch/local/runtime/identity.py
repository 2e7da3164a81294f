"""People's identities in local mode: the console roles as IAM roles on the emulator,
demo analysts who take them, and API Gateway's ``AWS_IAM`` authorization of a request.

The roles are the deployments' own (:attr:`cardwatch.blueprint.Blueprint.analyst_roles`,
their policies rendered by :func:`cardwatch.infra.common.policies.analyst_policy`), made
in the emulator's IAM; each demo analyst is an STS session of one of them, named for
the person, as IAM Identity Center makes one. The gateway then does what API Gateway
does for a route with ``AWS_IAM``: it checks the request's Signature Version 4 against
the session's secret (botocore's signer computes the expected signature), refuses a
signature more than 15 minutes off, evaluates the role's policy for
``execute-api:Invoke`` on the method's ARN (moto's IAM policy evaluator), and passes the
caller's ARN to the function as ``requestContext.identity.userArn``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.iam.access_control import IAMPolicy, PermissionResult

from cardwatch.blueprint import Blueprint
from cardwatch.infra.common.policies import analyst_policy, people_trust_policy

__all__ = [
    "DEMO_ANALYSTS",
    "Caller",
    "Refused",
    "authorize",
    "demo_analysts",
]

#: the demo team local mode makes: two analysts, a lead and a viewer
DEMO_ANALYSTS = (("ana", "analyst"), ("ben", "analyst"), ("lee", "lead"), ("vic", "viewer"))
#: API Gateway refuses a signature whose time is further than this from its own
_SKEW = timedelta(minutes=15)
#: the local API's id in execute-api ARNs
LOCAL_API_ID = "local"


@dataclass(frozen=True, slots=True)
class Caller:
    """A signed-in person: their session's ARN, its credentials, their role's policy."""

    name: str
    role: str
    arn: str
    access_key_id: str
    secret_access_key: str
    session_token: str
    policy: str

    def credentials(self) -> dict[str, str]:
        """What the state file keeps for the console (emulator credentials, local only)."""
        kept = asdict(self)
        kept.pop("policy")
        return kept


class Refused(Exception):
    """API Gateway's 403 for an IAM route: ``message`` as it says it."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def api_arn(blueprint: Blueprint, account: str) -> str:
    return f"arn:aws:execute-api:{blueprint.region}:{account}:{LOCAL_API_ID}"


def demo_analysts(blueprint: Blueprint, session: Any, account: str) -> dict[str, Caller]:
    """Make the console roles in the emulator's IAM, and a session of each demo analyst."""
    iam, sts = session.client("iam"), session.client("sts")
    under = f"{api_arn(blueprint, account)}/{blueprint.api_stage}"
    roles: dict[str, tuple[str, str]] = {}
    for title, role in blueprint.analyst_roles.items():
        policy = analyst_policy(role, lambda handle: [f"arn:aws:local:::{handle}"], under, "".join)
        text = json.dumps(policy)
        arn = iam.create_role(
            RoleName=role.role_name,
            AssumeRolePolicyDocument=json.dumps(
                people_trust_policy(f"arn:aws:iam::{account}:root")
            ),
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=role.role_name, PolicyName=f"{role.role_name}-policy", PolicyDocument=text
        )
        roles[title] = (arn, text)
    made = {}
    for name, title in DEMO_ANALYSTS:
        arn, text = roles[title]
        answer = sts.assume_role(RoleArn=arn, RoleSessionName=name)
        keys = answer["Credentials"]
        made[name] = Caller(
            name,
            title,
            answer["AssumedRoleUser"]["Arn"],
            keys["AccessKeyId"],
            keys["SecretAccessKey"],
            keys["SessionToken"],
            text,
        )
    return made


def _fields(authorization: str) -> dict[str, str]:
    """``Credential``, ``SignedHeaders`` and ``Signature`` of a SigV4 header."""
    scheme, _, rest = authorization.partition(" ")
    if scheme != "AWS4-HMAC-SHA256":
        raise Refused("Missing Authentication Token")
    fields = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise Refused("Authorization header requires Credential, SignedHeaders and Signature")
    return fields


_MISMATCH = "The request signature we calculated does not match the signature you provided."


def _caller(
    callers: Mapping[str, Caller], lowered: Mapping[str, str], region: str, now: datetime
) -> tuple[Caller, dict[str, str]]:
    """Whose credentials signed the request, and the signature's fields: the scope's
    key, date, region and service, the time and the session's token checked."""
    if "authorization" not in lowered:
        raise Refused("Missing Authentication Token")
    fields = _fields(lowered["authorization"])
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[3] != "execute-api" or scope[4] != "aws4_request":
        raise Refused("Credential should be scoped to a valid region and service execute-api")
    caller = callers.get(scope[0])
    if caller is None or lowered.get("x-amz-security-token") != caller.session_token:
        raise Refused("The security token included in the request is invalid.")
    stamp = lowered.get("x-amz-date", "")
    if scope[1] != stamp[:8] or scope[2] != region:
        raise Refused("Credential should be scoped to a valid date and region")
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise Refused("Missing or malformed X-Amz-Date") from None
    if abs(now - signed_at) > _SKEW:
        raise Refused("Signature expired")
    return caller, fields | {"stamp": stamp, "region": region}


def _expected(caller: Caller, request: AWSRequest, region: str) -> str:
    """The signature botocore's signer gives the request with the caller's secret."""
    signer = SigV4Auth(
        Credentials(caller.access_key_id, caller.secret_access_key, caller.session_token),
        "execute-api",
        region,
    )
    return str(
        signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    )


def authorize(  # noqa: PLR0917 - a request's parts, as API Gateway reads them
    callers: Mapping[str, Caller],
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    resource: str,
    region: str,
    now: datetime | None = None,
) -> Caller:
    """The caller of a signed request allowed ``execute-api:Invoke`` on ``resource``
    (the method's ARN); :class:`Refused` with API Gateway's message otherwise."""
    lowered = {k.lower(): v for k, v in headers.items()}
    caller, fields = _caller(callers, lowered, region, now or datetime.now(UTC))
    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed or any(name not in lowered for name in signed):
        raise Refused("Every signed header, host among them, must be sent")
    claimed = lowered.get("x-amz-content-sha256")
    if claimed is not None and claimed != hashlib.sha256(body).hexdigest():
        raise Refused(_MISMATCH)  # a body is signed by its own hash, never a named one
    request = AWSRequest(method=method, url=url, data=body, headers={k: lowered[k] for k in signed})
    request.context["timestamp"] = fields["stamp"]
    if not hmac.compare_digest(_expected(caller, request, region), fields["Signature"]):
        raise Refused(_MISMATCH)
    verdict = IAMPolicy(caller.policy).is_action_permitted("execute-api:Invoke", resource)
    if verdict is not PermissionResult.PERMITTED:
        raise Refused(
            f"User: {caller.arn} is not authorized to perform: execute-api:Invoke on "
            f"resource: {resource}"
        )
    return caller
