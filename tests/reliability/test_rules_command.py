"""``cardwatch rules`` against the local stack: diff, publish with a note (a new
version), history; an invalid document is never published."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from cardwatch.domain.engine.rules import rules_text
from cardwatch.local.runtime.pipeline import LocalPipeline
from tests.support.cli import cardwatch


def test_rules_are_diffed_published_with_a_note_and_listed(
    stack: LocalPipeline, tmp_path: Path
) -> None:
    state = str(stack.settings.state_dir / "local.json")
    candidate = json.loads(rules_text())
    candidate["rules"][0]["weight"] = 0.65
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(candidate))
    diff = cardwatch("rules", "diff", str(path), "--json", "--state", state)
    assert json.loads(diff.stdout) == ["~ impossible-travel.weight: 0.6 -> 0.65"], diff.stderr
    assert cardwatch("rules", "publish", str(path), "--state", state).returncode == 2  # no note
    published = cardwatch(
        "rules", "publish", str(path), "--note", "travel rule up", "--json", "--state", state
    )
    assert published.returncode == 0, published.stderr
    version = json.loads(published.stdout)["version"]
    assert version >= 2
    history = json.loads(cardwatch("rules", "history", "--json", "--state", state).stdout)
    assert history[-1]["version"] == version and history[-1]["note"].endswith("travel rule up")
    assert history[-1]["digest_matches"] is True
    # a version written outside `rules publish` has no digest; one whose text differs
    # from the digest its description names is flagged
    boto3.client("ssm").put_parameter(
        Name=stack.blueprint.rules_parameter,
        Value=rules_text(),
        Type="SecureString",
        Overwrite=True,
        Description="sha256:" + "0" * 64 + " someone: edited in the console",
    )
    history = json.loads(cardwatch("rules", "history", "--json", "--state", state).stdout)
    assert history[-1]["digest_matches"] is False
    shown = cardwatch("rules", "history", "--state", state).stdout
    assert "DIGEST DIFFERS" in shown.splitlines()[-1]
    # an invalid document never reaches the stack
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": [{"id": "x", "reason": "X", "weight": 2, "when": []}]}')
    refused = cardwatch("rules", "publish", str(bad), "--note", "oops", "--state", state)
    assert refused.returncode == 2 and "rules[0] (x)" in refused.stderr
    # the shipped rules back, for the tests after
    path.write_text(rules_text())
    restored = cardwatch("rules", "publish", str(path), "--note", "shipped rules", "--state", state)
    assert restored.returncode == 0, restored.stderr
