"""checkov on the synthesized Terraform: no finding outside the reasoned allowlist."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.infra import Synthesized

ROOT = Path(__file__).resolve().parents[2]
ALLOWLIST = ROOT / "deploy" / "checkov-allowlist.json"
CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".venv-checkov" / "bin" / "checkov"))
_HASH = re.compile(r"_[0-9A-F]{8}$")


def findings(stack: Synthesized) -> set[tuple[str, str]]:
    run = subprocess.run(
        [
            str(CHECKOV),
            "-f",
            str(stack.path),
            "--framework",
            "terraform_json",
            "-o",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout)
    return {
        (c["check_id"], _HASH.sub("", c["resource"].split(".", 1)[1]))
        for c in report["results"]["failed_checks"]
    }


@pytest.mark.requirement("R000-31")
def test_checkov_finds_nothing_beyond_the_allowlist(cdktf_stack: Synthesized) -> None:
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make checkov-venv`")
    accepted = {
        (e["check_id"], e["resource"])
        for e in json.loads(ALLOWLIST.read_text())["accepted"]
        if "cdktf" in e.get("deployments", ["cdktf"])
    }
    assert all(e["reason"] for e in json.loads(ALLOWLIST.read_text())["accepted"])
    found = findings(cdktf_stack)
    assert found - accepted == set(), "new checkov findings: fix them or list them with reasons"
    assert accepted - found == set(), "allowlist entries that no longer match: remove them"
