"""``cardwatch model status|train|publish|promote|rollback``: the models detect scores
with, on the local stack (default) or a deployment (``--target``).

``train`` runs the retrain function: on a deployment it invokes it (the fit runs in
AWS, no laptop in the loop); on the local stack it runs the same handler code in this
process against the stack's emulator. ``publish`` adds an artifact fitted elsewhere
(``cardwatch train``) as the challenger in shadow, or as the champion with
``--promote``. ``promote`` makes the challenger (or a named version) the champion;
``rollback`` returns to the champion before it (or a named version). detect follows
the pointer within its cache's age (a minute), without a redeploy.
"""

from __future__ import annotations

import argparse
import getpass
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cardwatch.adapters.function_invoker import invoke_and_wait
from cardwatch.adapters.model_registry import S3ModelRegistry
from cardwatch.cli import audit
from cardwatch.cli.target import CommandError, CommandTarget, command_target, guarded
from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.model_pointer import PointerError, valid_version
from cardwatch.domain.engine.model_store import default_model, is_shipped, trusted_model

__all__ = ["run_model"]


def run_model(args: argparse.Namespace) -> int:
    return guarded("model", _run, args, PointerError)


def _registry(target: CommandTarget) -> S3ModelRegistry:
    blueprint = target.blueprint
    if target.endpoint is None:  # a deployment: its bucket is named for its account
        account = target.client("sts").get_caller_identity()["Account"]
        blueprint = blueprint.with_account(account)
    return S3ModelRegistry(
        blueprint.model_bucket_name,
        blueprint.model_parameter,
        target.client("s3"),
        target.client("ssm"),
        blueprint.key_alias,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _by(note: str | None) -> str:
    return f"{getpass.getuser()}: {note}" if note else getpass.getuser()


def _run(args: argparse.Namespace) -> int:
    audit.screened_note(getattr(args, "note", None))
    target = command_target(args)
    registry = _registry(target)
    action = args.action
    if action == "status":
        return _status(registry, args.json)
    if action == "train":
        return _train(target, registry, args)
    pointer = registry.pointer()
    digest: str | None = None
    if action == "publish":
        version, digest = _publish(registry, args.file)
        moved = (
            pointer.promote(version, f"published and promoted by {_by(args.note)}", _now(), digest)
            if args.promote
            else pointer.shadow(version, f"published by {_by(args.note)}", _now(), digest)
        )
    elif action == "promote":
        named: str | None = args.version or pointer.challenger
        if named is None:
            raise CommandError("no challenger to promote: name a version")
        digest = _verified(registry, named, pointer.digest(named))
        if named == pointer.champion and digest is not None and pointer.digest(named) is None:
            # a champion named before the pointer kept digests: verified now, recorded
            moved = replace(
                pointer,
                digests=pointer.digests | {named: digest},
                reason=f"digest recorded by {_by(args.note)}",
                changed_at=_now(),
            )
        else:
            moved = pointer.promote(named, f"promoted by {_by(args.note)}", _now(), digest)
    else:  # rollback
        back_to = args.version or (pointer.earlier[0] if pointer.earlier else None)
        if back_to is not None:
            digest = _verified(registry, back_to, pointer.digest(back_to))
        moved = pointer.rollback(_now(), args.version, digest)
        moved = replace(moved, reason=f"{moved.reason} by {_by(args.note)}")
    registry.move(moved)
    shadowed = action == "publish" and not args.promote
    changed = (moved.challenger or "") if shadowed else moved.champion
    audit.record(
        target,
        f"model.{action}",
        changed,
        before=f"champion {pointer.champion}, challenger {pointer.challenger or '-'}",
        after=f"champion {moved.champion}, challenger {moved.challenger or '-'}"
        + (f"; {changed}@sha256:{digest}" if digest else ""),
        detail={"reason": moved.reason[:300]},
    )
    print(
        json.dumps(json.loads(moved.to_json()), indent=2)
        if args.json
        else f"champion {moved.champion}, challenger {moved.challenger or '-'}: "
        "detect scores with it within a minute"
    )
    return 0


def _verified(registry: S3ModelRegistry, version: str, digest: str | None) -> str | None:
    """The digest of the artifact published as ``version``, once it is trusted to score
    (its digest the pointer's, when the pointer holds one; a sound structure; the
    engine's features; a scored probe set). The shipped model needs none."""
    if is_shipped(version):
        return None
    try:
        text = registry.artifact(version)
    except (KeyError, PointerError):
        raise CommandError(f"{version[:100]}: no such published model") from None
    try:
        model = trusted_model(text, digest)
    except ValueError as error:
        raise CommandError(f"{version[:100]}: refused: {error}") from None
    if model.version != version:
        raise CommandError(f"{version[:100]}: the artifact names itself {model.version[:100]}")
    return text_digest(text)


def model_file(path: Path) -> tuple[TreeModel, str]:
    """The model artifact at ``path`` and its text, checked as a published one is; a
    file that is missing, unreadable or not a sound artifact is the user's mistake."""
    try:
        text = path.read_text(encoding="utf-8")
        return trusted_model(text), text
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError, JSON, a bad tree
        raise CommandError(f"{path}: not a model artifact cardwatch can trust ({error})") from None


def _publish(registry: S3ModelRegistry, path: Path | None) -> tuple[str, str]:
    if path is None:
        raise CommandError("publish needs a FILE (a model artifact, `cardwatch train`)")
    model, text = model_file(path)
    if not valid_version(model.version):
        raise CommandError(f"{path}: its metadata.version is not a version name")
    if model.version in registry.versions():
        raise CommandError(f"{model.version} is published already")
    registry.publish(model.version, text)
    return model.version, text_digest(text)


def _status(registry: S3ModelRegistry, as_json: bool) -> int:
    pointer = registry.pointer()
    versions = registry.versions()
    if as_json:
        document = json.loads(pointer.to_json()) | {
            "published": versions,
            # the version the decisions and the console name (the shipped model's own)
            "champion_version": _named(pointer.champion),
        }
        print(json.dumps(document, indent=2))
        return 0
    from rich.table import Table  # noqa: PLC0415

    from cardwatch.cli import output  # noqa: PLC0415

    table = Table(title="models", title_justify="left")
    for column in ("version", "role", "trained at", "rows", "frauds"):
        table.add_column(column)
    roles = {pointer.champion: "champion"} | (
        {pointer.challenger: "challenger (shadow)"} if pointer.challenger else {}
    )
    roles |= {v: "earlier champion" for v in pointer.earlier if v not in roles}
    shown = [*dict.fromkeys([*roles, *versions[-10:]])]
    for version in shown:
        meta = _metadata(registry, version)
        table.add_row(
            version if _named(version) == version else f"{version} ({_named(version)})",
            roles.get(version, "published"),
            str(meta.get("trained_at", "")),
            f"{meta['rows']:,}" if "rows" in meta else "",
            f"{meta['frauds']:,}" if "frauds" in meta else "",
        )
    console = output.console()
    console.print(table)
    console.print(f"pointer moved {pointer.changed_at or '(never)'}: {pointer.reason}")
    last = pointer.last_training
    if last:
        console.print(
            f"last retraining {last.get('at')}: {last.get('outcome')}, {last.get('detail')}"
        )
    return 0


def _named(version: str) -> str:
    """The version as decisions, alerts and the console name it (the shipped model is
    ``shipped`` in the pointer, and its own version everywhere else)."""
    return default_model().version if is_shipped(version) else version


def _metadata(registry: S3ModelRegistry, version: str) -> dict[str, Any]:
    if is_shipped(version):
        return dict(default_model().metadata)
    try:
        return dict(json.loads(registry.artifact(version)).get("metadata", {}))
    except KeyError:
        return {"trained_at": "(missing)"}


def _train(target: CommandTarget, registry: S3ModelRegistry, args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    for name in ("evaluation_days", "label_delay_days", "history_days"):
        if getattr(args, name) is not None:
            overrides[name] = float(getattr(args, name))
    if args.min_frauds is not None:
        overrides["min_frauds_to_train"] = args.min_frauds
    if args.shadow:
        overrides["auto_promote"] = False
    spec = target.blueprint.functions["retrain"]
    if target.endpoint is None:  # a deployment: the function fits, in AWS
        try:
            report = invoke_and_wait(target.session, spec.name, {"settings": overrides})
        except RuntimeError as error:
            raise CommandError(str(error)) from None
    else:  # the local stack: the functions' code, here, against the emulator
        from cardwatch.handlers.config import RetrainConfig  # noqa: PLC0415
        from cardwatch.handlers.wiring import retrain as wiring  # noqa: PLC0415
        from cardwatch.local.runtime.exports import export_until_current  # noqa: PLC0415
        from cardwatch.training.retraining import retrain  # noqa: PLC0415

        export_until_current(target.blueprint, target.client)
        environment = {k: v for k, v in spec.environment.items() if isinstance(v, str)}
        base = RetrainConfig.from_env(environment)
        chosen = wiring.with_overrides(base, overrides)
        source = wiring.training_source(chosen, target.client)
        report = retrain(source, registry, wiring.settings(chosen)).to_record()
    print(
        json.dumps(report, indent=2)
        if args.json
        else f"{report.get('outcome')}: {report.get('detail')} "
        f"(version {report.get('version') or '-'}; {report.get('read', 0):,} decisions read)"
    )
    return 0
