"""The CDKTF stack, synthesized once per test session (each jsii start costs seconds)."""

from __future__ import annotations

from typing import Any

import pytest

from cardwatch.blueprint import ApiLogging, blueprint_for
from tests.support.infra import Synthesized


@pytest.fixture(scope="session")
def cdktf_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from cardwatch.infra.cdktf.app import synth  # noqa: PLC0415 - starts jsii: only here

    blueprint = blueprint_for("cdktf", "dev")
    out = tmp_path_factory.mktemp("cdktf") / "cdktf.out"
    return Synthesized(synth(blueprint, out), blueprint)


@pytest.fixture(scope="session")
def pulumi_stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The Pulumi program with seed 003's defaults, every resource's inputs recorded."""
    import pulumi  # noqa: PLC0415 - the mocks are process-wide: set them only here

    from tests.support.pulumi_harness import Recorder  # noqa: PLC0415

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


def _pulumi_rendering(blueprint: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    import pulumi  # noqa: PLC0415

    from tests.support.pulumi_harness import Recorder  # noqa: PLC0415

    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="cardwatch", stack="parity", preview=False)
    from cardwatch.infra.pulumi.program import build  # noqa: PLC0415

    build_dir = tmp_path_factory.mktemp("pulumi-parity-build")

    @pulumi.runtime.test
    def run() -> Any:
        parts = build(blueprint, build_dir)
        return pulumi.Output.all(*[part.urn for part in parts.values()])

    run()
    recorder.blueprint = blueprint
    return recorder


@pytest.fixture(scope="session")
def pulumi_with_cdktf_settings(pulumi_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The Pulumi program rendering the CDKTF deployment's blueprint, for parity."""
    return _pulumi_rendering(blueprint_for("cdktf", "dev"), tmp_path_factory)


@pytest.fixture(scope="session")
def pulumi_with_cdktf_vpc_settings(
    cdktf_vpc_stack: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """The Pulumi program rendering the CDKTF VPC rendering's blueprint, for parity."""
    return _pulumi_rendering(cdktf_vpc_stack.blueprint, tmp_path_factory)


@pytest.fixture(scope="session")
def cdktf_vpc_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The CDKTF stack with its functions in a VPC, using the API Gateway role the account
    already has, its state in S3: the parts the default synth leaves out."""
    from cardwatch.infra.cdktf.app import synth  # noqa: PLC0415
    from cardwatch.infra.cdktf.stack import StateBucket  # noqa: PLC0415

    blueprint = blueprint_for(
        "cdktf",
        "dev",
        vpc_functions=frozenset({"ingest", "detect"}),
        api_logging=ApiLogging.ACCOUNT,
    )
    out = tmp_path_factory.mktemp("cdktf-vpc") / "cdktf.out"
    state = StateBucket("team-terraform-state", "us-east-1", "alias/terraform-state")
    return Synthesized(synth(blueprint, out, state), blueprint)
