"""The ``cardwatch`` command."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from cardwatch import __version__
from cardwatch.blueprint import FUNCTION_KEYS, ApiLogging, Target, blueprint_for
from cardwatch.schema import schema_text
from cardwatch.schema.openapi import openapi_document
from cardwatch.simulation import DataError

__all__ = ["main"]


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Where an operator command acts: the local stack, or a deployment (--target)."""
    parser.add_argument("--state", type=Path, default=Path(".cardwatch/local.json"))
    parser.add_argument("--target", choices=["cdktf", "pulumi"], help="a deployment instead")
    parser.add_argument("--environment-suffix", default="dev")


def _env(args: argparse.Namespace) -> int:
    """The shell lines that point the AWS CLI and SDKs at the running local stack."""
    try:
        state = json.loads(args.state.read_text())
        endpoint, region = state["aws_endpoint"], state["region"]
    except FileNotFoundError:
        print(f"cardwatch env: no local stack ({args.state} not found)", file=sys.stderr)
        return 3
    except (ValueError, KeyError, TypeError):
        print(f"cardwatch env: {args.state} is not a local stack's state", file=sys.stderr)
        return 2
    values = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        # the emulator takes any credentials; these stop the tools from looking further
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    if args.json:
        print(json.dumps(values, indent=2))
    else:
        for name, value in values.items():
            print(f"export {name}={shlex.quote(value)}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


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


def _preflight(args: argparse.Namespace) -> int:
    """Exit 0 when nothing fails (warnings allowed), 1 when a check fails."""
    from cardwatch.adapters.clients import session  # noqa: PLC0415 - only this reaches AWS
    from cardwatch.cli.preflight import Status, preflight  # noqa: PLC0415

    overrides: dict[str, Any] = {}
    if args.api_logging is not None:
        overrides["api_logging"] = ApiLogging(args.api_logging)
    if args.reserved_concurrency is not None:
        overrides["reserved_concurrency"] = dict.fromkeys(FUNCTION_KEYS, args.reserved_concurrency)
    blueprint = blueprint_for(args.target, args.environment_suffix, **overrides)
    checks = preflight(blueprint, session(blueprint.region))
    if args.json:
        print(
            json.dumps([{"check": c.name, "status": c.status, "detail": c.detail} for c in checks])
        )
    else:
        for check in checks:
            print(f"{check.status.upper():<5} {check.name}: {check.detail}")
    return 1 if any(c.status is Status.FAIL for c in checks) else 0


def _demo(args: argparse.Namespace) -> int:
    from cardwatch.cli.demo import run_demo  # noqa: PLC0415 - ops tools load on demand

    return run_demo(count=args.count, rate=args.rate)


def _up(args: argparse.Namespace) -> int:
    from cardwatch.cli.up import run_up  # noqa: PLC0415

    return run_up(
        args.port,
        args.analyze_every,
        args.api_key,
        args.concurrency,
        args.emulator_port,
        console_port=None if args.no_console else args.console_port,
        retrain_every=args.retrain_every,
    )


def _replay(args: argparse.Namespace) -> int:
    from cardwatch.cli.up import run_replay  # noqa: PLC0415

    return run_replay(
        args.data,
        args.simulate,
        args.rate,
        args.limit,
        args.state,
        clients=args.clients,
        keep_ids=args.keep_ids,
        as_json=args.json,
        decisions=args.decisions,
    )


def _simulate(args: argparse.Namespace) -> int:
    from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv  # noqa: PLC0415
    from cardwatch.simulation.rich import RichSettings  # noqa: PLC0415

    settings = SimulationSettings(
        customers=args.customers,
        terminals=args.terminals,
        days=args.days,
        seed=args.seed,
        card_testing_per_day=args.card_testing_per_day,
        rich=RichSettings() if args.rich else None,
    )
    rows = write_csv(simulate(settings), args.out)
    print(f"wrote {rows:,} transactions to {args.out}")
    return 0


def _replay_settings(args: argparse.Namespace) -> Any:
    from cardwatch.evaluation.replay import ReplaySettings  # noqa: PLC0415

    settings = ReplaySettings(
        label_delay_days=args.label_delay_days,
        retrain_every_days=args.retrain_every_days,
        seed=args.seed,
    )
    if getattr(args, "in_flight", False):
        from cardwatch.adapters.memory import InFlight  # noqa: PLC0415

        settings = replace(settings, in_flight=InFlight())
    if getattr(args, "as_deployed", False):
        from cardwatch.domain.engine.model_store import default_model  # noqa: PLC0415
        from cardwatch.training.model_choice import Promotion  # noqa: PLC0415

        settings = replace(
            settings,
            start_model=default_model(),
            promotion=Promotion(margin=args.promotion_margin),
        )
    return settings


def _backtest(args: argparse.Namespace) -> int:
    from cardwatch.evaluation.backtest import run_backtest  # noqa: PLC0415

    run_backtest(
        args.data,
        args.scores_out,
        _replay_settings(args),
        args.test_days,
        reference=args.reference,
    )
    return 0


def _train(args: argparse.Namespace) -> int:
    from cardwatch.evaluation.training_run import train_from_history  # noqa: PLC0415

    artifact = train_from_history([args.data, *args.more], _replay_settings(args))
    return _write_model(args.out, artifact)


def _write_model(out: Path, artifact: dict[str, Any], of: str = "") -> int:
    out.write_text(json.dumps(artifact, separators=(",", ":")))
    meta = artifact["metadata"]
    print(
        f"wrote {out}: {len(artifact['trees'])} trees, trained on {meta['rows']:,} rows "
        f"({meta['frauds']:,} frauds){of}"
    )
    return 0


def _day_one(args: argparse.Namespace) -> int:
    from cardwatch.evaluation.day_one import DayOneSettings, day_one_artifact  # noqa: PLC0415

    settings = DayOneSettings(
        worlds=args.worlds, customers=args.customers, days=args.days, seed=args.seed
    )
    artifact = day_one_artifact(settings, progress=lambda line: print(line, flush=True))
    return _write_model(args.out, artifact, f" of {settings.worlds} worlds")


def _add_model(commands: Any) -> None:
    model = commands.add_parser("model", help="the detection model")
    actions = model.add_subparsers(dest="action", required=True)
    day_one = actions.add_parser(
        "day-one",
        help="fit the model the deployment ships with on many simulated worlds, each with "
        "parameters of its own (behaviour, not one simulator's constants)",
    )
    day_one.add_argument("--out", type=Path, required=True)
    day_one.add_argument("--worlds", type=_positive_int, default=8)
    day_one.add_argument("--customers", type=_positive_int, default=1200)
    day_one.add_argument("--days", type=_positive_int, default=70)
    day_one.add_argument("--seed", type=int, default=42)
    day_one.set_defaults(run=_day_one)
    where = "the local stack (default) or a deployment (--target)"
    status = actions.add_parser("status", help=f"the models in force on {where}")
    train = actions.add_parser(
        "train",
        help="run the retrain function: fit on the labelled decision log, judge against the "
        "champion, publish, promote if it wins by the margin (else shadow)",
    )
    train.add_argument("--evaluation-days", type=float, help="latest labelled days judged")
    train.add_argument("--label-delay-days", type=float, help="unlabelled counts as genuine after")
    train.add_argument("--history-days", type=float, help="days of the log read")
    train.add_argument("--min-frauds", type=_positive_int, help="labelled frauds needed to fit")
    train.add_argument("--shadow", action="store_true", help="never promote: shadow only")
    publish = actions.add_parser(
        "publish", help="add a model artifact as the challenger in shadow (--promote: champion)"
    )
    publish.add_argument("file", type=Path)
    publish.add_argument("--promote", action="store_true")
    promote = actions.add_parser("promote", help="make the challenger (or VERSION) the champion")
    promote.add_argument("version", nargs="?")
    rollback = actions.add_parser(
        "rollback", help="return to the champion before this one (or VERSION)"
    )
    rollback.add_argument("version", nargs="?")
    for action in (status, train, publish, promote, rollback):
        action.add_argument("--json", action="store_true")
        if action in (publish, promote, rollback):
            action.add_argument("--note", help="why (kept with the pointer)")
        add_target_arguments(action)
        action.set_defaults(run=_model)


def _model(args: argparse.Namespace) -> int:
    from cardwatch.cli.model import run_model  # noqa: PLC0415 - reaches AWS

    return run_model(args)


def _add_replay_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "data",
        type=Path,
        help="labelled CSV: transaction_id,timestamp,user_id,terminal_id,amount,is_fraud",
    )
    parser.add_argument("--label-delay-days", type=float, default=7.0)
    parser.add_argument("--retrain-every-days", type=float, default=7.0, help="0: never retrain")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--in-flight",
        action="store_true",
        help="land each transaction's effects as late as the deployment does under load "
        "(its card's counters 25 ms later, its terminal's a second later): the rows "
        "detect serves, not a sequential ideal",
    )


def _add_preflight(commands: Any) -> None:
    preflight = commands.add_parser(
        "preflight",
        help="check an AWS account before a deploy (concurrency quota, API Gateway's "
        "CloudWatch role, the e-mail subscription); exit 1 when a check fails",
    )
    preflight.add_argument("--target", choices=("cdktf", "pulumi"), default="pulumi")
    preflight.add_argument("--environment-suffix", default="dev")
    preflight.add_argument("--reserved-concurrency", type=_positive_int)
    preflight.add_argument(
        "--api-logging",
        choices=[mode.value for mode in ApiLogging],
        help="who provides API Gateway's CloudWatch role, as you will deploy "
        "(default: own, this environment sets it)",
    )
    preflight.add_argument("--json", action="store_true", help="one JSON list of checks")
    preflight.set_defaults(run=_preflight)


def _add_replay(commands: Any) -> None:
    replay = commands.add_parser(
        "replay",
        help="send transactions to the running local API",
        description="Send transactions to the local API and count the alerts they raise "
        "(on a queue of the run's own, subscribed to the alert topic: the downstream alert "
        "queue is never read). Each run sends fresh transaction ids unless --keep-ids.",
        epilog="exit codes: 0 every request accepted; 1 some refused or failed; "
        "2 bad arguments or an unreadable file; 3 the local stack is not running",
    )
    source = replay.add_mutually_exclusive_group(required=True)
    source.add_argument("data", type=Path, nargs="?", help="a labelled CSV to replay")
    source.add_argument("--simulate", type=int, metavar="N", help="N demo transactions")
    replay.add_argument("--rate", type=float, default=50.0, help="requests a second")
    replay.add_argument("--limit", type=int, help="send at most this many rows")
    replay.add_argument("--state", type=Path, default=Path(".cardwatch/local.json"))
    replay.add_argument(
        "--clients", type=_positive_int, default=4, help="connections at once (default 4)"
    )
    replay.add_argument(
        "--keep-ids", action="store_true", help="send the data's own ids (a rerun repeats them)"
    )
    replay.add_argument(
        "--decisions",
        action="store_true",
        help="ask POST /decisions for each (authorization time) and report the shares "
        "approved, challenged and declined, and when the frauds were stopped",
    )
    replay.add_argument("--json", action="store_true", help="the summary as JSON on stdout")
    replay.set_defaults(run=_replay)


def _add_env(commands: Any) -> None:
    env = commands.add_parser(
        "env",
        help="print the shell exports that point the AWS CLI at the local stack",
        description='eval "$(cardwatch env)" sets the emulator\'s endpoint, the region and '
        "stand-in credentials, for the AWS CLI (v1 and v2) and any SDK.",
        epilog="exit codes: 0 printed; 2 unreadable state file; 3 no local stack",
    )
    env.add_argument("--state", type=Path, default=Path(".cardwatch/local.json"))
    env.add_argument("--json", action="store_true")
    env.set_defaults(run=_env)


def _add_dlq(commands: Any) -> None:
    dlq = commands.add_parser(
        "dlq",
        help="list, show and redrive the dead-letter queues",
        description="Every dead-letter queue of the local stack (default) or of a deployment "
        "(--target). `redrive` sends a queue's messages back to their queue and a failed "
        "invocation's event back to its function, deleting each only once it is resent.",
        epilog="exit codes: 0 done; 2 bad arguments, no such queue or no local stack",
    )
    dlq.add_argument("action", choices=["list", "show", "redrive"])
    dlq.add_argument("name", nargs="?", default="", help="suspicious, alerts or failures")
    dlq.add_argument("--limit", type=int, default=10, help="messages to show or redrive")
    dlq.add_argument("--json", action="store_true")
    add_target_arguments(dlq)
    dlq.set_defaults(run=_dlq)


def _add_audit(commands: Any) -> None:
    audit = commands.add_parser(
        "audit",
        help="who labelled, published, promoted, rolled back or redrove, and when",
        description="The audit trail of the local stack (default) or a deployment "
        "(--target): every label, rules publish, model publish, promotion, shadowing or "
        "rollback and DLQ redrive, with who did it, when, and what it changed. Records are "
        "appended once and never changed.",
        epilog="exit codes: 0 done; 2 a bad argument or no local stack; 3 AWS refused the call",
    )
    audit.add_argument("--days", type=float, default=7, help="how far back (default 7)")
    audit.add_argument("--action", help="only this act (label, rules.publish, model.promote...)")
    audit.add_argument("--json", action="store_true")
    add_target_arguments(audit)
    audit.set_defaults(run=_audit)


def _audit(args: argparse.Namespace) -> int:
    from cardwatch.cli.audit import run_audit  # noqa: PLC0415 - reaches AWS

    return run_audit(args)


def _add_up(commands: Any) -> None:
    up = commands.add_parser("up", help="run the local stack until interrupted")
    up.add_argument("--port", type=int, default=8080, help="the API's port (0: any free port)")
    up.add_argument(
        "--emulator-port",
        type=int,
        default=0,
        help="the AWS emulator's port (default 0: any free port; its address is in "
        ".cardwatch/local.json)",
    )
    up.add_argument("--analyze-every", type=float, default=300.0, help="seconds")
    up.add_argument(
        "--retrain-every",
        type=float,
        default=7 * 86_400.0,
        help="seconds between scheduled retrainings (default a week, as deployed; "
        "`cardwatch model train` runs one now)",
    )
    up.add_argument(
        "--concurrency",
        type=_positive_int,
        default=8,
        help="invocations of each function that may run at once, as Lambda's (default 8)",
    )
    up.add_argument("--api-key", help="default: a fresh random key")
    up.add_argument(
        "--console-port",
        type=int,
        default=8090,
        help="the analyst console's port (default 8090, where the alerts' links point)",
    )
    up.add_argument("--no-console", action="store_true", help="no analyst console")
    up.set_defaults(run=_up)


def _add_console(commands: Any) -> None:
    console = commands.add_parser(
        "console",
        help="the analysts' web page: cases, search, labels, notes, rates, DLQs",
        description="Serves the analyst console on this machine: cases (a card's run, a "
        "pattern's window) searched by card, user, terminal, token or BIN; a case with its "
        "transactions, reasons in words, features, notes and history; assign, note, label "
        "the whole case or chosen transactions, close; flagged and blocked shares per hour, "
        "the rules and model versions, the dead-letter queues. Every request is signed with "
        "your own AWS identity: on the local stack a demo analyst (--as); on a deployment "
        "(--target, --api-url) your profile or IAM Identity Center session of a console "
        "role (viewer, analyst, lead).",
        epilog="exit codes: 0 stopped with Ctrl-C; 2 no local stack, bad arguments or no "
        "credentials",
    )
    console.add_argument("--port", type=int, default=8090, help="0: any free port")
    console.add_argument("--api-url", help="a deployment's API (its stage's invoke URL)")
    console.add_argument("--hours", type=_positive_int, default=24, help="hours on the chart")
    console.add_argument(
        "--as",
        dest="analyst",
        default="ana",
        help="local mode: the demo analyst to sign in as (ana, ben: analysts; lee: a lead; "
        "vic: a viewer)",
    )
    add_target_arguments(console)
    console.set_defaults(run=_console)


def _console(args: argparse.Namespace) -> int:
    from cardwatch.cli.console import run_console  # noqa: PLC0415 - reaches AWS

    return run_console(args)


def _add_rules(commands: Any) -> None:
    rules = commands.add_parser(
        "rules",
        help="validate, diff, publish the detection rules; their history",
        description="The detection rules document: `validate FILE` checks it as detect would; "
        "`test FILE DATA.csv` measures it against the shipped rules on labelled data (per-rule "
        "hits and precision, AP, review and block rates); "
        "`diff FILE` and `publish FILE --note WHY` compare it with, and publish it to, the "
        "local stack (default) or a deployment (--target); `history` lists the published "
        "versions with their notes. detect keeps the last good rules if a published "
        "document is refused, logs it and raises the rules-refused alarm.",
        epilog="exit codes: 0 done; 2 an invalid document, a bad argument or no local stack; "
        "3 AWS refused the call",
    )
    rules.add_argument("action", choices=["validate", "diff", "test", "publish", "history"])
    rules.add_argument("file", type=Path, nargs="?", help="a rules document (JSON)")
    rules.add_argument("data", type=Path, nargs="?", help="test: a labelled CSV")
    rules.add_argument("--test-days", type=_positive_int, default=7, help="test: days measured")
    rules.add_argument("--note", help="why (publish; kept with the version)")
    rules.add_argument("--json", action="store_true")
    add_target_arguments(rules)
    rules.set_defaults(run=_rules)


def _rules(args: argparse.Namespace) -> int:
    if args.action != "history" and args.file is None:
        print(f"cardwatch rules: {args.action} needs a FILE", file=sys.stderr)
        return 2
    if args.action == "test":
        return _rules_test(args)
    from cardwatch.cli.rules import run_rules  # noqa: PLC0415 - reaches AWS

    return run_rules(args)


def _rules_test(args: argparse.Namespace) -> int:
    from rich.console import Console  # noqa: PLC0415

    from cardwatch.domain.engine.rules import Policy, RuleSetError, default_policy  # noqa: PLC0415
    from cardwatch.evaluation.replay import ReplaySettings  # noqa: PLC0415
    from cardwatch.evaluation.rules_test import compare_rules, outcome_table  # noqa: PLC0415
    from cardwatch.simulation.labelled_file import load_history  # noqa: PLC0415

    if args.data is None:
        print("cardwatch rules: test needs FILE and DATA.csv", file=sys.stderr)
        return 2
    try:
        candidate = Policy.from_json(args.file.read_text())
    except RuleSetError as error:
        print(f"cardwatch rules: {args.file}: {error}", file=sys.stderr)
        return 2
    current, outcome, rows = compare_rules(
        load_history(args.data),
        default_policy(),
        candidate,
        ReplaySettings(),
        test_days=args.test_days,
    )
    if args.json:
        print(json.dumps({"rows": rows, "in_force": asdict(current), "candidate": asdict(outcome)}))
    else:
        Console().print(outcome_table(current, outcome, rows))
    return 0


def _dlq(args: argparse.Namespace) -> int:
    from cardwatch.cli.dlq import run_dlq  # noqa: PLC0415 - reaches AWS

    return run_dlq(args)


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

    _add_preflight(commands)

    simulate = commands.add_parser("simulate", help="write labelled simulated transactions")
    simulate.add_argument("out", type=Path)
    simulate.add_argument("--customers", type=int, default=5000)
    simulate.add_argument("--terminals", type=int, default=10000)
    simulate.add_argument("--days", type=int, default=183)
    simulate.add_argument("--seed", type=int, default=0)
    simulate.add_argument(
        "--card-testing-per-day", type=int, default=0, help="bursts of probes on a card"
    )
    simulate.add_argument(
        "--rich",
        action="store_true",
        help="add processor fields (currency, country, channel, MCC, device, IP, "
        "coordinates, local offsets) and their fraud: takeover, spread card testing, "
        "skimming, stolen contactless, friendly fraud",
    )
    simulate.set_defaults(run=_simulate)

    backtest = commands.add_parser("backtest", help="replay labelled data; score and measure")
    _add_replay_options(backtest)
    backtest.add_argument("--scores-out", type=Path)
    backtest.add_argument("--test-days", type=int, default=7)
    backtest.add_argument(
        "--as-deployed",
        action="store_true",
        help="replay as the deployment behaves: the shipped model from the first "
        "transaction; each retrained model a challenger, promoted only when it beats the "
        "model in force on the latest labelled days (--retrain-every-days 0: never "
        "retrain, the deployment on day one)",
    )
    backtest.add_argument(
        "--promotion-margin",
        type=float,
        default=0.01,
        help="average precision a challenger must gain to be promoted (--as-deployed)",
    )
    backtest.add_argument(
        "--reference",
        action="store_true",
        help="also fit a larger gradient-boosted reference and print its AP beside ours",
    )
    backtest.set_defaults(run=_backtest)

    train = commands.add_parser("train", help="fit the model on labelled data, write JSON")
    _add_replay_options(train)
    train.add_argument("--out", type=Path, required=True)
    train.add_argument(
        "more", type=Path, nargs="*", help="more labelled files: each a world of its own"
    )
    train.set_defaults(run=_train)

    demo = commands.add_parser(
        "demo",
        help="run the pipeline on the embedded emulator, "
        "with realistic traffic, and show the alerts",
    )
    demo.add_argument("--count", type=int, default=300, help="transactions to send")
    demo.add_argument("--rate", type=float, default=40.0, help="requests a second")
    demo.set_defaults(run=_demo)

    _add_up(commands)

    _add_replay(commands)
    _add_env(commands)
    _add_dlq(commands)
    _add_console(commands)
    _add_rules(commands)
    _add_model(commands)
    _add_audit(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except DataError as error:  # an unreadable input file: one line, not a traceback
        print(f"cardwatch {args.command}: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # missing, unreadable or a directory
        where = f": {error.filename}" if error.filename else ""
        print(f"cardwatch {args.command}: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
