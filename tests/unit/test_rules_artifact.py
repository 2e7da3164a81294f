"""The rules document as a managed artifact: validated as detect reads it, every
problem one line naming the rule; detect keeps the last good rules when a published
document is refused."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from cardwatch.cli.main import main
from cardwatch.cli.rules import rules_diff
from cardwatch.domain.engine.rules import rules_text
from cardwatch.handlers import detect as detect_handler
from cardwatch.handlers.wiring import detect as wiring


def _with(tmp_path: Path, document: object, name: str = "rules.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


def test_the_shipped_rules_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "validate", _with(tmp_path, rules_text())]) == 0
    assert "valid" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["rules"][1]["when"][0].update(feature="nope"), "card-testing"),
        (lambda d: d["rules"][0]["when"][0].pop("value"), "impossible-travel"),
        (lambda d: d["rules"][0].update(weight=3), "impossible-travel"),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "used twice"),
        (lambda d: d["thresholds"].update(review=0.95), "thresholds"),
        (lambda d: d["rules"][0]["when"][0].update(value="high"), "impossible-travel"),
    ],
)
def test_an_invalid_document_is_one_line_naming_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: object, named: str
) -> None:
    document = json.loads(rules_text())
    change(document)  # type: ignore[operator]
    assert main(["rules", "validate", _with(tmp_path, document)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"rules": [3]}', '{"rules": {"a": 1}}'])
def test_a_document_of_the_wrong_shape_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    assert main(["rules", "validate", _with(tmp_path, text)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_diff_names_each_change() -> None:
    current = json.loads(rules_text())
    candidate = json.loads(rules_text())
    candidate["rules"][0]["weight"] = 0.7
    removed = candidate["rules"].pop()
    candidate["thresholds"]["review"] = 0.6
    lines = rules_diff(current, candidate)
    assert f"- {removed['id']}: removed" in lines
    assert any(line.startswith("~ impossible-travel.weight: 0.6 -> 0.7") for line in lines)
    assert any(line.startswith("~ thresholds") for line in lines)


def test_detect_keeps_the_last_good_rules_and_counts_the_refusal() -> None:
    good = rules_text()
    in_force = wiring.rules_in_force(good, detect_handler.metrics)
    refused = wiring.rules_in_force('{"rules": [{"id": "x"}]}', detect_handler.metrics)
    assert refused is in_force  # the last good rules, not an exception
    out = io.StringIO()
    with redirect_stdout(out):  # counted in the metric set the handler flushes
        detect_handler.metrics.flush_metrics(raise_on_empty_metrics=False)
    assert "RulesDocumentRefused" in out.getvalue()
