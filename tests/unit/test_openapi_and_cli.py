import json

import pytest

from cardwatch.cli.main import main
from cardwatch.schema import transaction_schema
from cardwatch.schema.openapi import openapi_document


def test_the_openapi_document_embeds_the_one_contract() -> None:
    document = openapi_document("http://127.0.0.1:8080")
    embedded = document["components"]["schemas"]["Transaction"]
    contract = transaction_schema()
    del contract["$schema"], contract["id"]
    assert embedded == contract
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "http://127.0.0.1:8080"}]
    post = document["paths"]["/transactions"]["post"]
    assert {"201", "400", "403", "409", "413", "429"} <= set(post["responses"])


def test_the_cli_prints_the_contract_and_the_blueprint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == transaction_schema()
    assert main(["blueprint", "--target", "pulumi", "--environment-suffix", "stg"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["table"] == "transactions-stg"
    assert summary["settings"]["log_retention_days"] == 7
