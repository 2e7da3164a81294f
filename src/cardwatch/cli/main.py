"""cardwatch: serverless card-fraud detection for AWS, and a local mode on an embedded
AWS emulator. Every command takes --help; those that report take --json."""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cardwatch import __version__
from cardwatch.blueprint import FUNCTION_KEYS, ApiLogging, Target, blueprint_for
from cardwatch.cli.exits import EXIT_EPILOG, run_command
from cardwatch.cli.target import add_state_argument, add_target_arguments, suffix
from cardwatch.local.stack_state import live_state
from cardwatch.schema import schema_text
from cardwatch.schema.openapi import openapi_document

__all__ = ["main"]

_JSON_HELP = "print the report as JSON on standard output (stable keys)"


def _command(
    commands: Any, name: str, summary: str, description: str = "", found: str = ""
) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with the CLI's exit codes (``found``: what exit 1,
    the work found problems, means for it)."""
    epilog = EXIT_EPILOG + (f"\n(here, 1: {found})" if found else "")
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=description or summary[:1].upper() + summary[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _env(args: argparse.Namespace) -> int:
    """The shell lines that point the AWS CLI and SDKs at the running local stack."""
    state = live_state(args.state)
    endpoint, region = state["aws_endpoint"], state["region"]
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


def _bounded(
    convert: Callable[[str], Any], low: float, high: float, wording: str
) -> Callable[[str], Any]:
    """An argument type: ``convert(text)`` within ``[low, high]`` (NaN never is), else
    argparse's one-line refusal, ``must be {wording}``."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wording}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {wording}")
        return value

    parse.__name__ = wording  # what argparse names in "invalid ... value"
    return parse


_positive_int = _bounded(int, 1, sys.maxsize, "a whole number, at least 1")
_positive_float = _bounded(float, math.nextafter(0.0, 1.0), sys.float_info.max, "a number above 0")
#: a number of days, 0 allowed (``--retrain-every-days 0``: never)
_days = _bounded(float, 0.0, 3650.0, "a number of days from 0 to 3650")
_port = _bounded(int, 0, 65535, "a port from 0 to 65535 (0: any free port)")
_seconds = _bounded(float, 0.0, 3600.0, "a number of seconds from 0 to 3600")
_count = _bounded(int, 0, sys.maxsize, "a whole number, 0 or more")
_share = _bounded(float, 0.0, 1.0, "a number from 0 to 1")
_seed = _bounded(int, 0, 2**63 - 1, "a whole number, 0 or more")
_world_days = _bounded(int, 14, 3650, "a whole number of days from 14 to 3650")


def _out(text: str) -> Path:
    """A file to write, in a directory that exists (said before hours of work, not after)."""
    path = Path(text)
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{path.parent} is not a directory")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a directory")
    return path


def _schema(args: argparse.Namespace) -> int:
    if args.format == "openapi":
        print(json.dumps(openapi_document(), indent=2))
    else:
        print(schema_text(), end="")
    return 0


def _blueprint(args: argparse.Namespace) -> int:
    suffix_ = args.environment_suffix or ("local" if args.target == "local" else "dev")
    blueprint = blueprint_for(args.target, suffix_)
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
    from cardwatch.cli.demo import run_demo  # noqa: PLC0415 - local mode loads on demand

    return run_demo(count=args.count, rate=args.rate, state_dir=args.state_dir, as_json=args.json)


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
        state_dir=args.state_dir,
    )


def _replay(args: argparse.Namespace) -> int:
    from cardwatch.cli.up import run_replay  # noqa: PLC0415

    return run_replay(args)


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
    if args.json:
        report = {"out": str(args.out), "rows": rows} | {
            name: getattr(settings, name)
            for name in ("customers", "terminals", "days", "seed", "card_testing_per_day")
        }
        print(json.dumps(report | {"rich": args.rich}, indent=2))
    else:
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
    from cardwatch.cli.output import console  # noqa: PLC0415
    from cardwatch.evaluation.backtest import backtest_report, run_backtest  # noqa: PLC0415

    report = run_backtest(
        args.data,
        args.scores_out,
        _replay_settings(args),
        args.test_days,
        console(stderr=args.json),
        reference=args.reference,
        as_json=args.json,
    )
    if args.json:
        print(json.dumps(backtest_report(report), indent=2))
    return 0


def _worlds(args: argparse.Namespace) -> int:
    from cardwatch.cli.model import model_file  # noqa: PLC0415
    from cardwatch.cli.output import console  # noqa: PLC0415
    from cardwatch.domain.engine.model_store import default_model  # noqa: PLC0415
    from cardwatch.evaluation.generalisation import (  # noqa: PLC0415
        generalisation_report,
        measure_family,
        print_generalisation,
    )
    from cardwatch.simulation.worlds import TUNING_SEED, world_family  # noqa: PLC0415

    model = model_file(args.model)[0] if args.model else default_model()
    out = console(stderr=args.json)
    if args.seed == TUNING_SEED:
        out.print(f"seed {TUNING_SEED} draws the worlds the shipped model was fitted on")
    worlds = world_family(args.seed, args.count, customers=args.customers, days=args.days)
    with out.status("simulating and replaying the worlds") as status:

        def done(measure: Any) -> None:
            status.update(f"{measure.world} measured; {args.count} worlds in all")
            out.print(
                f"{measure.world}: AP {measure.average_precision:.3f}, "
                f"{measure.rows:,} transactions, {measure.seconds:.0f} s"
            )

        found = measure_family(worlds, model, reference=not args.no_reference, progress=done)
    if args.json:
        print(json.dumps(generalisation_report(found), indent=2))
    else:
        print_generalisation(found, out)
    return 0


def _train(args: argparse.Namespace) -> int:
    from cardwatch.evaluation.training_run import train_from_history  # noqa: PLC0415

    artifact = train_from_history([args.data, *args.more], _replay_settings(args))
    return _write_model(args.out, artifact, as_json=args.json)


def _write_model(out: Path, artifact: dict[str, Any], of: str = "", *, as_json: bool) -> int:
    out.write_text(json.dumps(artifact, separators=(",", ":")))
    meta = artifact["metadata"]
    if as_json:
        print(
            json.dumps(
                {
                    "out": str(out),
                    "version": meta.get("version"),
                    "trees": len(artifact["trees"]),
                    "rows": meta["rows"],
                    "frauds": meta["frauds"],
                },
                indent=2,
            )
        )
        return 0
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
    progress = (lambda line: print(line, file=sys.stderr, flush=True)) if args.json else None
    artifact = day_one_artifact(
        settings, progress=progress or (lambda line: print(line, flush=True))
    )
    return _write_model(args.out, artifact, f" of {settings.worlds} worlds", as_json=args.json)


def _add_model(commands: Any) -> None:
    model = _command(
        commands,
        "model",
        "the detection model: status, train, publish, promote, rollback, day-one",
        "The models detect scores with, on the local stack (default) or a deployment "
        "(--target). detect follows a promotion or rollback within a minute, without a "
        "redeploy.",
    )
    actions = model.add_subparsers(dest="action", required=True, metavar="ACTION")
    day_one = _command(
        actions,
        "day-one",
        "fit the model the deployment ships with on many simulated worlds, each with "
        "parameters of its own (behaviour, not one simulator's constants)",
    )
    day_one.add_argument("--out", type=_out, required=True, help="where to write the artifact")
    day_one.add_argument("--worlds", type=_positive_int, default=8, help="worlds (default 8)")
    day_one.add_argument(
        "--customers", type=_positive_int, default=1200, help="cardholders a world (default 1200)"
    )
    day_one.add_argument("--days", type=_positive_int, default=70, help="days a world (default 70)")
    day_one.add_argument("--seed", type=_seed, default=42, help="the worlds' seed (default 42)")
    day_one.add_argument("--json", action="store_true", help=_JSON_HELP)
    day_one.set_defaults(run=_day_one, needs="ops")
    status = _command(actions, "status", "the models in force, and the last retraining")
    train = _command(
        actions,
        "train",
        "run the retrain function now: fit on the labelled decision log, judge against the "
        "champion, publish, promote if it wins by the margin (else shadow)",
    )
    train.add_argument("--evaluation-days", type=_days, help="the latest labelled days judged")
    train.add_argument(
        "--label-delay-days", type=_days, help="an unlabelled decision counts as genuine after"
    )
    train.add_argument("--history-days", type=_days, help="days of the decision log read")
    train.add_argument("--min-frauds", type=_positive_int, help="labelled frauds needed to fit")
    train.add_argument("--shadow", action="store_true", help="never promote: shadow only")
    publish = _command(
        actions, "publish", "add a model artifact as the challenger in shadow (--promote: champion)"
    )
    publish.add_argument("file", type=Path, help="a model artifact (`cardwatch train --out`)")
    publish.add_argument("--promote", action="store_true", help="make it the champion at once")
    promote = _command(actions, "promote", "make the challenger (or VERSION) the champion")
    promote.add_argument("version", nargs="?", help="a published version (default: challenger)")
    rollback = _command(actions, "rollback", "return to the champion before this one (or VERSION)")
    rollback.add_argument("version", nargs="?", help="a published version (default: the last)")
    train.set_defaults(needs="ops")
    for action in (status, train, publish, promote, rollback):
        action.add_argument("--json", action="store_true", help=_JSON_HELP)
        if action in (publish, promote, rollback):
            action.add_argument("--note", help="why (kept with the pointer and in the audit)")
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
    parser.add_argument(
        "--label-delay-days",
        type=_days,
        default=7.0,
        help="days before a transaction's label is known to training (default 7)",
    )
    parser.add_argument(
        "--retrain-every-days", type=_days, default=7.0, help="default 7; 0: never retrain"
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, help="the training's random seed (default 0)"
    )
    parser.add_argument(
        "--in-flight",
        action="store_true",
        help="land each transaction's effects as late as the deployment does under load "
        "(its card's counters 25 ms later, its terminal's a second later): the rows "
        "detect serves, not a sequential ideal",
    )


def _add_preflight(commands: Any) -> None:
    preflight = _command(
        commands,
        "preflight",
        "check an AWS account before a deploy (concurrency quota, API Gateway's "
        "CloudWatch role, the e-mail subscription)",
        found="a check failed",
    )
    preflight.add_argument(
        "--target", choices=("cdktf", "pulumi"), default="pulumi", help="default pulumi"
    )
    preflight.add_argument("--environment-suffix", type=suffix, default="dev", help="default dev")
    preflight.add_argument(
        "--reserved-concurrency",
        type=_positive_int,
        help="the reservation each function will have, as you will deploy",
    )
    preflight.add_argument(
        "--api-logging",
        choices=[mode.value for mode in ApiLogging],
        help="who provides API Gateway's CloudWatch role, as you will deploy "
        "(default: own, this environment sets it)",
    )
    preflight.add_argument("--json", action="store_true", help="one JSON list of checks")
    preflight.set_defaults(run=_preflight)


def _add_replay(commands: Any) -> None:
    replay = _command(
        commands,
        "replay",
        "send transactions to the running local API and count the alerts they raise",
        "Send transactions to the local API, wait until each accepted one is assessed "
        "and its alerts have left notify, and count those alerts (on a queue of the "
        "run's own, subscribed to the alert topic: the downstream alert queue is never "
        "read). Each run sends fresh transaction ids unless --keep-ids.",
        found="some requests were refused (4xx) or failed, or some were still in flight",
    )
    source = replay.add_mutually_exclusive_group(required=True)
    source.add_argument("data", type=Path, nargs="?", help="a labelled CSV to replay")
    source.add_argument(
        "--simulate",
        type=_positive_int,
        metavar="N",
        help="N demo transactions (genuine ones with card testing, a skimmed terminal and "
        "a stolen card among them)",
    )
    replay.add_argument(
        "--rate", type=_positive_float, default=50.0, help="requests a second (default 50)"
    )
    replay.add_argument("--limit", type=_positive_int, help="send at most this many rows")
    add_state_argument(replay)
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
    replay.add_argument(
        "--wait",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="longest wait for the pipeline to assess what was sent (default 120; 0: none)",
    )
    replay.add_argument("--json", action="store_true", help=_JSON_HELP)
    replay.set_defaults(run=_replay)


def _add_env(commands: Any) -> None:
    env = _command(
        commands,
        "env",
        "print the shell exports that point the AWS CLI at the local stack",
        'eval "$(cardwatch env)" sets the emulator\'s endpoint, the region and '
        "stand-in credentials, for the AWS CLI (v1 and v2) and any SDK.",
    )
    add_state_argument(env)
    env.add_argument("--json", action="store_true", help="the variables as one JSON object")
    env.set_defaults(run=_env)


def _add_dlq(commands: Any) -> None:
    dlq = _command(
        commands,
        "dlq",
        "list, show and redrive the dead-letter queues",
        "Every dead-letter queue of the local stack (default) or of a deployment "
        "(--target). `redrive` sends a queue's messages back to their queue and a failed "
        "invocation's event back to its function, deleting each only once it is resent.",
        found="redrive: some messages came back to the dead-letter queue",
    )
    actions = dlq.add_subparsers(dest="action", required=True, metavar="ACTION")
    listed = _command(actions, "list", "each dead-letter queue and how many messages wait")
    shown = _command(
        actions, "show", "the messages waiting on a queue: when, what, which transaction"
    )
    redrive = _command(
        actions,
        "redrive",
        "send a queue's messages back to where they failed, and say which came back",
        found="some messages came back to the dead-letter queue",
    )
    for action in (shown, redrive):
        action.add_argument("name", help="suspicious, alerts or failures (or the queue's name)")
        action.add_argument("--limit", type=_positive_int, default=10, help="messages (default 10)")
    redrive.add_argument(
        "--watch",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="how long to watch for redriven messages failing again (default 10; 0: not)",
    )
    for action in (listed, shown, redrive):
        action.add_argument("--json", action="store_true", help=_JSON_HELP)
        add_target_arguments(action)
        action.set_defaults(run=_dlq)


def _add_audit(commands: Any) -> None:
    audit = _command(
        commands,
        "audit",
        "who labelled, published, promoted, rolled back or redrove, and when",
        "The audit trail of the local stack (default) or a deployment "
        "(--target): every label, rules publish, model publish, promotion, shadowing or "
        "rollback and DLQ redrive, with who did it, when, and what it changed. Records are "
        "appended once and never changed.",
    )
    audit.add_argument("--days", type=float, default=7, help="how far back (default 7)")
    audit.add_argument("--action", help="only this act (label, rules.publish, model.promote...)")
    audit.add_argument("--json", action="store_true", help=_JSON_HELP)
    add_target_arguments(audit)
    audit.set_defaults(run=_audit)


def _audit(args: argparse.Namespace) -> int:
    from cardwatch.cli.audit import run_audit  # noqa: PLC0415 - reaches AWS

    return run_audit(args)


def _add_up(commands: Any) -> None:
    up = _command(
        commands,
        "up",
        "run the local stack until interrupted",
        "Run the whole pipeline on this machine (the AWS emulator, the API, the functions, "
        "the analyst console) until Ctrl-C. Its state is in memory and is gone when it "
        "stops: tables, queues, parameters and models start empty each time.",
    )
    up.add_argument("--port", type=_port, default=8080, help="the API's port (0: any free port)")
    up.add_argument(
        "--emulator-port",
        type=_port,
        default=0,
        help="the AWS emulator's port (default 0: any free port; its address is in "
        ".cardwatch/local.json)",
    )
    up.add_argument(
        "--analyze-every",
        type=_positive_float,
        default=300.0,
        help="seconds between pattern analyses (default 300, as deployed)",
    )
    up.add_argument(
        "--retrain-every",
        type=_positive_float,
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
    up.add_argument("--api-key", help="the API key clients send (default: a fresh random key)")
    up.add_argument(
        "--console-port",
        type=_port,
        default=8090,
        help="the analyst console's port (default 8090, where the alerts' links point)",
    )
    up.add_argument("--no-console", action="store_true", help="no analyst console")
    up.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".cardwatch"),
        help="where the stack writes local.json and its logs (default .cardwatch); a "
        "second stack needs its own",
    )
    up.set_defaults(run=_up)


def _add_console(commands: Any) -> None:
    console = _command(
        commands,
        "console",
        "the analysts' web page: cases, search, labels, notes, rates, DLQs",
        "Serves the analyst console on this machine: cases (a card's run, a "
        "pattern's window) searched by card, user, terminal, token or BIN; a case with its "
        "transactions, reasons in words, features, notes and history; assign, note, label "
        "the whole case or chosen transactions, close; flagged and blocked shares per hour, "
        "the rules and model versions, the dead-letter queues. Every request is signed with "
        "your own AWS identity: on the local stack a demo analyst (--as); on a deployment "
        "(--target, --api-url) your profile or IAM Identity Center session of a console "
        "role (viewer, analyst, lead). Ctrl-C stops it (exit 0).",
    )
    console.add_argument("--port", type=_port, default=8090, help="0: any free port")
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
    rules = _command(
        commands,
        "rules",
        "the detection rules: validate, test, diff, publish, show, history, rollback",
        "The detection rules document, kept in SSM Parameter Store: each publish is a "
        "version with its note, and detect reads a new one within a minute. detect keeps "
        "the last good rules if a published document is refused, logs it and raises the "
        "rules-refused alarm. Acts on the local stack (default) or a deployment (--target).",
    )
    actions = rules.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate = _command(actions, "validate", "check a rules document as detect would")
    test = _command(
        actions,
        "test",
        "measure a rules document against the shipped rules on labelled data (per-rule "
        "hits and precision, AP, review and block rates)",
    )
    diff = _command(
        actions,
        "diff",
        "what publishing a document would change",
        found="the document differs from the rules in force",
    )
    publish = _command(actions, "publish", "publish a document as the rules in force")
    show = _command(actions, "show", "print the rules in force (or VERSION)")
    history = _command(actions, "history", "the published versions, their notes and digests")
    rollback = _command(
        actions, "rollback", "publish again the version before the one in force (or VERSION)"
    )
    for action in (validate, test, diff, publish):
        action.add_argument("file", type=Path, help="a rules document (JSON)")
    test.add_argument("data", type=Path, help="a labelled CSV (`cardwatch simulate`)")
    test.add_argument(
        "--test-days", type=_positive_int, default=7, help="the last days measured (default 7)"
    )
    for action in (show, rollback):
        action.add_argument("version", nargs="?", type=_positive_int, help="a version number")
    for action in (publish, rollback):
        action.add_argument("--note", help="why (required; kept with the version and the audit)")
    for action in (validate, test, diff, publish, show, history, rollback):
        action.add_argument("--json", action="store_true", help=_JSON_HELP)
        if action not in (validate, test):
            add_target_arguments(action)
        action.set_defaults(run=_rules, needs="ops" if action is test else None)


def _rules(args: argparse.Namespace) -> int:
    from cardwatch.cli.rules import run_rules  # noqa: PLC0415 - reaches AWS

    return run_rules(args)


def _dlq(args: argparse.Namespace) -> int:
    from cardwatch.cli.dlq import run_dlq  # noqa: PLC0415 - reaches AWS

    return run_dlq(args)


def _add_simulate(commands: Any) -> None:
    simulate = _command(commands, "simulate", "write labelled simulated transactions (CSV)")
    simulate.add_argument("out", type=_out, help="the CSV file to write")
    simulate.add_argument(
        "--customers", type=_positive_int, default=5000, help="cardholders (default 5000)"
    )
    simulate.add_argument(
        "--terminals", type=_positive_int, default=10000, help="terminals (default 10000)"
    )
    simulate.add_argument("--days", type=_positive_int, default=183, help="days (default 183)")
    simulate.add_argument("--seed", type=_seed, default=0, help="the random seed (default 0)")
    simulate.add_argument(
        "--card-testing-per-day",
        type=_count,
        default=0,
        help="bursts of small probes on a stolen card, a day (default 0)",
    )
    simulate.add_argument(
        "--rich",
        action="store_true",
        help="add processor fields (currency, country, channel, MCC, device, IP, "
        "coordinates, local offsets) and their fraud: takeover, spread card testing, "
        "skimming, stolen contactless, friendly fraud",
    )
    simulate.add_argument("--json", action="store_true", help=_JSON_HELP)
    simulate.set_defaults(run=_simulate)


def _add_backtest(commands: Any) -> None:
    backtest = _command(
        commands,
        "backtest",
        "replay labelled data through detection, retraining as deployed; measure",
    )
    _add_replay_options(backtest)
    backtest.add_argument("--scores-out", type=_out, help="write each test row's score (CSV)")
    backtest.add_argument(
        "--test-days", type=_positive_int, default=7, help="the last days measured (default 7)"
    )
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
        type=_share,
        default=0.01,
        help="average precision a challenger must gain to be promoted (--as-deployed)",
    )
    backtest.add_argument(
        "--reference",
        action="store_true",
        help="also fit a larger gradient-boosted reference and print its AP beside ours",
    )
    backtest.add_argument("--json", action="store_true", help=_JSON_HELP)
    backtest.set_defaults(run=_backtest, needs="ops")


def _add_worlds(commands: Any) -> None:
    worlds = _command(
        commands,
        "worlds",
        "measure detection on simulated worlds it was not tuned on, each beside a "
        "reference fitted on that world",
        "Each world is drawn from the handbook's generator, the same with processor "
        "fields, or an issuer's portfolio built apart from both, with parameters and a "
        "label delay of its own; the default seed draws worlds no shipped model was "
        "fitted on. Each is replayed on day one (the model never retrained) and "
        "retrained weekly, and measured on its last 7 days.",
    )
    worlds.add_argument("--count", type=_positive_int, default=6, help="worlds (default 6)")
    worlds.add_argument(
        "--seed",
        type=_seed,
        default=2027,
        help="the family's seed (default 2027: the held-out worlds; 42: the tuning ones)",
    )
    worlds.add_argument(
        "--customers", type=_positive_int, default=1200, help="cardholders a world (default 1200)"
    )
    worlds.add_argument("--days", type=_world_days, default=70, help="days a world (default 70)")
    worlds.add_argument(
        "--model", type=Path, help="a model artifact to measure (default: the shipped model)"
    )
    worlds.add_argument(
        "--no-reference", action="store_true", help="skip the reference fits (faster)"
    )
    worlds.add_argument("--json", action="store_true", help=_JSON_HELP)
    worlds.set_defaults(run=_worlds, needs="ops")


def _add_train(commands: Any) -> None:
    train = _command(commands, "train", "fit the model on labelled data; write its artifact")
    _add_replay_options(train)
    train.add_argument("--out", type=_out, required=True, help="where to write the artifact")
    train.add_argument(
        "more", type=Path, nargs="*", help="more labelled files: each a world of its own"
    )
    train.add_argument("--json", action="store_true", help=_JSON_HELP)
    train.set_defaults(run=_train, needs="ops")


def _add_demo(commands: Any) -> None:
    demo = _command(
        commands,
        "demo",
        "run the pipeline on the embedded emulator with realistic traffic; show the alerts",
        "Start a stack of its own (its state in .cardwatch/demo, never a running "
        "`cardwatch up`'s), send realistic traffic with fraud in it, run the pattern "
        "analysis, print the alerts, stop.",
        found="no alert was raised",
    )
    demo.add_argument(
        "--count", type=_positive_int, default=300, help="transactions to send (default 300)"
    )
    demo.add_argument(
        "--rate", type=_positive_float, default=40.0, help="requests a second (default 40)"
    )
    demo.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".cardwatch/demo"),
        help="where the demo keeps its logs (default .cardwatch/demo)",
    )
    demo.add_argument("--json", action="store_true", help=_JSON_HELP)
    demo.set_defaults(run=_demo)


def _add_schema_and_blueprint(commands: Any) -> None:
    schema = _command(commands, "schema", "print the transaction contract")
    schema.add_argument(
        "--format",
        choices=("json-schema", "openapi"),
        default="json-schema",
        help="the contract's JSON Schema (default), or the API's OpenAPI document",
    )
    schema.set_defaults(run=_schema)
    blueprint = _command(commands, "blueprint", "print a deployment's names and numbers (JSON)")
    blueprint.add_argument(
        "--target",
        choices=[t.value for t in Target],
        default="cdktf",
        help="cdktf (default), pulumi, or local (the local stack's)",
    )
    blueprint.add_argument(
        "--environment-suffix",
        type=suffix,
        help="default dev (local: local, the local stack's)",
    )
    blueprint.set_defaults(run=_blueprint)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cardwatch",
        description=__doc__,
        epilog=EXIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cardwatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands)
    _add_up(commands)
    _add_replay(commands)
    _add_env(commands)
    _add_console(commands)
    _add_dlq(commands)
    _add_rules(commands)
    _add_model(commands)
    _add_audit(commands)
    _add_simulate(commands)
    _add_backtest(commands)
    _add_worlds(commands)
    _add_train(commands)
    _add_schema_and_blueprint(commands)
    _add_preflight(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.command, args.run, args)


if __name__ == "__main__":
    sys.exit(main())
