"""Synthesize the CDKTF stack to Terraform JSON, from Python (no cdktf CLI needed).

``python -m cardwatch.infra.cdktf.app [--environment-suffix dev] [--out cdktf.out]
[--set ops_email=ops@example.com ...]``: the settings are the Pulumi stack's
(``cardwatch.infra.common.settings``), also read from ``CARDWATCH_<SETTING>``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

# The machine's Node.js is older than jsii would like; it works, so say it once in the
# README rather than in a banner on every synth.
# (jsii reads a list of Node.js major versions to stay quiet about.)
for _warning in ("DEPRECATED", "END_OF_LIFE", "UNTESTED"):
    os.environ.setdefault(f"JSII_SILENCE_WARNING_{_warning}_NODE_VERSION", "18,19,20,21")

from cdktf import App  # noqa: E402 - jsii reads the variables above when it starts

from cardwatch.blueprint import Blueprint, blueprint_for  # noqa: E402
from cardwatch.infra.cdktf.stack import CardwatchStack, StateBucket  # noqa: E402
from cardwatch.infra.common.settings import SETTINGS, SettingError, overrides  # noqa: E402

__all__ = ["STACK_NAME", "synth", "synthesized"]

STACK_NAME = "cardwatch"


def synth(blueprint: Blueprint, out_dir: Path, state: StateBucket | None = None) -> Path:
    """Write ``out_dir/stacks/cardwatch/cdk.tf.json``; return its path. ``state``: where
    Terraform keeps its state (None: a local file, for trying it out)."""
    app = App(outdir=str(out_dir))
    CardwatchStack(
        app, STACK_NAME, blueprint, build_dir=out_dir.parent / "build" / "lambda", state=state
    )
    app.synth()
    return out_dir / "stacks" / STACK_NAME / "cdk.tf.json"


def synthesized(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--environment-suffix", default=os.environ.get("ENVIRONMENT_SUFFIX", "dev"))
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"))
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help=f"a deployment setting, one of: {', '.join(SETTINGS)}",
    )
    parser.add_argument(
        "--state-bucket",
        default=os.environ.get("CARDWATCH_STATE_BUCKET"),
        help="keep Terraform's state in this S3 bucket, encrypted and locked (a team's "
        "deployments); without it, a local file",
    )
    parser.add_argument(
        "--state-kms-key",
        default=os.environ.get("CARDWATCH_STATE_KMS_KEY"),
        help="the KMS key the state is encrypted under in that bucket",
    )
    args = parser.parse_args()
    given: dict[str, str | None] = {
        name: os.environ[f"CARDWATCH_{name.upper()}"]
        for name in SETTINGS
        if f"CARDWATCH_{name.upper()}" in os.environ
    }
    for pair in args.set:
        name, _, value = pair.partition("=")
        given[name.strip()] = value
    try:
        found = overrides(given)
    except SettingError as error:
        parser.error(str(error))
    blueprint = blueprint_for("cdktf", args.environment_suffix, **found)
    state = (
        StateBucket(args.state_bucket, blueprint.region, args.state_kms_key)
        if args.state_bucket
        else None
    )
    path = synth(blueprint, args.out, state)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
