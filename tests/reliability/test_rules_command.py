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
    assert diff.returncode == 1, diff.stderr  # it differs
    assert json.loads(diff.stdout)["changes"] == [
        {
            "change": "changed",
            "rule": "impossible-travel",
            "field": "weight",
            "before": 0.6,
            "after": 0.65,
        }
    ], diff.stderr
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
    # publishing the rules in force again is refused: it would change nothing
    path.write_text(rules_text())
    same = cardwatch("rules", "publish", str(path), "--note", "again", "--state", state)
    assert same.returncode == 2 and "no changes" in same.stderr, same.stderr
    # a rollback publishes the latest earlier version with other rules, with its note
    back = cardwatch("rules", "rollback", "--note", "undo", "--json", "--state", state)
    assert back.returncode == 0, back.stderr
    assert (
        json.loads(cardwatch("rules", "show", "--json", "--state", state).stdout)["document"][
            "rules"
        ][0]["weight"]
        == 0.65
    )
    # and a second one returns to the shipped rules, for the tests after
    again = cardwatch("rules", "rollback", "--note", "shipped rules", "--state", state)
    assert again.returncode == 0, again.stderr
    shown = cardwatch("rules", "show", "--state", state).stdout
    assert json.loads(shown) == json.loads(rules_text())
    history = json.loads(cardwatch("rules", "history", "--json", "--state", state).stdout)
    assert history[-1]["note"].endswith("shipped rules") and "rollback to v" in history[-1]["note"]
    # a stored document detect refuses (written outside the command): shown, diffed and
    # replaced without a traceback
    boto3.client("ssm").put_parameter(
        Name=stack.blueprint.rules_parameter,
        Value='{"rules": [{"id": "x"}',
        Type="SecureString",
        Overwrite=True,
    )
    broken = cardwatch("rules", "diff", str(path), "--json", "--state", state)
    assert broken.returncode == 1 and "Traceback" not in broken.stderr, broken.stderr
    assert json.loads(broken.stdout)["changes"][0]["change"] == "replaced"
    assert cardwatch("rules", "show", "--state", state).returncode == 0
    fixed = cardwatch("rules", "publish", str(path), "--note", "fix", "--state", state)
    assert fixed.returncode == 0, fixed.stderr
