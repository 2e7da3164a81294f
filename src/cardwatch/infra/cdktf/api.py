"""``TransactionApi``: the REST API with its models and validator (from the one JSON
Schema), API key, usage plan, X-Ray, access logs and the proxy integration."""

from __future__ import annotations

from typing import Any

from cdktf import Fn, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.api_gateway_api_key import ApiGatewayApiKey
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_gateway_response import ApiGatewayGatewayResponse
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_settings import (
    ApiGatewayMethodSettings,
    ApiGatewayMethodSettingsSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_model import ApiGatewayModel
from cdktf_cdktf_provider_aws.api_gateway_request_validator import ApiGatewayRequestValidator
from cdktf_cdktf_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktf_cdktf_provider_aws.api_gateway_rest_api import (
    ApiGatewayRestApi,
    ApiGatewayRestApiEndpointConfiguration,
)
from cdktf_cdktf_provider_aws.api_gateway_stage import (
    ApiGatewayStage,
    ApiGatewayStageAccessLogSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_usage_plan import (
    ApiGatewayUsagePlan,
    ApiGatewayUsagePlanApiStages,
    ApiGatewayUsagePlanQuotaSettings,
    ApiGatewayUsagePlanThrottleSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_usage_plan_key import ApiGatewayUsagePlanKey
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from cardwatch.blueprint import ApiLogging, Handle
from cardwatch.infra.cdktf.context import StackContext, policy_json
from cardwatch.infra.common.api_gateway import (
    ACCESS_LOG_FORMAT,
    BAD_REQUEST_BODY_TEMPLATE,
    MODELS,
    READ_PARAMETERS,
    served_hash,
)
from cardwatch.infra.common.policies import assume_role_policy
from cardwatch.schema import gateway_model_text


class TransactionApi(Construct):
    def __init__(
        self, scope: Construct, id_: str, ctx: StackContext, ingest: LambdaFunction
    ) -> None:
        super().__init__(scope, id_)
        blueprint = ctx.blueprint
        self.api = ApiGatewayRestApi(
            self,
            "api",
            name=blueprint.api_name,
            description="cardwatch: card transactions in, fraud alerts out",
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        validator = ApiGatewayRequestValidator(
            self, "validator", rest_api_id=self.api.id, name="body", validate_request_body=True
        )
        models = {
            name: ApiGatewayModel(
                self,
                f"{name.lower()}-model",
                rest_api_id=self.api.id,
                name=name,
                content_type="application/json",
                schema=gateway_model_text(file),
            )
            for name, file in MODELS
        }
        transactions = ApiGatewayResource(
            self,
            "transactions",
            rest_api_id=self.api.id,
            parent_id=self.api.root_resource_id,
            path_part="transactions",
        )
        one = ApiGatewayResource(
            self,
            "transaction",
            rest_api_id=self.api.id,
            parent_id=transactions.id,
            path_part="{transaction_id}",
        )
        label = ApiGatewayResource(
            self, "label", rest_api_id=self.api.id, parent_id=one.id, path_part="label"
        )
        reviews = ApiGatewayResource(
            self,
            "reviews",
            rest_api_id=self.api.id,
            parent_id=self.api.root_resource_id,
            path_part="reviews",
        )
        methods: list[ApiGatewayMethod | ApiGatewayIntegration] = []
        served: list[str] = []
        # the processor's POST, and the analysts' routes (their key): labels, a case, the
        # open review queue; a body is checked against its model, a GET's parameters by
        # the function
        for name, resource, verb, model in (
            ("post-transaction", transactions, "POST", models["Transaction"]),
            ("post-label", label, "POST", models["Label"]),
            ("get-transaction", one, "GET", None),
            ("get-reviews", reviews, "GET", None),
        ):
            checks: dict[str, Any] = (
                {"request_parameters": READ_PARAMETERS[name]}
                if model is None
                else {
                    "request_validator_id": validator.id,
                    "request_models": {"application/json": model.name},
                }
            )
            method = ApiGatewayMethod(
                self,
                name,
                rest_api_id=self.api.id,
                resource_id=resource.id,
                http_method=verb,
                authorization="NONE",
                api_key_required=True,
                **checks,
            )
            integration = ApiGatewayIntegration(
                self,
                f"{name}-integration",
                rest_api_id=self.api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                type="AWS_PROXY",
                integration_http_method="POST",
                uri=ingest.invoke_arn,
            )
            methods += [method, integration]
            served += [method.id, integration.id, integration.uri]
            served += [] if model is None else [model.id]
        bad_request = ApiGatewayGatewayResponse(
            self,
            "bad-request-body",
            rest_api_id=self.api.id,
            response_type="BAD_REQUEST_BODY",
            status_code="400",
            response_templates={"application/json": BAD_REQUEST_BODY_TEMPLATE},
        )
        LambdaPermission(
            self,
            "api-invokes-ingest",
            statement_id="ApiGatewayInvokesIngest",
            action="lambda:InvokeFunction",
            function_name=ingest.function_name,
            principal="apigateway.amazonaws.com",
            source_arn=f"{self.api.execution_arn}/*/POST/transactions*",
        )
        LambdaPermission(
            self,
            "api-reads-cases",
            statement_id="ApiGatewayReadsCases",
            action="lambda:InvokeFunction",
            function_name=ingest.function_name,
            principal="apigateway.amazonaws.com",
            source_arn=f"{self.api.execution_arn}/*/GET/transactions/*",
        )
        LambdaPermission(
            self,
            "api-reads-reviews",
            statement_id="ApiGatewayReadsReviews",
            action="lambda:InvokeFunction",
            function_name=ingest.function_name,
            principal="apigateway.amazonaws.com",
            source_arn=f"{self.api.execution_arn}/*/GET/reviews",
        )
        served.append(bad_request.id)
        deployment = ApiGatewayDeployment(
            self,
            "deployment",
            rest_api_id=self.api.id,
            # a new deployment whenever anything the stage serves changes
            triggers={"served": served_hash(), "parts": Fn.sha1(Fn.jsonencode(served))},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=[*methods, bad_request],
        )
        self.stage = self._stage(ctx, deployment)
        self._usage_plan(ctx)
        self.url = self.stage.invoke_url

    def _stage(self, ctx: StackContext, deployment: ApiGatewayDeployment) -> ApiGatewayStage:
        blueprint = ctx.blueprint
        mode = blueprint.settings.api_logging
        # API Gateway's CloudWatch role is one per account and region: set by the
        # environment whose settings say so, used by the others (api_logging)
        account = [self._account(ctx)] if mode is ApiLogging.OWN else []
        access: dict[str, Any] = {}
        if mode.logs:
            access_logs = CloudwatchLogGroup(
                self,
                "access-logs",
                name=blueprint.api_access_log_group,
                retention_in_days=blueprint.settings.log_retention_days,
                kms_key_id=ctx.key_arn,
            )
            # the execution logs' group, before API Gateway makes it with no retention
            # and no key
            CloudwatchLogGroup(
                self,
                "execution-logs",
                name=blueprint.api_execution_log_group(self.api.id),
                retention_in_days=blueprint.settings.log_retention_days,
                kms_key_id=ctx.key_arn,
            )
            access["access_log_settings"] = ApiGatewayStageAccessLogSettings(
                destination_arn=access_logs.arn, format=ACCESS_LOG_FORMAT
            )
        stage = ApiGatewayStage(
            self,
            "stage",
            rest_api_id=self.api.id,
            deployment_id=deployment.id,
            stage_name=blueprint.api_stage,
            xray_tracing_enabled=True,
            depends_on=account,
            **access,
        )
        ApiGatewayMethodSettings(
            self,
            "method-settings",
            rest_api_id=self.api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings=ApiGatewayMethodSettingsSettings(
                metrics_enabled=True,
                logging_level="ERROR" if mode.logs else "OFF",
                data_trace_enabled=False,
                throttling_rate_limit=blueprint.settings.api_rate_limit_per_second,
                throttling_burst_limit=blueprint.settings.api_burst_limit,
            ),
            depends_on=account,
        )
        return stage

    def _account(self, ctx: StackContext) -> ApiGatewayAccount:
        """Point the account's API Gateway at a role of this environment's, with AWS's
        managed policy; a destroy resets the account rather than leave it pointing at a
        deleted role."""
        blueprint = ctx.blueprint
        role = IamRole(
            self,
            "api-logs-role",
            name=blueprint.api_logs_role_name,
            assume_role_policy=policy_json(
                assume_role_policy("apigateway.amazonaws.com", ctx.account_id)
            ),
        )
        attached = IamRolePolicyAttachment(
            self,
            "api-logs-policy",
            role=role.name,
            policy_arn=blueprint.api_logs_managed_policy,
        )
        return ApiGatewayAccount(
            self,
            "account",
            cloudwatch_role_arn=role.arn,
            reset_on_delete=True,
            depends_on=[attached],
        )

    def _usage_plan(self, ctx: StackContext) -> None:
        settings = ctx.blueprint.settings
        quota = (
            ApiGatewayUsagePlanQuotaSettings(limit=settings.api_quota_per_day, period="DAY")
            if settings.api_quota_per_day is not None
            else None
        )
        plan = ApiGatewayUsagePlan(
            self,
            "usage-plan",
            name=ctx.blueprint.name("fraud-detection-usage-plan"),
            api_stages=[
                ApiGatewayUsagePlanApiStages(api_id=self.api.id, stage=self.stage.stage_name)
            ],
            quota_settings=quota,
            throttle_settings=ApiGatewayUsagePlanThrottleSettings(
                rate_limit=settings.api_rate_limit_per_second, burst_limit=settings.api_burst_limit
            ),
        )
        self.key = ApiGatewayApiKey(
            self,
            "api-key",
            name=ctx.blueprint.api_key_name,
            description=ctx.blueprint.api_key_description,
            enabled=True,
        )
        ApiGatewayUsagePlanKey(
            self, "usage-plan-key", key_id=self.key.id, key_type="API_KEY", usage_plan_id=plan.id
        )
        analysts = ApiGatewayUsagePlan(
            self,
            "analyst-usage-plan",
            name=ctx.blueprint.analyst_usage_plan_name,
            api_stages=[
                ApiGatewayUsagePlanApiStages(api_id=self.api.id, stage=self.stage.stage_name)
            ],
            throttle_settings=ApiGatewayUsagePlanThrottleSettings(
                rate_limit=ctx.blueprint.analyst_rate_limit_per_second,
                burst_limit=ctx.blueprint.analyst_burst_limit,
            ),
        )
        ApiGatewayUsagePlanKey(
            self,
            "analyst-usage-plan-key",
            key_id=ctx.output_of(Handle.ANALYST_API_KEY),
            key_type="API_KEY",
            usage_plan_id=analysts.id,
        )
