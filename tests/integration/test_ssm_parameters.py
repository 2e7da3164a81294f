import json

import boto3
import pytest
from botocore.exceptions import ClientError

from cardwatch.adapters.kms_token_key import derive_card_token_key
from cardwatch.adapters.ssm_parameters import ParameterReader
from cardwatch.blueprint import Blueprint


@pytest.mark.requirement("R000-18")
@pytest.mark.usefixtures("provisioned")
def test_the_rules_are_a_secure_string_read_with_decryption(blueprint: Blueprint) -> None:
    ssm = boto3.client("ssm")
    parameter = ssm.get_parameter(Name=blueprint.rules_parameter)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert json.loads(ParameterReader(ssm).text(blueprint.rules_parameter))["rules"]


@pytest.mark.usefixtures("provisioned")
def test_the_card_token_key_is_derived_inside_kms_the_same_at_every_cold_start(
    blueprint: Blueprint,
) -> None:
    kms = boto3.client("kms")
    first = derive_card_token_key(kms, blueprint.card_token_key_alias)
    again = derive_card_token_key(boto3.client("kms"), blueprint.card_token_key_alias)
    assert len(first) == 32 and first == again  # tokens stay stable across environments
    assert derive_card_token_key(kms, blueprint.card_token_key_alias, b"v2") != first
    metadata = kms.describe_key(KeyId=blueprint.card_token_key_alias)["KeyMetadata"]
    assert metadata["KeySpec"] == "HMAC_256" and metadata["KeyUsage"] == "GENERATE_VERIFY_MAC"
    # no parameter holds a card-token key
    names = [p["Name"] for p in boto3.client("ssm").describe_parameters()["Parameters"]]
    assert not [name for name in names if "token" in name]


@pytest.mark.usefixtures("provisioned")
def test_a_key_that_cannot_make_macs_is_a_clear_error(blueprint: Blueprint) -> None:
    with pytest.raises(ClientError, match="InvalidKeyUsage"):
        derive_card_token_key(boto3.client("kms"), blueprint.key_alias)


@pytest.mark.usefixtures("provisioned")
def test_detect_scores_amounts_with_the_deployments_rates_table(
    blueprint: Blueprint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from decimal import Decimal  # noqa: PLC0415

    from cardwatch.domain.transaction.currency import default_rates  # noqa: PLC0415
    from cardwatch.handlers.config import DetectConfig  # noqa: PLC0415
    from cardwatch.handlers.wiring import parameters  # noqa: PLC0415
    from cardwatch.handlers.wiring.detect import rates  # noqa: PLC0415

    config = DetectConfig("t", "p", "q", blueprint.rules_parameter, blueprint.rates_parameter)
    # the stack stores the shipped table
    assert rates(config) == default_rates()
    # an operator's table is read without a redeploy (after the cache's minute)
    ssm = boto3.client("ssm")
    for document, yen in (
        ('{"reference": "USD", "rates": {"USD": "1", "JPY": "0.01"}}', 100.0),
        ("not a table", float(default_rates().rates["JPY"] * 10_000)),  # refused: shipped
    ):
        ssm.put_parameter(
            Name=blueprint.rates_parameter, Value=document, Type="SecureString", Overwrite=True
        )
        parameters.cache_clear()
        assert rates(config).to_reference(Decimal(10_000), "JPY") == yen
