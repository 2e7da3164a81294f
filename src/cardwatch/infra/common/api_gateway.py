"""What both deployments configure on API Gateway beyond the blueprint's numbers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cardwatch.blueprint import ApiLogging, Blueprint, Handle
from cardwatch.infra.common.functions import archived
from cardwatch.infra.common.policies import (
    analyst_policy,
    assume_role_policy,
    people_trust_policy,
)
from cardwatch.infra.common.specs import (
    ACCOUNT,
    KEY_ARN,
    PARTITION,
    Apply,
    Arns,
    Digest,
    Json,
    Part,
    Ref,
    Resource,
    Text,
    Url,
)
from cardwatch.schema import gateway_model_text

__all__ = [
    "ACCESS_LOG_FORMAT",
    "BAD_REQUEST_BODY_TEMPLATE",
    "CASE_PARAMETERS",
    "DECIDE",
    "INGEST",
    "MODELS",
    "READ_PARAMETERS",
    "REVIEW_PARAMETERS",
    "ROUTES",
    "TransactionApiResources",
    "served_hash",
    "transaction_api",
]

#: One JSON line per request in the access log.
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"apiKeyId":"$context.identity.apiKeyId","method":"$context.httpMethod",'
    '"path":"$context.resourcePath","status":"$context.status",'
    '"latencyMs":"$context.responseLatency","error":"$context.error.message"}'
)
#: API Gateway's own 400. Its validation message can only name fields and JSON types:
#: the models are the contract's shape (:func:`cardwatch.schema.gateway_model`), with no
#: rule whose message would echo a value; the function checks the rest.
BAD_REQUEST_BODY_TEMPLATE = (
    '{"message": "Invalid request body", "detail": "$context.error.validationErrorString"}'
)
#: Model name -> contract file, for the two POST routes.
MODELS = (("Transaction", "transaction"), ("Label", "label"), ("CaseAction", "case_action"))


#: (logical name, resource path, model) of each route the stage serves.
ROUTES = (
    ("post-transaction", "/transactions", "Transaction"),
    ("post-decision", "/decisions", "Transaction"),
    ("post-label", "/transactions/{transaction_id}/label", "Label"),
    ("get-transaction", "/transactions/{transaction_id}", None),
    ("get-reviews", "/reviews", None),
    ("get-cases", "/cases", None),
    ("get-case", "/cases/{case_id}", None),
    ("post-case", "/cases/{case_id}", "CaseAction"),
)
#: The query string of GET /reviews (every part optional; the function checks them).
REVIEW_PARAMETERS = ("decision", "since", "until", "limit", "cursor")
#: The query string of GET /cases (every part optional; the function checks them).
CASE_PARAMETERS = (
    "card",
    "token",
    "user",
    "terminal",
    "merchant",
    "bin",
    "status",
    "decision",
    "sort",
    "since",
    "until",
    "limit",
    "cursor",
)
#: The request parameters of the analysts' GET routes, by logical name.
READ_PARAMETERS: dict[str, dict[str, bool]] = {
    "get-transaction": {"method.request.path.transaction_id": True},
    "get-reviews": {f"method.request.querystring.{name}": False for name in REVIEW_PARAMETERS},
    "get-cases": {f"method.request.querystring.{name}": False for name in CASE_PARAMETERS},
    "get-case": {"method.request.path.case_id": True},
}


def served_hash() -> str:
    """A digest of what the renderers declare for the stage from this module (contract
    files, models, routes, the gateway response). The deployment's triggers hold it
    beside the ids and URIs of every method, integration, model and response, so any
    change to what the stage serves publishes a new deployment."""
    served = {
        "models": {name: gateway_model_text(file) for name, file in MODELS},
        "routes": ROUTES,
        "read_parameters": READ_PARAMETERS,
        "bad_request_body": BAD_REQUEST_BODY_TEMPLATE,
        "access_log_format": ACCESS_LOG_FORMAT,
    }
    return hashlib.sha256(json.dumps(served, sort_keys=True).encode()).hexdigest()


#: the API's functions, another part's: their ids among the API's specs
INGEST = "function:ingest"
DECIDE = "function:decide"


def _routes(blueprint: Blueprint) -> tuple[list[Resource], list[Any], list[str]]:
    """The resources, methods and integrations; what the deployment follows (their
    ids, the integrations' URIs, the models' ids) and the ids it must follow."""
    api = Ref("api", "id")
    made = [
        Resource(
            "aws_api_gateway_request_validator",
            "validator",
            {"rest_api_id": api, "name": "body", "validate_request_body": True},
        ),
        *(
            Resource(
                "aws_api_gateway_model",
                f"{name.lower()}-model",
                {
                    "rest_api_id": api,
                    "name": name,
                    "content_type": "application/json",
                    "schema": gateway_model_text(file),
                },
            )
            for name, file in MODELS
        ),
    ]
    paths = (
        ("transactions", Ref("api", "root_resource_id"), "transactions"),
        ("decisions", Ref("api", "root_resource_id"), "decisions"),
        ("transaction", Ref("transactions", "id"), "{transaction_id}"),
        ("label", Ref("transaction", "id"), "label"),
        ("reviews", Ref("api", "root_resource_id"), "reviews"),
        ("cases", Ref("api", "root_resource_id"), "cases"),
        ("case", Ref("cases", "id"), "{case_id}"),
    )
    made += [
        Resource(
            "aws_api_gateway_resource",
            logical,
            {"rest_api_id": api, "parent_id": parent, "path_part": part},
        )
        for logical, parent, part in paths
    ]
    served: list[Any] = []
    follows: list[str] = []
    # the processor's POSTs (a transaction to store, or to decide now: the decide
    # function), and the analysts' routes (their key): labels, a case, the open review
    # queue; a body is checked against its model, a GET's parameters by the function
    for name, resource, verb, model, function in (
        ("post-transaction", "transactions", "POST", "Transaction", INGEST),
        ("post-decision", "decisions", "POST", "Transaction", DECIDE),
        ("post-label", "label", "POST", "Label", INGEST),
        ("get-transaction", "transaction", "GET", None, INGEST),
        ("get-reviews", "reviews", "GET", None, INGEST),
        ("get-cases", "cases", "GET", None, INGEST),
        ("get-case", "case", "GET", None, INGEST),
        ("post-case", "case", "POST", "CaseAction", INGEST),
    ):
        checks: dict[str, Any] = (
            {"request_parameters": READ_PARAMETERS[name]}
            if model is None
            else {
                "request_validator_id": Ref("validator", "id"),
                "request_models": {"application/json": Ref(f"{model.lower()}-model", "name")},
            }
        )
        made += [
            Resource(
                "aws_api_gateway_method",
                name,
                {
                    "rest_api_id": api,
                    "resource_id": Ref(resource, "id"),
                    "http_method": verb,
                    # people's routes: their own AWS identity (SigV4), which the
                    # function records; the processor's and the feeds': their keys
                    **(
                        {"authorization": "AWS_IAM", "api_key_required": False}
                        if name in blueprint.signed_routes
                        else {"authorization": "NONE", "api_key_required": True}
                    ),
                    **checks,
                },
            ),
            Resource(
                "aws_api_gateway_integration",
                f"{name}-integration",
                {
                    "rest_api_id": api,
                    "resource_id": Ref(resource, "id"),
                    "http_method": Ref(name, "http_method"),
                    "type": "AWS_PROXY",
                    "integration_http_method": "POST",
                    "uri": Ref(function, "invoke_arn"),
                },
            ),
        ]
        follows += [name, f"{name}-integration"]
        served += [Ref(name, "id"), Ref(f"{name}-integration", "id")]
        served += [Ref(f"{name}-integration", "uri")]
        served += [] if model is None else [Ref(f"{model.lower()}-model", "id")]
    return made, served, follows


def _console_roles(blueprint: Blueprint) -> list[Resource]:
    """The viewer, analyst and lead roles people take to work at the console."""
    under = Text((Ref("api", "execution_arn"), f"/{blueprint.api_stage}"))
    root = Text(("arn:", PARTITION, ":iam::", ACCOUNT, ":root"))
    made: list[Resource] = []
    for title, role in blueprint.analyst_roles.items():
        made += [
            Resource(
                "aws_iam_role",
                f"console-{title}",
                {
                    "name": role.role_name,
                    "description": f"cardwatch console: the {title} role (people, signed in)",
                    "assume_role_policy": Json(people_trust_policy(root)),
                    "max_session_duration": 12 * 3600,
                },
            ),
            Resource(
                "aws_iam_role_policy",
                f"console-{title}-policy",
                {
                    "name": f"{role.role_name}-policy",
                    "role": Ref(f"console-{title}", "id"),
                    "policy": Json(analyst_policy(role, _handle_arns, under, Text)),
                },
            ),
        ]
    return made


def _handle_arns(handle: Handle) -> list[Any]:
    return [Arns(handle)]


def _permissions() -> list[Resource]:
    return [
        Resource(
            "aws_lambda_permission",
            logical,
            {
                "statement_id": statement,
                "action": "lambda:InvokeFunction",
                "function_name": Ref(function, "function_name"),
                "principal": "apigateway.amazonaws.com",
                "source_arn": Text((Ref("api", "execution_arn"), route)),
            },
        )
        for logical, statement, function, route in (
            ("api-invokes-ingest", "ApiGatewayInvokesIngest", INGEST, "/*/POST/transactions*"),
            ("api-invokes-decide", "ApiGatewayInvokesDecide", DECIDE, "/*/POST/decisions"),
            ("api-reads-cases", "ApiGatewayReadsCases", INGEST, "/*/GET/transactions/*"),
            ("api-reads-reviews", "ApiGatewayReadsReviews", INGEST, "/*/GET/reviews"),
            ("api-serves-cases", "ApiGatewayServesCases", INGEST, "/*/*/cases*"),
        )
    ]


def _stage(blueprint: Blueprint) -> list[Resource]:
    """The stage, its method settings and logs (``api_logging``), and, where this
    environment provides it, API Gateway's account role."""
    settings, mode, api = blueprint.settings, blueprint.settings.api_logging, Ref("api", "id")
    made: list[Resource] = []
    after: tuple[str, ...] = ()
    if mode is ApiLogging.OWN:
        # the account's role: AWS's managed policy, set once the policy is attached; a
        # destroy resets the account rather than leave it on a deleted role
        made += [
            Resource(
                "aws_iam_role",
                "api-logs-role",
                {
                    "name": blueprint.api_logs_role_name,
                    "assume_role_policy": Json(
                        assume_role_policy("apigateway.amazonaws.com", ACCOUNT)
                    ),
                },
            ),
            Resource(
                "aws_iam_role_policy_attachment",
                "api-logs-policy",
                {
                    "role": Ref("api-logs-role", "name"),
                    "policy_arn": blueprint.api_logs_managed_policy,
                },
            ),
            Resource(
                "aws_api_gateway_account",
                "account",
                {"cloudwatch_role_arn": Ref("api-logs-role"), "reset_on_delete": True},
                depends_on=("api-logs-policy",),
            ),
        ]
        after = ("account",)
    access: dict[str, Any] = {}
    if mode.logs:
        made += [
            Resource(
                "aws_cloudwatch_log_group",
                logical,
                {
                    "name": name,
                    "retention_in_days": settings.log_retention_days,
                    "kms_key_id": KEY_ARN,
                },
            )
            for logical, name in (
                ("access-logs", blueprint.api_access_log_group),
                # the execution logs' group, before API Gateway makes it with no
                # retention and no key
                ("execution-logs", Apply(blueprint.api_execution_log_group, api)),
            )
        ]
        made += [
            archived("access-logs", blueprint.name("api-access")),
            archived("execution-logs", blueprint.name("api-execution")),
        ]
        access["access_log_settings"] = {
            "destination_arn": Ref("access-logs"),
            "format": ACCESS_LOG_FORMAT,
        }
    made += [
        Resource(
            "aws_api_gateway_stage",
            "stage",
            {
                "rest_api_id": api,
                "deployment_id": Ref("deployment", "id"),
                "stage_name": blueprint.api_stage,
                "xray_tracing_enabled": True,
                **access,
            },
            depends_on=after,
        ),
        Resource(
            "aws_api_gateway_method_settings",
            "method-settings",
            {
                "rest_api_id": api,
                "stage_name": Ref("stage", "stage_name"),
                "method_path": "*/*",
                "settings": {
                    "metrics_enabled": True,
                    "logging_level": "ERROR" if mode.logs else "OFF",
                    "data_trace_enabled": False,
                    "throttling_rate_limit": settings.api_rate_limit_per_second,
                    "throttling_burst_limit": settings.api_burst_limit,
                },
            },
            depends_on=after,
        ),
    ]
    return made


def _usage_plans(blueprint: Blueprint) -> list[Resource]:
    """The processor's key in a plan with the settings' throttle (and quota, where they
    have one); the analysts' key in a plan of its own."""
    settings = blueprint.settings
    stages = [{"api_id": Ref("api", "id"), "stage": Ref("stage", "stage_name")}]
    quota = (
        {"limit": settings.api_quota_per_day, "period": "DAY"}
        if settings.api_quota_per_day is not None
        else None
    )
    return [
        Resource(
            "aws_api_gateway_usage_plan",
            "usage-plan",
            {
                "name": blueprint.name("fraud-detection-usage-plan"),
                "api_stages": stages,
                "quota_settings": quota,
                "throttle_settings": {
                    "rate_limit": settings.api_rate_limit_per_second,
                    "burst_limit": settings.api_burst_limit,
                },
            },
        ),
        Resource(
            "aws_api_gateway_api_key",
            "api-key",
            {
                "name": blueprint.api_key_name,
                "description": blueprint.api_key_description,
                "enabled": True,
            },
        ),
        Resource(
            "aws_api_gateway_usage_plan_key",
            "usage-plan-key",
            {
                "key_id": Ref("api-key", "id"),
                "key_type": "API_KEY",
                "usage_plan_id": Ref("usage-plan", "id"),
            },
        ),
        *_label_plan(
            "analyst",
            blueprint.analyst_usage_plan_name,
            Url(Handle.ANALYST_API_KEY),
            blueprint.label_limits("analyst"),
            stages,
        ),
        *_label_plan(
            "feed",
            blueprint.feed_usage_plan_name,
            Url(Handle.FEED_API_KEY),
            blueprint.label_limits("feed"),
            stages,
        ),
    ]


def _label_plan(
    channel: str, name: str, key: Url, limits: tuple[int, int, int], stages: list[Any]
) -> list[Resource]:
    """A label channel's usage plan (its throttle and day's quota) and its key in it."""
    rate, burst, quota = limits
    return [
        Resource(
            "aws_api_gateway_usage_plan",
            f"{channel}-usage-plan",
            {
                "name": name,
                "api_stages": stages,
                "quota_settings": {"limit": quota, "period": "DAY"},
                "throttle_settings": {"rate_limit": rate, "burst_limit": burst},
            },
        ),
        Resource(
            "aws_api_gateway_usage_plan_key",
            f"{channel}-usage-plan-key",
            {
                "key_id": key,
                "key_type": "API_KEY",
                "usage_plan_id": Ref(f"{channel}-usage-plan", "id"),
            },
        ),
    ]


def transaction_api(blueprint: Blueprint) -> Part:
    """The REST API: its models and validator from the one JSON Schema, the routes to the
    ingest and decide functions (:data:`INGEST`, :data:`DECIDE`, given), the gateway's
    400, the deployment (a new one whenever anything the stage serves changes), the stage
    and the usage plans."""
    routes, served, follows = _routes(blueprint)
    bad_request = Resource(
        "aws_api_gateway_gateway_response",
        "bad-request-body",
        {
            "rest_api_id": Ref("api", "id"),
            "response_type": "BAD_REQUEST_BODY",
            "status_code": "400",
            "response_templates": {"application/json": BAD_REQUEST_BODY_TEMPLATE},
        },
    )
    deployment = Resource(
        "aws_api_gateway_deployment",
        "deployment",
        {
            "rest_api_id": Ref("api", "id"),
            "triggers": {
                "served": served_hash(),
                "parts": Digest((*served, Ref("bad-request-body", "id"))),
            },
        },
        depends_on=(*follows, "bad-request-body"),
        replace_first=True,
    )
    api = Resource(
        "aws_api_gateway_rest_api",
        "api",
        {
            "name": blueprint.api_name,
            "description": "cardwatch: card transactions in, fraud alerts out",
            "endpoint_configuration": {"types": ["REGIONAL"]},
        },
        replace_first=True,
    )
    return Part(
        (
            api,
            *routes,
            bad_request,
            *_permissions(),
            deployment,
            *_stage(blueprint),
            *_usage_plans(blueprint),
            *_console_roles(blueprint),
        ),
        exposes={
            "api": "api",
            "stage": "stage",
            "key": "api-key",
            "console_roles": {title: f"console-{title}" for title in blueprint.analyst_roles},
        },
    )


class TransactionApiResources:
    """What the part's Construct or ComponentResource holds for the other parts: the
    rendered resources its :attr:`~cardwatch.infra.common.specs.Part.exposes` names."""

    api: Any
    stage: Any
    key: Any
    console_roles: dict[str, Any]
