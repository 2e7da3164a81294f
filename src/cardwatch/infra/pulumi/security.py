"""``Security``: the customer-managed data key, the card-token HMAC key and the SSM
parameters."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Handle
from cardwatch.domain.engine.model_pointer import ModelPointer
from cardwatch.domain.engine.rules import rules_text
from cardwatch.domain.transaction.currency import rates_text
from cardwatch.infra.common.policies import key_policy, token_key_policy
from cardwatch.infra.pulumi.base import Context, policy_output


class Security(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:Security", name, None, opts)
        bp = ctx.blueprint
        document = ctx.account_id.apply(lambda account: key_policy(bp, account))
        self.key = aws.kms.Key(
            "data-key",
            description=f"cardwatch data key ({bp.environment_suffix})",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            policy=policy_output(document),
            opts=ctx.child(self),
        )
        aws.kms.Alias(
            "data-key-alias", name=bp.key_alias, target_key_id=self.key.key_id, opts=ctx.child(self)
        )
        ctx.key_arn = self.key.arn
        ctx.arns[Handle.KEY] = [self.key.arn]
        ctx.urls[Handle.KEY] = self.key.arn
        # The analysts' API key: made before the functions, since ingest takes labels
        # only from it (by its id); the API puts it in a usage plan of its own.
        self.analyst_api_key = aws.apigateway.ApiKey(
            "analyst-api-key",
            name=bp.analyst_api_key_name,
            description=bp.analyst_api_key_description,
            enabled=True,
            opts=ctx.child(self),
        )
        ctx.urls[Handle.ANALYST_API_KEY] = self.analyst_api_key.id
        # The card-token key: an HMAC key inside KMS (ingest derives its token key from
        # it); nothing secret is generated here, so none is in the inputs or the state.
        self.card_token_key = aws.kms.Key(
            "card-token-key",
            description=f"cardwatch card-token HMAC key ({bp.environment_suffix})",
            customer_master_key_spec="HMAC_256",
            key_usage="GENERATE_VERIFY_MAC",
            deletion_window_in_days=7,
            policy=policy_output(ctx.account_id.apply(token_key_policy)),
            opts=ctx.child(self),
        )
        aws.kms.Alias(
            "card-token-key-alias",
            name=bp.card_token_key_alias,
            target_key_id=self.card_token_key.key_id,
            opts=ctx.child(self),
        )
        ctx.arns[Handle.CARD_TOKEN_KEY] = [self.card_token_key.arn]
        self.rules = aws.ssm.Parameter(
            "detection-rules",
            name=bp.rules_parameter,
            type="SecureString",
            key_id=self.key.arn,
            value=rules_text(),
            description="Detection rules and thresholds (JSON)",
            # the packaged rules are the first value only: the team's changes stand
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["value"]),
        )
        self.rates = aws.ssm.Parameter(
            "currency-rates",
            name=bp.rates_parameter,
            type="SecureString",
            key_id=self.key.arn,
            value=rates_text(),
            description="Currency rates amounts are scored in (JSON)",
            # the packaged rates are the first value only: the team updates them in place
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["value"]),
        )
        self.model_pointer = aws.ssm.Parameter(
            "model-pointer",
            name=bp.model_parameter,
            type="SecureString",
            key_id=self.key.arn,
            value=ModelPointer().to_json(),
            description="The model pointer: champion, challenger in shadow, earlier champions",
            # the shipped model is the first value only: retraining and the team move it
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["value"]),
        )
        for parameter, attribute in (
            (bp.rules_parameter, "rules_parameter"),
            (bp.rates_parameter, "rates_parameter"),
            (bp.model_parameter, "model_parameter"),
        ):
            ctx.arns[Handle(attribute)] = [
                pulumi.Output.concat(
                    f"arn:{ctx.partition}:ssm:{bp.region}:",
                    ctx.account_id,
                    f":parameter{parameter}",
                )
            ]
        self.register_outputs({"key_arn": self.key.arn})
