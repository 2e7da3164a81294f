"""``Security``: the customer-managed data key, the card-token HMAC key and the SSM
parameters (rules, rates, the model pointer)."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_api_key import ApiGatewayApiKey
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from cardwatch.blueprint import Handle
from cardwatch.domain.engine.model_pointer import ModelPointer
from cardwatch.domain.engine.rules import rules_text
from cardwatch.domain.transaction.currency import rates_text
from cardwatch.infra.cdktf.context import StackContext, policy_json
from cardwatch.infra.common.policies import key_policy, token_key_policy


class Security(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        blueprint = ctx.blueprint
        self.key = KmsKey(
            self,
            "data-key",
            description=f"cardwatch data key ({blueprint.environment_suffix})",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            policy=policy_json(key_policy(blueprint, ctx.account_id, ctx.partition)),
        )
        KmsAlias(self, "data-key-alias", name=blueprint.key_alias, target_key_id=self.key.key_id)
        ctx.key_arn, ctx.key_id = self.key.arn, self.key.key_id
        ctx.arns[Handle.KEY] = [self.key.arn]
        ctx.urls[Handle.KEY] = self.key.arn
        # The analysts' API key: made before the functions, since ingest takes labels
        # only from it (by its id); the API puts it in a usage plan of its own.
        self.analyst_api_key = ApiGatewayApiKey(
            self,
            "analyst-api-key",
            name=blueprint.analyst_api_key_name,
            description=blueprint.analyst_api_key_description,
            enabled=True,
        )
        ctx.urls[Handle.ANALYST_API_KEY] = self.analyst_api_key.id
        # The card-token key: an HMAC key inside KMS (ingest derives its token key from
        # it); nothing secret is generated here, so none is in cdk.tf.json or the state.
        self.card_token_key = KmsKey(
            self,
            "card-token-key",
            description=f"cardwatch card-token HMAC key ({blueprint.environment_suffix})",
            customer_master_key_spec="HMAC_256",
            key_usage="GENERATE_VERIFY_MAC",
            deletion_window_in_days=7,
            policy=policy_json(token_key_policy(ctx.account_id, ctx.partition)),
        )
        KmsAlias(
            self,
            "card-token-key-alias",
            name=blueprint.card_token_key_alias,
            target_key_id=self.card_token_key.key_id,
        )
        ctx.arns[Handle.CARD_TOKEN_KEY] = [self.card_token_key.arn]
        self.rules = SsmParameter(
            self,
            "detection-rules",
            name=blueprint.rules_parameter,
            type="SecureString",
            key_id=self.key.arn,
            value=rules_text(),
            description="Detection rules and thresholds (JSON)",
            # the packaged rules are the first value only: the team's changes stand
            lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        )
        self.rates = SsmParameter(
            self,
            "currency-rates",
            name=blueprint.rates_parameter,
            type="SecureString",
            key_id=self.key.arn,
            value=rates_text(),
            description="Currency rates amounts are scored in (JSON)",
            # the packaged rates are the first value only: the team updates them in place
            lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        )
        self.model_pointer = SsmParameter(
            self,
            "model-pointer",
            name=blueprint.model_parameter,
            type="SecureString",
            key_id=self.key.arn,
            value=ModelPointer().to_json(),
            description="The model pointer: champion, challenger in shadow, earlier champions",
            # the shipped model is the first value only: retraining and the team move it
            lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        )
        region, account = blueprint.region, ctx.account_id
        for name, parameter in (
            (blueprint.rules_parameter, "rules_parameter"),
            (blueprint.rates_parameter, "rates_parameter"),
            (blueprint.model_parameter, "model_parameter"),
        ):
            ctx.arns[Handle(parameter)] = [
                f"arn:{ctx.partition}:ssm:{region}:{account}:parameter{name}"
            ]
