"""The README tells a new user how to run, deploy and read the system."""

from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.requirement("R000-32")
def test_the_readme_explains_the_architecture_and_the_cdktf_deployment() -> None:
    assert "## Architecture" in README and "DynamoDB stream --> EventBridge Pipe" in README
    assert "### With CDKTF (seed 000)" in README and "terraform apply" in README
    assert "archived CDKTF on 2025-12-10" in README


@pytest.mark.requirement("R003-23")
def test_the_readme_explains_the_pulumi_deployment() -> None:
    assert "### With Pulumi (seed 003)" in README and "pulumi up" in README
    for setting in (
        "environment_suffix",
        "alert_email",
        "log_retention_days",
        "reserved_concurrency",
        "vpc_functions",
    ):
        assert setting in README


def test_the_readme_names_the_two_commands_ci_runs() -> None:
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in README and "make demo" in README
