"""``cardwatch rules validate|diff|publish|history``: the detection rules as a managed
artifact. The document lives in SSM Parameter Store (SecureString under the data key);
each publish is a new parameter version whose description carries the audit note."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path
from typing import Any

from cardwatch.cli import audit
from cardwatch.cli.target import CommandError, command_target, guarded
from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine.rules import Policy, RuleSetError

__all__ = ["rules_diff", "run_rules"]


def _read(path: Path) -> tuple[str, Policy]:
    """The file's text and the policy it holds; any problem is one line naming it."""
    try:
        text = path.read_text()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None
    try:
        return text, Policy.from_json(text)
    except RuleSetError as error:
        raise CommandError(f"{path}: {error}") from None


def rules_diff(current: dict[str, Any], candidate: dict[str, Any]) -> list[str]:
    """What publishing ``candidate`` over ``current`` changes, one line each."""
    lines = []
    before = {rule["id"]: rule for rule in current.get("rules", [])}
    after = {rule["id"]: rule for rule in candidate.get("rules", [])}
    for rule_id in sorted(after.keys() - before.keys()):
        lines.append(f"+ {rule_id}: added (weight {after[rule_id].get('weight')})")
    for rule_id in sorted(before.keys() - after.keys()):
        lines.append(f"- {rule_id}: removed")
    for rule_id in sorted(before.keys() & after.keys()):
        for key in sorted(set(before[rule_id]) | set(after[rule_id])):
            old, new = before[rule_id].get(key), after[rule_id].get(key)
            if old != new:
                lines.append(f"~ {rule_id}.{key}: {json.dumps(old)} -> {json.dumps(new)}")
    if current.get("thresholds") != candidate.get("thresholds"):
        lines.append(
            f"~ thresholds: {json.dumps(current.get('thresholds'))} -> "
            f"{json.dumps(candidate.get('thresholds'))}"
        )
    return lines


def run_rules(args: argparse.Namespace) -> int:
    return guarded("rules", _run, args)


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


def _run(args: argparse.Namespace) -> int:
    if args.action == "validate":
        _text, policy = _read(args.file)
        print(
            f"{args.file}: valid: {len(policy.rules)} rules "
            f"({', '.join(rule.id for rule in policy.rules)}); thresholds review "
            f"{policy.thresholds.review}, block {policy.thresholds.block}"
        )
        return 0
    target = command_target(args)
    ssm, name = target.client("ssm"), target.blueprint.rules_parameter
    if args.action == "history":
        pages = ssm.get_paginator("get_parameter_history").paginate(Name=name, WithDecryption=True)
        rows = [_history_row(entry) for page in pages for entry in page["Parameters"]]
        print(
            json.dumps(rows, indent=2)
            if args.json
            else "\n".join(
                f"v{row['version']}  {row['at']}  {_MARKS[row['digest_matches']]}  {row['note']}"
                for row in rows
            )
        )
        return 0
    text, _policy = _read(args.file)
    current = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    changes = rules_diff(json.loads(current["Value"]), json.loads(text))
    if args.action == "diff":
        print(json.dumps(changes, indent=2) if args.json else "\n".join(changes) or "no change")
        return 0
    if not args.note:
        raise CommandError("publish needs --note: why the rules change (kept with the version)")
    audit.screened_note(args.note)
    digest = text_digest(text)
    published = ssm.put_parameter(
        Name=name,
        Value=text,
        Type="SecureString",
        KeyId=target.blueprint.key_alias,
        Overwrite=True,
        Description=f"{_DIGEST_MARK}{digest} {getpass.getuser()}: {args.note}"[:1024],
    )
    audit.record(
        target,
        "rules.publish",
        name,
        before=f"v{current['Version']}@sha256:{text_digest(current['Value'])}",
        after=f"v{published['Version']}@sha256:{digest}",
        detail={"note": args.note[:300], "changes": len(changes)},
    )
    report = {"parameter": name, "version": published["Version"], "changes": changes}
    print(
        json.dumps(report, indent=2)
        if args.json
        else (
            f"{name}: version {published['Version']} published ({len(changes)} changes); "
            "detect reads it within a minute"
        )
    )
    return 0
