"""The settings both entry points take (Pulumi's stack config, the CDKTF synth's --set):
one table, the same names, the same meaning, a clear refusal naming the setting."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from cardwatch.blueprint import FUNCTION_KEYS, ApiLogging, blueprint_for
from cardwatch.infra.common.settings import SettingError, overrides


def test_every_setting_reaches_the_blueprint() -> None:
    found = overrides(
        {
            "ops_email": "ops@example.com",
            "alert_email": "fraud@example.com",
            "email_subscription": "true",
            "reserved_concurrency": "3",
            "vpc_functions": "ingest, detect",
            "api_quota_per_day": "0",
            "log_retention_days": "14",
            "genuine_share": "0.05",
            "api_logging": "Account",
        }
    )
    blueprint = blueprint_for("cdktf", "dev", **found)
    settings = blueprint.settings
    assert settings.ops_email == "ops@example.com" and settings.email_subscription
    assert settings.reserved_concurrency == dict.fromkeys(FUNCTION_KEYS, 3)
    assert settings.vpc_functions == {"ingest", "detect"}
    assert settings.api_quota_per_day is None and settings.log_retention_days == 14
    assert settings.genuine_share == 0.05 and settings.api_logging is ApiLogging.ACCOUNT


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"ops_mail": "x"}, "ops_mail"),
        ({"reserved_concurrency": "many"}, "reserved_concurrency"),
        ({"vpc_functions": "ingest,billing"}, "billing"),
        ({"email_subscription": "maybe"}, "email_subscription"),
    ],
)
def test_a_wrong_setting_is_refused_by_name(given: dict[str, str], named: str) -> None:
    with pytest.raises(SettingError, match=named):
        overrides(given)


def test_the_pulumi_config_and_the_cdktf_synth_give_the_same_blueprint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cardwatch.infra.cdktf import app  # noqa: PLC0415
    from cardwatch.infra.pulumi import program  # noqa: PLC0415

    given = {"ops_email": "ops@example.com", "reserved_concurrency": "2"}

    class Config:
        def get(self, name: str) -> str | None:
            return given.get(name)

    from_pulumi = program.blueprint_from_config(Config())  # type: ignore[arg-type]
    seen: list[Any] = []
    monkeypatch.setattr(
        app, "synth", lambda blueprint, out, state=None: seen.append((blueprint, state)) or out
    )
    monkeypatch.setenv("CARDWATCH_OPS_EMAIL", "ops@example.com")
    monkeypatch.setattr(
        sys, "argv", ["synth", "--out", str(tmp_path), "--set", "reserved_concurrency=2"]
    )
    app.main()
    (synthesized, state), *_ = seen
    assert synthesized.settings.ops_email == from_pulumi.settings.ops_email == "ops@example.com"
    assert synthesized.settings.reserved_concurrency == from_pulumi.settings.reserved_concurrency
    assert state is None  # a local state file unless a bucket is given
    monkeypatch.setenv("CARDWATCH_STATE_BUCKET", "team-state")
    app.main()
    assert seen[-1][1].bucket == "team-state" and seen[-1][1].kms_key_id is None
    monkeypatch.setattr(sys, "argv", ["synth", "--set", "ops_mail=x"])
    with pytest.raises(SystemExit) as refused:
        app.main()
    assert refused.value.code == 2  # argparse's usage error, naming the setting
