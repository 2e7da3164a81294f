"""The customer-managed data key, the card-token HMAC key, the analysts' API key and the
SSM parameters (rules, rates, the model pointer), as neutral specs
(:mod:`cardwatch.infra.common.specs`)."""

from __future__ import annotations

from functools import partial
from typing import Any

from cardwatch.blueprint import Blueprint, Handle
from cardwatch.domain.engine.model_pointer import ModelPointer
from cardwatch.domain.engine.rules import rules_text
from cardwatch.domain.transaction.currency import rates_text
from cardwatch.infra.common.policies import key_policy, token_key_policy
from cardwatch.infra.common.specs import ACCOUNT, PARTITION, Apply, Json, Part, Ref, Resource, Text

__all__ = ["SecurityResources", "security"]

#: the keys' waiting period once scheduled for deletion (AWS's shortest)
_DELETION_WINDOW_DAYS = 7


def _parameters(blueprint: Blueprint) -> list[Resource]:
    """SecureStrings under the data key, each holding its packaged first value only: the
    team's changes (rules, rates) and retraining's (the pointer) stand."""
    return [
        Resource(
            "aws_ssm_parameter",
            logical,
            {
                "name": name,
                "type": "SecureString",
                "key_id": Ref("data-key"),
                "value": value,
                "description": description,
            },
            ignore_changes=("value",),
        )
        for logical, name, value, description in (
            (
                "detection-rules",
                blueprint.rules_parameter,
                rules_text(),
                "Detection rules and thresholds (JSON)",
            ),
            (
                "currency-rates",
                blueprint.rates_parameter,
                rates_text(),
                "Currency rates amounts are scored in (JSON)",
            ),
            (
                "model-pointer",
                blueprint.model_parameter,
                ModelPointer().to_json(),
                "The model pointer: champion, challenger in shadow, earlier champions",
            ),
        )
    ]


def security(blueprint: Blueprint) -> Part:
    suffix = blueprint.environment_suffix
    keys = [
        Resource(
            "aws_kms_key",
            "data-key",
            {
                "description": f"cardwatch data key ({suffix})",
                "enable_key_rotation": True,
                "deletion_window_in_days": _DELETION_WINDOW_DAYS,
                "policy": Json(Apply(partial(key_policy, blueprint), ACCOUNT)),
            },
        ),
        Resource(
            "aws_kms_alias",
            "data-key-alias",
            {"name": blueprint.key_alias, "target_key_id": Ref("data-key", "key_id")},
        ),
        # the analysts' API key: made before the functions, since ingest takes labels
        # only from it (by its id); the API puts it in a usage plan of its own
        Resource(
            "aws_api_gateway_api_key",
            "analyst-api-key",
            {
                "name": blueprint.analyst_api_key_name,
                "description": blueprint.analyst_api_key_description,
                "enabled": True,
            },
        ),
        # the disputes feed's key: a label's source is chargeback or issuer only with it
        Resource(
            "aws_api_gateway_api_key",
            "feed-api-key",
            {
                "name": blueprint.feed_api_key_name,
                "description": blueprint.feed_api_key_description,
                "enabled": True,
            },
        ),
        # the card-token key: an HMAC key inside KMS (ingest derives its token key from
        # it); nothing secret is generated here, so none is in the inputs or the state
        Resource(
            "aws_kms_key",
            "card-token-key",
            {
                "description": f"cardwatch card-token HMAC key ({suffix})",
                "customer_master_key_spec": "HMAC_256",
                "key_usage": "GENERATE_VERIFY_MAC",
                "deletion_window_in_days": _DELETION_WINDOW_DAYS,
                "policy": Json(Apply(token_key_policy, ACCOUNT)),
            },
        ),
        Resource(
            "aws_kms_alias",
            "card-token-key-alias",
            {
                "name": blueprint.card_token_key_alias,
                "target_key_id": Ref("card-token-key", "key_id"),
            },
        ),
    ]
    key = Ref("data-key")
    return Part(
        (*keys, *_parameters(blueprint)),
        arns={
            Handle.KEY: [key],
            Handle.CARD_TOKEN_KEY: [Ref("card-token-key")],
            **{
                Handle(handle): [
                    Text(
                        (
                            "arn:",
                            PARTITION,
                            f":ssm:{blueprint.region}:",
                            ACCOUNT,
                            f":parameter{name}",
                        )
                    )
                ]
                for name, handle in (
                    (blueprint.rules_parameter, "rules_parameter"),
                    (blueprint.rates_parameter, "rates_parameter"),
                    (blueprint.model_parameter, "model_parameter"),
                )
            },
        },
        urls={
            Handle.KEY: key,
            Handle.ANALYST_API_KEY: Ref("analyst-api-key", "id"),
            Handle.FEED_API_KEY: Ref("feed-api-key", "id"),
        },
        exposes={
            "key": "data-key",
            "analyst_api_key": "analyst-api-key",
            "feed_api_key": "feed-api-key",
            "card_token_key": "card-token-key",
            "rules": "detection-rules",
            "rates": "currency-rates",
            "model_pointer": "model-pointer",
        },
    )


class SecurityResources:
    """What the part's Construct or ComponentResource holds for the other parts: the
    rendered resources its :attr:`~cardwatch.infra.common.specs.Part.exposes` names."""

    key: Any
    analyst_api_key: Any
    feed_api_key: Any
    card_token_key: Any
    rules: Any
    rates: Any
    model_pointer: Any
