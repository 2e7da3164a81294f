"""The runtime is a setting: python3.11 (both requirement documents), and its successors
python3.12 and python3.13 (Lambda deprecates 3.11 on 2027-06-30), each rendered and
packaged for its own Python."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cardwatch.blueprint import RUNTIME, RUNTIMES, blueprint_for
from cardwatch.infra.common.packaging import (
    TRAINING_DISTRIBUTIONS,
    build_lambda_package,
    wheels_command,
)
from cardwatch.infra.common.settings import SettingError, overrides


def test_the_default_is_the_documents_runtime_and_others_are_settings() -> None:
    assert RUNTIME == "python3.11" == blueprint_for("pulumi").settings.runtime
    chosen = blueprint_for("cdktf", **overrides({"runtime": "python3.13"}))
    assert chosen.settings.runtime == "python3.13" and chosen.python == (3, 13)
    with pytest.raises(SettingError, match=r"runtime: one of python3\.11"):
        overrides({"runtime": "python3.9"})


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_functions_package_is_built_for_its_runtimes_python(
    runtime: str, tmp_path: Path
) -> None:
    python = blueprint_for("cdktf", runtime=runtime).python
    package = build_lambda_package(tmp_path, python)
    names = zipfile.ZipFile(package.path).namelist()
    # the one compiled wheel (rpds-py, for the contract's checks) is the runtime's
    tag = f"cpython-{python[0]}{python[1]}"
    compiled = [n for n in names if n.startswith("rpds/") and n.endswith(".so")]
    assert compiled and all(tag in n for n in compiled), compiled
    # bytecode only where this machine's Python is the runtime's
    has_bytecode = any(n.endswith(f".{tag}.pyc") for n in names)
    assert has_bytecode == (sys.version_info[:2] == python)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_retrain_libraries_have_wheels_for_every_runtime(runtime: str) -> None:
    """pip resolves the retrain package's wheels for the runtime's Python on arm64 (a
    dry run: PyPI's metadata, not the 70 MB)."""
    python = blueprint_for("cdktf", runtime=runtime).python
    command = wheels_command(TRAINING_DISTRIBUTIONS, Path("/nonexistent-dry-run"), python)
    run = subprocess.run(
        [*command[:4], "--dry-run", "--ignore-installed", *command[4:]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_a_later_runtime_renders_every_function_on_it(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pulumi  # noqa: PLC0415

    from cardwatch.infra.pulumi import program  # noqa: PLC0415
    from tests.support.pulumi_harness import Recorder  # noqa: PLC0415

    built: list[tuple[int, int]] = []

    def training_package(build_dir: Path, python: tuple[int, int]) -> Any:
        # its wheels resolve for every runtime (above); its 70 MB add nothing here
        built.append(python)
        return build_lambda_package(build_dir, python)

    monkeypatch.setattr(program, "build_training_package", training_package)

    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="cardwatch", stack="runtime", preview=False)
    blueprint = blueprint_for("pulumi", "dev", runtime="python3.13")
    build_dir = tmp_path_factory.mktemp("pulumi-runtime")

    @pulumi.runtime.test
    def run() -> Any:
        parts = program.build(blueprint, build_dir)
        return pulumi.Output.all(*[part.urn for part in parts.values()])

    run()
    functions = recorder.of("aws:lambda/function:Function")
    assert len(functions) == len(blueprint.functions)
    assert {f.inputs["runtime"] for f in functions} == {"python3.13"}
    assert built == [(3, 13)]
