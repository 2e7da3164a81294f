"""The ``cardwatch`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from cardwatch import __version__
from cardwatch.blueprint import Target, blueprint_for
from cardwatch.schema import schema_text
from cardwatch.schema.openapi import openapi_document

__all__ = ["main"]


def _schema(args: argparse.Namespace) -> int:
    if args.format == "openapi":
        print(json.dumps(openapi_document(), indent=2))
    else:
        print(schema_text(), end="")
    return 0


def _blueprint(args: argparse.Namespace) -> int:
    blueprint = blueprint_for(args.target, args.environment_suffix)
    summary = {
        "target": blueprint.target.value,
        "region": blueprint.region,
        "tags": blueprint.tags,
        "table": blueprint.table_name,
        "queues": [queue.name for queue in blueprint.queues],
        "topic": blueprint.alert_topic_name,
        "api": blueprint.api_name,
        "functions": {key: spec.name for key, spec in blueprint.functions.items()},
        "settings": {
            "log_retention_days": blueprint.settings.log_retention_days,
            "reserved_concurrency": blueprint.settings.reserved_concurrency,
            "api_quota_per_day": blueprint.settings.api_quota_per_day,
            "api_rate_limit_per_second": blueprint.settings.api_rate_limit_per_second,
            "vpc_functions": sorted(blueprint.settings.vpc_functions),
            "email_subscription": blueprint.settings.email_subscription,
        },
    }
    print(json.dumps(summary, indent=2))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from cardwatch.local.demo import run_demo  # noqa: PLC0415 - ops tools load on demand

    return run_demo()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cardwatch", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cardwatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    schema = commands.add_parser("schema", help="print the transaction contract")
    schema.add_argument("--format", choices=("json-schema", "openapi"), default="json-schema")
    schema.set_defaults(run=_schema)

    blueprint = commands.add_parser("blueprint", help="print a deployment's names and numbers")
    blueprint.add_argument("--target", choices=[t.value for t in Target], default="cdktf")
    blueprint.add_argument("--environment-suffix", default="dev")
    blueprint.set_defaults(run=_blueprint)

    demo = commands.add_parser("demo", help="run the pipeline on the embedded emulator")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
