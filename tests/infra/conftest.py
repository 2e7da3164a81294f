"""The CDKTF stack, synthesized once per test session (each jsii start costs seconds)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cardwatch.blueprint import Blueprint, blueprint_for


class Synthesized:
    """The Terraform JSON, with helpers to find resources and read their settings."""

    def __init__(self, path: Path, blueprint: Blueprint) -> None:
        self.path = path
        self.blueprint = blueprint
        self.document: dict[str, Any] = json.loads(path.read_text())

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self.document.get("resource", {}).get(kind, {})
        return found

    def one(self, kind: str) -> dict[str, Any]:
        (only,) = self.resources(kind).values()
        return only

    def named(self, kind: str, name: str, key: str = "name") -> dict[str, Any]:
        matches = [r for r in self.resources(kind).values() if r.get(key) == name]
        assert len(matches) == 1, f"{kind} {name}: {len(matches)} found"
        return matches[0]

    def data_key(self) -> dict[str, Any]:
        """The customer-managed key that encrypts data (not the card-token HMAC key)."""
        (key,) = [
            k for k in self.resources("aws_kms_key").values() if "customer_master_key_spec" not in k
        ]
        return key

    def function(self, key: str) -> dict[str, Any]:
        return self.named(
            "aws_lambda_function", self.blueprint.functions[key].name, "function_name"
        )

    def all_resources(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for kind, group in self.document.get("resource", {}).items():
            for logical, config in group.items():
                yield kind, logical, config


@pytest.fixture(scope="session")
def cdktf_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from cardwatch.infra.cdktf.app import synth  # noqa: PLC0415 - starts jsii: only here

    blueprint = blueprint_for("cdktf", "dev")
    out = tmp_path_factory.mktemp("cdktf") / "cdktf.out"
    return Synthesized(synth(blueprint, out), blueprint)


def policy(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@pytest.fixture(scope="session")
def pulumi_stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The Pulumi program with seed 003's defaults, every resource's inputs recorded."""
    import pulumi  # noqa: PLC0415 - the mocks are process-wide: set them only here

    from tests.infra.pulumi_harness import Recorder  # noqa: PLC0415

    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="cardwatch", stack="dev", preview=False)
    from cardwatch.infra.pulumi.program import build  # noqa: PLC0415

    build_dir = tmp_path_factory.mktemp("pulumi-build")

    @pulumi.runtime.test
    def run() -> Any:
        parts = build(blueprint_for("pulumi", "dev"), build_dir)
        return pulumi.Output.all(*[part.urn for part in parts.values()])

    run()
    recorder.blueprint = blueprint_for("pulumi", "dev")
    return recorder


@pytest.fixture(scope="session")
def pulumi_with_cdktf_settings(pulumi_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The Pulumi program rendering the CDKTF deployment's blueprint, for parity."""
    import pulumi  # noqa: PLC0415

    from tests.infra.pulumi_harness import Recorder  # noqa: PLC0415

    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="cardwatch", stack="parity", preview=False)
    from cardwatch.infra.pulumi.program import build  # noqa: PLC0415

    blueprint = blueprint_for("cdktf", "dev")
    build_dir = tmp_path_factory.mktemp("pulumi-parity-build")

    @pulumi.runtime.test
    def run() -> Any:
        parts = build(blueprint, build_dir)
        return pulumi.Output.all(*[part.urn for part in parts.values()])

    run()
    recorder.blueprint = blueprint
    return recorder


@pytest.fixture(scope="session")
def cdktf_vpc_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The CDKTF stack with its functions in a VPC and the account's API Gateway role set:
    the parts the default synth leaves out."""
    from cardwatch.infra.cdktf.app import synth  # noqa: PLC0415

    blueprint = blueprint_for(
        "cdktf",
        "dev",
        vpc_functions=frozenset({"ingest", "detect"}),
        api_gateway_account_role=True,
    )
    out = tmp_path_factory.mktemp("cdktf-vpc") / "cdktf.out"
    return Synthesized(synth(blueprint, out), blueprint)
