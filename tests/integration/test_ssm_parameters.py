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
