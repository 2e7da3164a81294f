"""A real Terraform run of the synthesized stack against the local emulator.

``terraform init -plugin-dir`` (the machine's provider mirror: ``TF_PLUGIN_DIR``),
``validate``, ``plan``, ``apply`` with every provider endpoint pointed at moto's server,
then ``destroy``: every resource is created, then every one is gone. Where terraform or
the mirror is missing, the stage says so and is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from cardwatch.infra.cdktf.stack import AWS_PROVIDER_VERSION
from cardwatch.local.emulator import patches as fidelity
from tests.support.infra import Synthesized

PLUGIN_DIR = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
ENDPOINT_SERVICES = (
    "apigateway",
    "athena",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "events",
    "firehose",
    "glue",
    "iam",
    "kms",
    "lambda",
    "logs",
    "pipes",
    "s3",
    "scheduler",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "xray",
)


def _missing() -> str | None:
    if shutil.which("terraform") is None:
        return "terraform is not on the PATH"
    mirror = PLUGIN_DIR / "registry.terraform.io" / "hashicorp" / "aws" / AWS_PROVIDER_VERSION
    if not mirror.is_dir():
        return f"no AWS provider {AWS_PROVIDER_VERSION} mirror under {PLUGIN_DIR}"
    return None


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.iam.models import iam_backends  # noqa: PLC0415

    # where moto differs from AWS (see the module), as local mode runs it; IAM made
    # afresh, with AWS's managed policies (the patch asks for them)
    fidelity.install()
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    for account in iam_backends.values():
        account.reset()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def terraform(workdir: Path, *args: str) -> str:
    run = subprocess.run(
        ["terraform", *args, "-no-color"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    errors = "\n".join(line for line in run.stdout.splitlines() if "Error" in line)
    assert run.returncode == 0, (
        f"terraform {args[0]} failed:\n{errors}\n{run.stdout[-3000:]}\n{run.stderr}"
    )
    return run.stdout


def state(workdir: Path) -> list[str]:
    return [
        line for line in terraform(workdir, "state", "list").splitlines() if line.startswith("aws_")
    ]


@pytest.mark.requirement("R000-27")
@pytest.mark.requirement("R003-20")
@pytest.mark.parametrize("rendering", ["cdktf_stack", "cdktf_vpc_stack"])
def test_apply_and_destroy_against_the_emulator(
    rendering: str, emulator: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The default rendering, and the one with functions in a VPC (the account's API
    Gateway role, a team's state in S3)."""
    cdktf_stack: Synthesized = request.getfixturevalue(rendering)
    if (reason := _missing()) is not None:
        warnings.warn(f"TERRAFORM STAGE SKIPPED: {reason}", stacklevel=1)
        pytest.skip(f"TERRAFORM STAGE SKIPPED: {reason}")
    # GIVEN the synthesized stack, its assets, and the provider pointed at the emulator
    workdir = tmp_path / "stack"
    shutil.copytree(cdktf_stack.path.parent, workdir)
    override: dict[str, Any] = {
        # the state stays beside the stack here, whatever backend the rendering names
        "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
        "provider": {
            "aws": [
                {
                    "region": "us-east-1",
                    "access_key": "cardwatch",
                    "secret_key": "cardwatch",
                    "skip_credentials_validation": True,
                    "skip_metadata_api_check": True,
                    # the provider builds ARNs with the account (the Athena workgroup's
                    # tags are read by one): asked of the emulator's STS
                    "skip_requesting_account_id": False,
                    "skip_region_validation": True,
                    "s3_use_path_style": True,  # the emulator has no per-bucket hostnames
                    "endpoints": [dict.fromkeys(ENDPOINT_SERVICES, emulator)],
                    "default_tags": [{"tags": cdktf_stack.blueprint.tags}],
                }
            ]
        },
    }
    (workdir / "emulator_override.tf.json").write_text(json.dumps(override))
    expected = sorted(f"{kind}.{logical}" for kind, logical, _ in cdktf_stack.all_resources())
    # WHEN terraform initializes offline, validates, plans and applies
    terraform(workdir, "init", f"-plugin-dir={PLUGIN_DIR}", "-input=false")
    terraform(workdir, "validate")
    plan = terraform(workdir, "plan", "-input=false", "-out=plan.tfplan")
    assert f"{len(expected)} to add" in plan
    terraform(workdir, "apply", "-input=false", "-auto-approve", "plan.tfplan")
    # THEN every resource of the stack exists
    assert sorted(state(workdir)) == expected
    # AND a second plan finds nothing to change (no input the provider rewrites, no rule
    # one resource revokes from another)
    again = subprocess.run(
        ["terraform", "plan", "-input=false", "-detailed-exitcode", "-no-color"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    changes = [
        line
        for line in again.stdout.splitlines()
        if line.strip().startswith(("#", "~", "+", "-")) or "->" in line
    ]
    assert again.returncode == 0, "the second plan is not empty:\n" + "\n".join(changes[:60])
    # WHEN it is destroyed, THEN nothing is left
    terraform(workdir, "destroy", "-input=false", "-auto-approve")
    assert state(workdir) == []
