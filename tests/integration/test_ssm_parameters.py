import boto3
import pytest

from cardwatch.adapters.ssm_parameters import ParameterReader
from cardwatch.blueprint import Blueprint
from tests.conftest import TOKEN_KEY


@pytest.mark.requirement("R000-18")
@pytest.mark.usefixtures("provisioned")
def test_the_card_token_key_is_a_secure_string_read_with_decryption(blueprint: Blueprint) -> None:
    ssm = boto3.client("ssm")
    parameter = ssm.get_parameter(Name=blueprint.card_token_key_parameter)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert ParameterReader(ssm).card_token_key(blueprint.card_token_key_parameter) == TOKEN_KEY


@pytest.mark.usefixtures("aws")
def test_a_key_that_is_not_hex_is_a_clear_error() -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/bad", Value="not hex", Type="SecureString")
    with pytest.raises(ValueError, match="hexadecimal"):
        ParameterReader(ssm).card_token_key("/bad")


@pytest.mark.usefixtures("provisioned")
def test_detect_scores_amounts_with_the_deployments_rates_table(
    blueprint: Blueprint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from decimal import Decimal  # noqa: PLC0415

    from cardwatch.domain.currency import default_rates  # noqa: PLC0415
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
