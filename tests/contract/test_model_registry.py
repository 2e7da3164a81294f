"""ModelRegistry: the in-memory registry (the bench's, the use-case tests') and S3 + SSM."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from cardwatch.adapters.memory import InMemoryModelRegistry
from cardwatch.adapters.model_registry import S3ModelRegistry
from cardwatch.blueprint import Blueprint
from cardwatch.domain.engine.model_pointer import ModelPointer, PointerError, VersionTaken
from cardwatch.domain.ports import ModelRegistry

OLDER, NEWER = "20261120T1200Z-aaaa", "20261127T1200Z-bbbb"


@pytest.fixture(params=["memory", "s3"])
def registry(request: pytest.FixtureRequest, blueprint: Blueprint) -> ModelRegistry:
    if request.param == "memory":
        return InMemoryModelRegistry()
    made = request.getfixturevalue("provisioned")
    return S3ModelRegistry(
        blueprint.model_bucket_name,
        blueprint.model_parameter,
        boto3.client("s3"),
        boto3.client("ssm"),
        made.key_id,
    )


def test_before_any_move_the_pointer_names_the_shipped_model(registry: ModelRegistry) -> None:
    assert registry.pointer() == ModelPointer()


def test_a_moved_pointer_is_read_back_whole(registry: ModelRegistry) -> None:
    registry.publish(NEWER, '{"trees": []}')
    moved = ModelPointer(champion=NEWER, reason="promoted", changed_at="2026-11-27T12:00:00Z")
    registry.move(moved)
    assert registry.pointer() == moved


def test_published_artifacts_are_read_back_and_listed_oldest_first(
    registry: ModelRegistry,
) -> None:
    registry.publish(NEWER, '{"v": 2}')
    registry.publish(OLDER, '{"v": 1}')
    assert registry.artifact(OLDER) == '{"v": 1}' and registry.artifact(NEWER) == '{"v": 2}'
    assert registry.versions() == [OLDER, NEWER]


def test_an_unknown_version_is_a_key_error(registry: ModelRegistry) -> None:
    with pytest.raises(KeyError):
        registry.artifact(OLDER)


def test_a_version_is_written_once_and_a_retry_of_the_same_artifact_is_no_change(
    registry: ModelRegistry,
) -> None:
    registry.publish(OLDER, '{"v": 1}')
    registry.publish(OLDER, '{"v": 1}')  # a retried run: nothing changes
    with pytest.raises(VersionTaken):
        registry.publish(OLDER, '{"v": "another"}')
    assert registry.artifact(OLDER) == '{"v": 1}' and registry.versions() == [OLDER]


@pytest.mark.parametrize("name", ["", "../escape", "a/b", "x" * 101, "modèle"])
def test_a_name_that_is_not_a_version_is_refused(registry: ModelRegistry, name: str) -> None:
    with pytest.raises(PointerError):
        registry.publish(name, "{}")
    with pytest.raises(PointerError):
        registry.artifact(name)


def test_s3_retries_a_publish_that_met_another_write_of_the_key() -> None:
    # S3 answers 409 ConditionalRequestConflict when another conditional write of the key
    # is in flight, and asks for a retry
    class S3:
        def __init__(self) -> None:
            self.calls = 0

        def put_object(self, **_: object) -> None:
            self.calls += 1
            if self.calls < 3:
                raise ClientError(
                    {"Error": {"Code": "ConditionalRequestConflict", "Message": "busy"}},
                    "PutObject",
                )

    s3, slept = S3(), []
    S3ModelRegistry("b", "p", s3, None, sleep=slept.append).publish(OLDER, "{}")
    assert s3.calls == 3 and len(slept) == 2
