"""``Security``: the customer-managed key and the SSM parameters."""

from __future__ import annotations

import secrets

import pulumi
import pulumi_aws as aws

from cardwatch.domain.currency import rates_text
from cardwatch.domain.rules import rules_text
from cardwatch.infra.policies import key_policy
from cardwatch.infra.pulumi_program.base import Context, policy_output


class Security(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:Security", name, None, opts)
        bp = ctx.blueprint
        document = ctx.account_id.apply(lambda account: key_policy(account, bp.region))
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
        ctx.arns["key"] = [self.key.arn]
        self.card_token_key = aws.ssm.Parameter(
            "card-token-key",
            name=bp.card_token_key_parameter,
            type="SecureString",
            key_id=self.key.arn,
            value=pulumi.Output.secret(secrets.token_hex(32)),
            description="HMAC key for card tokens (PCI DSS 3.5)",
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["value"]),
        )
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
            opts=ctx.child(self),
        )
        for parameter, attribute in (
            (bp.card_token_key_parameter, "card_token_key_parameter"),
            (bp.rules_parameter, "rules_parameter"),
            (bp.rates_parameter, "rates_parameter"),
        ):
            ctx.arns[attribute] = [
                pulumi.Output.concat(
                    f"arn:{ctx.partition}:ssm:{bp.region}:",
                    ctx.account_id,
                    f":parameter{parameter}",
                )
            ]
        self.register_outputs({"key_arn": self.key.arn})
