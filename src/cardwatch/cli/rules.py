"""``cardwatch rules validate|test|diff|publish|show|history|rollback``: the detection
rules as a managed artifact. The document lives in SSM Parameter Store (SecureString
under the data key); each publish is a new parameter version whose description carries
the digest of its text, who published it and why."""

from __future__ import annotations

import argparse
import getpass
import json
import re
from pathlib import Path
from typing import Any

from cardwatch.cli import audit
from cardwatch.cli.exits import CommandError
from cardwatch.cli.output import console
from cardwatch.cli.target import CommandTarget, command_target, guarded
from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine.rules import Policy, RuleSetError

__all__ = ["changes_from", "rules_changes", "rules_diff", "run_rules"]


def _read(path: Path) -> tuple[str, Policy]:
    """The file's text and the policy it holds; any problem is one line naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not UTF-8 text") from None
    try:
        return text, Policy.from_json(text)
    except RuleSetError as error:
        raise CommandError(f"{path}: {error}") from None


def rules_changes(current: dict[str, Any], candidate: dict[str, Any]) -> list[dict[str, Any]]:
    """What publishing ``candidate`` over ``current`` changes: one record each, with
    ``change`` (added, removed, changed), the ``rule`` (or ``thresholds``), the
    ``field`` changed, and the values ``before`` and ``after``."""
    changes: list[dict[str, Any]] = []
    before = {rule["id"]: rule for rule in current.get("rules", [])}
    after = {rule["id"]: rule for rule in candidate.get("rules", [])}
    for rule_id in sorted(after.keys() - before.keys()):
        changes.append(_change("added", rule_id, None, None, after[rule_id]))
    for rule_id in sorted(before.keys() - after.keys()):
        changes.append(_change("removed", rule_id, None, before[rule_id], None))
    for rule_id in sorted(before.keys() & after.keys()):
        for key in sorted(set(before[rule_id]) | set(after[rule_id])):
            old, new = before[rule_id].get(key), after[rule_id].get(key)
            if old != new:
                changes.append(_change("changed", rule_id, key, old, new))
    if current.get("thresholds") != candidate.get("thresholds"):
        changes.append(
            _change(
                "changed",
                "thresholds",
                None,
                current.get("thresholds"),
                candidate.get("thresholds"),
            )
        )
    return changes


def _document(text: str) -> dict[str, Any] | None:
    """A stored version's document, or None when it is not valid rules (a document
    written outside ``rules publish``, which detect refuses)."""
    try:
        Policy.from_json(text)
        document: dict[str, Any] = json.loads(text)
    except (RuleSetError, ValueError):
        return None
    return document


def changes_from(stored: str, candidate: str) -> list[dict[str, Any]]:
    """What publishing ``candidate`` (valid rules) over the ``stored`` text changes; a
    stored text that is not valid rules is replaced whole."""
    current = _document(stored)
    if current is None:
        return [_change("replaced", "document", None, "(not valid rules)", None)]
    return rules_changes(current, json.loads(candidate))


def _change(kind: str, rule: str, field: str | None, old: Any, new: Any) -> dict[str, Any]:
    return {"change": kind, "rule": rule, "field": field, "before": old, "after": new}


def _line(change: dict[str, Any]) -> str:
    if change["change"] == "added":
        return f"+ {change['rule']}: added (weight {change['after'].get('weight')})"
    if change["change"] == "removed":
        return f"- {change['rule']}: removed"
    if change["change"] == "replaced":
        return "~ the stored document is not valid rules: replaced whole"
    where = change["rule"] + (f".{change['field']}" if change["field"] else "")
    return f"~ {where}: {json.dumps(change['before'])} -> {json.dumps(change['after'])}"


def rules_diff(current: dict[str, Any], candidate: dict[str, Any]) -> list[str]:
    """What publishing ``candidate`` over ``current`` changes, one line each."""
    return [_line(change) for change in rules_changes(current, candidate)]


def run_rules(args: argparse.Namespace) -> int:
    return guarded("rules", _ACTIONS[args.action], args)


#: How a published version's description starts: the SHA-256 of the text published.
_DIGEST_MARK = "sha256:"
_MARKS = {True: "digest ok", False: "DIGEST DIFFERS", None: "no digest"}


def _history_row(entry: dict[str, Any]) -> dict[str, Any]:
    """One version of the rules parameter, with whether its text is the one its
    description's digest names: ``None`` when it names none (written outside
    ``rules publish``), ``False`` when the text differs from what was published."""
    note = entry.get("Description", "")
    digest = text_digest(entry.get("Value", ""))
    matches: bool | None = None
    if note.startswith(_DIGEST_MARK):
        named, _, note = note[len(_DIGEST_MARK) :].partition(" ")
        matches = named == digest
    return {
        "version": entry["Version"],
        "at": entry["LastModifiedDate"].isoformat(),
        "by": entry.get("LastModifiedUser", ""),
        "note": note,
        "digest": digest,
        "digest_matches": matches,
    }


def _validate(args: argparse.Namespace) -> int:
    _text, policy = _read(args.file)
    ids = [rule.id for rule in policy.rules]
    report = {
        "file": str(args.file),
        "valid": True,
        "rules": ids,
        "thresholds": {"review": policy.thresholds.review, "block": policy.thresholds.block},
    }
    print(
        json.dumps(report, indent=2)
        if args.json
        else f"{args.file}: valid: {len(policy.rules)} rules ({', '.join(ids)}); "
        f"thresholds review {policy.thresholds.review}, block {policy.thresholds.block}"
    )
    return 0


def _test(args: argparse.Namespace) -> int:
    from cardwatch.domain.engine.rules import default_policy  # noqa: PLC0415
    from cardwatch.evaluation.replay import ReplaySettings  # noqa: PLC0415
    from cardwatch.evaluation.rules_test import (  # noqa: PLC0415
        measure_rules,
        print_rules_test,
        rules_test_report,
    )
    from cardwatch.simulation.labelled_file import load_history  # noqa: PLC0415

    _text, candidate = _read(args.file)
    comparison = measure_rules(
        load_history(args.data),
        default_policy(),
        candidate,
        ReplaySettings(),
        test_days=args.test_days,
        console=console(stderr=True),
    )
    entry = rules_test_report(comparison)
    if args.json:
        print(json.dumps(entry))
    else:
        print_rules_test(entry, console())
    return 0


class _Rules:
    """The rules parameter of a stack or deployment: its versions and what it holds."""

    def __init__(self, target: CommandTarget) -> None:
        self.target = target
        self.ssm, self.name = target.client("ssm"), target.blueprint.rules_parameter

    def current(self, version: int | None = None) -> dict[str, Any]:
        name = self.name if version is None else f"{self.name}:{version}"
        try:
            found = self.ssm.get_parameter(Name=name, WithDecryption=True)
        except self.ssm.exceptions.ParameterVersionNotFound:
            raise CommandError(f"no version {version} of the rules") from None
        parameter: dict[str, Any] = found["Parameter"]
        return parameter

    def history(self) -> list[dict[str, Any]]:
        pages = self.ssm.get_paginator("get_parameter_history").paginate(
            Name=self.name, WithDecryption=True
        )
        return [entry for page in pages for entry in page["Parameters"]]

    def publish(self, text: str, note: str, action: str, as_json: bool) -> int:
        """Publish ``text`` as a new version (refused when it changes nothing), and
        record who did it."""
        current = self.current()
        changes = changes_from(current["Value"], text)
        if not changes:
            raise CommandError(
                f"no changes: version {current['Version']} already holds these rules"
            )
        digest = text_digest(text)
        published = self.ssm.put_parameter(
            Name=self.name,
            Value=text,
            Type="SecureString",
            KeyId=self.target.blueprint.key_alias,
            Overwrite=True,
            Description=f"{_DIGEST_MARK}{digest} {getpass.getuser()}: {note}"[:1024],
        )
        audit.record(
            self.target,
            action,
            self.name,
            before=f"v{current['Version']}@sha256:{text_digest(current['Value'])}",
            after=f"v{published['Version']}@sha256:{digest}",
            detail={"note": note[:300], "changes": len(changes)},
        )
        report = {
            "parameter": self.name,
            "version": published["Version"],
            "previous_version": current["Version"],
            "changes": changes,
        }
        print(
            json.dumps(report, indent=2)
            if as_json
            else f"{self.name}: version {published['Version']} published "
            f"({len(changes)} changes from version {current['Version']}); "
            "detect reads it within a minute"
        )
        return 0


def _noted(args: argparse.Namespace) -> str:
    if not args.note:
        raise CommandError(
            f"{args.action} needs --note: why the rules change (kept with the version)"
        )
    audit.screened_note(args.note)
    return str(args.note)


def _diff(args: argparse.Namespace) -> int:
    text, _policy = _read(args.file)
    rules = _Rules(command_target(args))
    current = rules.current()
    changes = changes_from(current["Value"], text)
    if args.json:
        print(json.dumps({"version": current["Version"], "changes": changes}, indent=2))
    else:
        print(
            "\n".join(_line(change) for change in changes)
            or f"no change from version {current['Version']}"
        )
    return 1 if changes else 0


def _publish(args: argparse.Namespace) -> int:
    text, _policy = _read(args.file)
    note = _noted(args)
    return _Rules(command_target(args)).publish(text, note, "rules.publish", args.json)


def _show(args: argparse.Namespace) -> int:
    rules = _Rules(command_target(args))
    shown = rules.current(args.version)
    if args.json:
        # GetParameter answers no description: the version's row comes from its history
        entry = next((e for e in rules.history() if e["Version"] == shown["Version"]), shown)
        print(json.dumps(_history_row(entry) | {"document": _parsed(shown["Value"])}, indent=2))
    else:
        document = _parsed(shown["Value"])
        print(json.dumps(document, indent=2) if isinstance(document, dict) else document)
    return 0


def _parsed(text: str) -> Any:
    """A stored version's JSON, or its text when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _history(args: argparse.Namespace) -> int:
    rows = [_history_row(entry) for entry in _Rules(command_target(args)).history()]
    print(
        json.dumps(rows, indent=2)
        if args.json
        else "\n".join(
            f"v{row['version']}  {row['at']}  {_MARKS[row['digest_matches']]}  {row['note']}"
            for row in rows
        )
    )
    return 0


#: How a rollback's note names the version it returned to.
_ROLLED_BACK = re.compile(r"rollback to v(\d+):")


def _rollback(args: argparse.Namespace) -> int:
    """Publish again an earlier version's text: ``VERSION``, or the latest valid one
    before the version in force whose rules differ from it. A rollback walks back: when
    the version in force was itself a rollback to version N, the next one goes before N."""
    note = _noted(args)
    rules = _Rules(command_target(args))
    entries = rules.history()
    in_force = entries[-1]
    if args.version is not None:
        chosen = next((e for e in entries if e["Version"] == args.version), None)
        if chosen is None:
            raise CommandError(f"no version {args.version} of the rules")
        if _document(chosen["Value"]) is None:
            raise CommandError(f"version {args.version} is not valid rules")
    else:
        named = _ROLLED_BACK.search(_history_row(in_force)["note"])
        floor = int(named.group(1)) if named else in_force["Version"]
        chosen = next(
            (
                e
                for e in reversed(entries)
                if e["Version"] < floor
                and _document(e["Value"]) is not None
                and changes_from(in_force["Value"], e["Value"])
            ),
            None,
        )
        if chosen is None:
            raise CommandError("no earlier version with other valid rules to return to")
    return rules.publish(
        chosen["Value"], f"rollback to v{chosen['Version']}: {note}", "rules.rollback", args.json
    )


_ACTIONS = {
    "validate": _validate,
    "test": _test,
    "diff": _diff,
    "publish": _publish,
    "show": _show,
    "history": _history,
    "rollback": _rollback,
}
