"""The blueprint: names, numbers and per-target defaults (DESIGN.md's table)."""

import pytest

from cardwatch.blueprint import TARGET_DEFAULTS, Blueprint, Handle, Target, blueprint_for
from cardwatch.infra.common.handles import Registered


@pytest.fixture(params=list(Target))
def blueprint(request: pytest.FixtureRequest) -> Blueprint:
    return blueprint_for(request.param, "qa7")


def every_name(blueprint: Blueprint) -> list[str]:
    return [
        blueprint.table_name,
        blueprint.alert_topic_name,
        blueprint.api_name,
        *(queue.name for queue in blueprint.queues),
        *(spec.name for spec in blueprint.functions.values()),
    ]


@pytest.mark.requirement("R000-21")
@pytest.mark.requirement("R003-19")
def test_every_name_is_type_dash_suffix(blueprint: Blueprint) -> None:
    names = every_name(blueprint)
    assert all(name.endswith("-qa7") for name in names)
    assert len(names) == len(set(names))
    assert blueprint.key_alias == "alias/cardwatch-data-qa7"
    assert blueprint.card_token_key_alias == "alias/cardwatch-card-token-qa7"
    assert "/qa7/" in blueprint.rules_parameter


@pytest.mark.requirement("R000-22")
def test_the_region_is_us_east_1(blueprint: Blueprint) -> None:
    assert blueprint.region == "us-east-1"


@pytest.mark.requirement("R000-26")
def test_the_three_tags(blueprint: Blueprint) -> None:
    assert set(blueprint.tags) == {"Environment", "Project", "CostCenter"}
    assert blueprint.tags["Environment"] == "qa7"


@pytest.mark.requirement("R003-04")
def test_the_table_is_named_and_keyed_as_both_documents_say(blueprint: Blueprint) -> None:
    assert blueprint.table_name == "transactions-qa7"
    assert (blueprint.table_partition_key, blueprint.table_sort_key) == (
        "transaction_id",
        "timestamp",
    )


@pytest.mark.requirement("R003-12")
@pytest.mark.requirement("R003-13")
def test_queue_numbers(blueprint: Blueprint) -> None:
    assert blueprint.suspicious_queue.visibility_timeout_seconds == 360
    assert blueprint.suspicious_queue.dead_letter == blueprint.suspicious_dlq
    assert blueprint.suspicious_dlq.retention_seconds == 14 * 86_400


def test_the_cdktf_defaults_are_seed_000s() -> None:
    settings = TARGET_DEFAULTS[Target.CDKTF]
    assert settings.log_retention_days == 30
    assert all(1 <= n <= 5 for n in settings.reserved_concurrency.values())
    assert settings.api_quota_per_day == 1000
    assert not settings.vpc_functions


def test_the_pulumi_defaults_are_seed_003s() -> None:
    settings = TARGET_DEFAULTS[Target.PULUMI]
    assert settings.log_retention_days == 7
    assert all(n >= 100 for n in settings.reserved_concurrency.values())
    assert settings.api_rate_limit_per_second == 1000 and settings.api_quota_per_day is None
    assert settings.vpc_functions == {"ingest", "decide", "detect"}
    assert settings.email_subscription


def test_local_mode_has_no_daily_quota() -> None:
    assert TARGET_DEFAULTS[Target.LOCAL].api_quota_per_day is None


def test_settings_can_be_overridden_per_deployment() -> None:
    blueprint = blueprint_for("cdktf", "prod", log_retention_days=90)
    assert blueprint.settings.log_retention_days == 90
    assert TARGET_DEFAULTS[Target.CDKTF].log_retention_days == 30


@pytest.mark.parametrize("suffix", ["", "has space", "semi;colon", "dots.dots"])
def test_a_suffix_that_cannot_be_part_of_a_name_is_refused(suffix: str) -> None:
    with pytest.raises(ValueError, match="environment_suffix"):
        blueprint_for("cdktf", suffix)


def test_functions_run_the_package_handlers(blueprint: Blueprint) -> None:
    for key, spec in blueprint.functions.items():
        assert spec.handler == f"cardwatch.handlers.{key}.handler"
        assert spec.log_group == f"/aws/lambda/{spec.name}"


def test_grants_and_environments_name_resources_by_typed_handles() -> None:
    for target in ("cdktf", "pulumi", "local"):
        for spec in blueprint_for(target, "dev").functions.values():
            assert all(isinstance(resource, Handle) for resource, _actions in spec.grants)
            assert all(isinstance(value, str) for value in spec.environment.values())
    ingest = blueprint_for("local", "dev").functions["ingest"]
    assert ingest.environment["ANALYST_API_KEY_ID"] is Handle.ANALYST_API_KEY
    assert ingest.environment["TABLE_NAME"] == "transactions-dev"

    class Empty(Registered):
        def __init__(self) -> None:
            self.arns, self.urls = {}, {}

    with pytest.raises(LookupError, match="suspicious_queue"):
        Empty().arn_of(Handle.SUSPICIOUS_QUEUE)
    with pytest.raises(LookupError, match="analyst_api_key"):
        Empty().output_of(Handle.ANALYST_API_KEY)
