"""``TransactionApi``: REST API, models and validator from the one JSON Schema, API key,
usage plan (throttle, and a quota where the settings have one), X-Ray, access logs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import ApiLogging, Handle
from cardwatch.infra.common.api_gateway import (
    ACCESS_LOG_FORMAT,
    BAD_REQUEST_BODY_TEMPLATE,
    MODELS,
    READ_PARAMETERS,
    served_hash,
)
from cardwatch.infra.common.policies import assume_role_policy
from cardwatch.infra.pulumi.base import Context, policy_output
from cardwatch.schema import gateway_model_text


class TransactionApi(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        ingest: aws.lambda_.Function,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:TransactionApi", name, None, opts)
        bp = ctx.blueprint
        child = ctx.child(self)
        self.api = aws.apigateway.RestApi(
            "api",
            name=bp.api_name,
            description="cardwatch: card transactions in, fraud alerts out",
            endpoint_configuration={"types": "REGIONAL"},
            opts=child,
        )
        validator = aws.apigateway.RequestValidator(
            "validator", rest_api=self.api.id, name="body", validate_request_body=True, opts=child
        )
        models = {
            model: aws.apigateway.Model(
                f"{model.lower()}-model",
                rest_api=self.api.id,
                name=model,
                content_type="application/json",
                schema=gateway_model_text(file),
                opts=child,
            )
            for model, file in MODELS
        }
        transactions = aws.apigateway.Resource(
            "transactions",
            rest_api=self.api.id,
            parent_id=self.api.root_resource_id,
            path_part="transactions",
            opts=child,
        )
        one = aws.apigateway.Resource(
            "transaction",
            rest_api=self.api.id,
            parent_id=transactions.id,
            path_part="{transaction_id}",
            opts=child,
        )
        label = aws.apigateway.Resource(
            "label", rest_api=self.api.id, parent_id=one.id, path_part="label", opts=child
        )
        reviews = aws.apigateway.Resource(
            "reviews",
            rest_api=self.api.id,
            parent_id=self.api.root_resource_id,
            path_part="reviews",
            opts=child,
        )
        parts: list[pulumi.Resource] = []
        served: list[pulumi.Output[str]] = []
        # the processor's POST, and the analysts' routes (their key): labels, a case, the
        # open review queue; a body is checked against its model, a GET's parameters by
        # the function
        for route, resource, verb, model in (
            ("post-transaction", transactions, "POST", models["Transaction"]),
            ("post-label", label, "POST", models["Label"]),
            ("get-transaction", one, "GET", None),
            ("get-reviews", reviews, "GET", None),
        ):
            checks: dict[str, Any] = (
                {"request_parameters": READ_PARAMETERS[route]}
                if model is None
                else {
                    "request_validator_id": validator.id,
                    "request_models": {"application/json": model.name},
                }
            )
            method = aws.apigateway.Method(
                route,
                rest_api=self.api.id,
                resource_id=resource.id,
                http_method=verb,
                authorization="NONE",
                api_key_required=True,
                opts=child,
                **checks,
            )
            integration = aws.apigateway.Integration(
                f"{route}-integration",
                rest_api=self.api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                type="AWS_PROXY",
                integration_http_method="POST",
                uri=ingest.invoke_arn,
                opts=child,
            )
            parts += [method, integration]
            served += [method.id, integration.id, integration.uri]
            served += [] if model is None else [model.id]
        bad_request = aws.apigateway.Response(
            "bad-request-body",
            rest_api_id=self.api.id,
            response_type="BAD_REQUEST_BODY",
            status_code="400",
            response_templates={"application/json": BAD_REQUEST_BODY_TEMPLATE},
            opts=child,
        )
        aws.lambda_.Permission(
            "api-invokes-ingest",
            statement_id="ApiGatewayInvokesIngest",
            action="lambda:InvokeFunction",
            function=ingest.name,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/*/POST/transactions*"),
            opts=child,
        )
        aws.lambda_.Permission(
            "api-reads-cases",
            statement_id="ApiGatewayReadsCases",
            action="lambda:InvokeFunction",
            function=ingest.name,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/*/GET/transactions/*"),
            opts=child,
        )
        aws.lambda_.Permission(
            "api-reads-reviews",
            statement_id="ApiGatewayReadsReviews",
            action="lambda:InvokeFunction",
            function=ingest.name,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/*/GET/reviews"),
            opts=child,
        )
        served.append(bad_request.id)
        deployment = aws.apigateway.Deployment(
            "deployment",
            rest_api=self.api.id,
            # a new deployment whenever anything the stage serves changes
            triggers={
                "served": served_hash(),
                "parts": pulumi.Output.all(*served).apply(
                    lambda values: hashlib.sha1(  # noqa: S324 - a change marker, not security
                        json.dumps(values).encode()
                    ).hexdigest()
                ),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*parts, bad_request]),
        )
        self.stage = self._stage(ctx, deployment)
        self._usage_plan(ctx)
        self.url = self.stage.invoke_url
        self.register_outputs({"url": self.url})

    def _stage(self, ctx: Context, deployment: aws.apigateway.Deployment) -> aws.apigateway.Stage:
        bp, child = ctx.blueprint, ctx.child(self)
        mode = bp.settings.api_logging
        # API Gateway's CloudWatch role is one per account and region: set by the
        # environment whose settings say so, used by the others (api_logging)
        account = [self._account(ctx)] if mode is ApiLogging.OWN else []
        access: dict[str, Any] = {}
        if mode.logs:
            access_logs = aws.cloudwatch.LogGroup(
                "access-logs",
                name=bp.api_access_log_group,
                retention_in_days=bp.settings.log_retention_days,
                kms_key_id=ctx.key_arn,
                opts=child,
            )
            # the execution logs' group, before API Gateway makes it with no retention
            # and no key
            aws.cloudwatch.LogGroup(
                "execution-logs",
                name=self.api.id.apply(bp.api_execution_log_group),
                retention_in_days=bp.settings.log_retention_days,
                kms_key_id=ctx.key_arn,
                opts=child,
            )
            access["access_log_settings"] = {
                "destination_arn": access_logs.arn,
                "format": ACCESS_LOG_FORMAT,
            }
        after_account = pulumi.ResourceOptions(parent=self, depends_on=account)
        stage = aws.apigateway.Stage(
            "stage",
            rest_api=self.api.id,
            deployment=deployment.id,
            stage_name=bp.api_stage,
            xray_tracing_enabled=True,
            opts=after_account,
            **access,
        )
        aws.apigateway.MethodSettings(
            "method-settings",
            rest_api=self.api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings={
                "metrics_enabled": True,
                "logging_level": "ERROR" if mode.logs else "OFF",
                "data_trace_enabled": False,
                "throttling_rate_limit": bp.settings.api_rate_limit_per_second,
                "throttling_burst_limit": bp.settings.api_burst_limit,
            },
            opts=after_account,
        )
        return stage

    def _account(self, ctx: Context) -> aws.apigateway.Account:
        """Point the account's API Gateway at a role of this environment's, with AWS's
        managed policy (the provider resets the account's setting when it is
        destroyed)."""
        bp, child = ctx.blueprint, ctx.child(self)
        role = aws.iam.Role(
            "api-logs-role",
            name=bp.api_logs_role_name,
            assume_role_policy=policy_output(
                ctx.account_id.apply(lambda a: assume_role_policy("apigateway.amazonaws.com", a))
            ),
            opts=child,
        )
        attached = aws.iam.RolePolicyAttachment(
            "api-logs-policy",
            role=role.name,
            policy_arn=bp.api_logs_managed_policy,
            opts=child,
        )
        return aws.apigateway.Account(
            "account",
            cloudwatch_role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attached]),
        )

    def _usage_plan(self, ctx: Context) -> None:
        bp, child = ctx.blueprint, ctx.child(self)
        quota = (
            {"limit": bp.settings.api_quota_per_day, "period": "DAY"}
            if bp.settings.api_quota_per_day is not None
            else None
        )
        plan = aws.apigateway.UsagePlan(
            "usage-plan",
            name=bp.name("fraud-detection-usage-plan"),
            api_stages=[{"api_id": self.api.id, "stage": self.stage.stage_name}],
            quota_settings=quota,
            throttle_settings={
                "rate_limit": bp.settings.api_rate_limit_per_second,
                "burst_limit": bp.settings.api_burst_limit,
            },
            opts=child,
        )
        self.key = aws.apigateway.ApiKey(
            "api-key",
            name=bp.api_key_name,
            description=bp.api_key_description,
            enabled=True,
            opts=child,
        )
        aws.apigateway.UsagePlanKey(
            "usage-plan-key",
            key_id=self.key.id,
            key_type="API_KEY",
            usage_plan_id=plan.id,
            opts=child,
        )
        analysts = aws.apigateway.UsagePlan(
            "analyst-usage-plan",
            name=bp.analyst_usage_plan_name,
            api_stages=[{"api_id": self.api.id, "stage": self.stage.stage_name}],
            throttle_settings={
                "rate_limit": bp.analyst_rate_limit_per_second,
                "burst_limit": bp.analyst_burst_limit,
            },
            opts=child,
        )
        aws.apigateway.UsagePlanKey(
            "analyst-usage-plan-key",
            key_id=ctx.output_of(Handle.ANALYST_API_KEY),
            key_type="API_KEY",
            usage_plan_id=analysts.id,
            opts=child,
        )
