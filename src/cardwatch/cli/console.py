"""``cardwatch console``: the analysts' web page, on the local stack or a deployment.

One page (``console.html``, no build step and nothing fetched from elsewhere): the open
review queue, a case with its reasons and features, label buttons, the flagged and
blocked shares hour by hour, the rules and model versions in force and the depth of
every dead-letter queue.

The page speaks only to this server. Cases, the queue and labels go through the API as
any client's requests would, with the analysts' key added here (it never reaches the
browser); the overview reads the deployment itself (the rules parameter, the DLQs and
the decisions of the last hours through the table's time-bucket index) with the
caller's credentials, or the emulator's in local mode.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import secrets
import sys
import time
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.cli.dlq import connect
from cardwatch.cli.target import CommandError, CommandTarget, command_target
from cardwatch.domain.engine.state import HOUR_MS
from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.validation import check_path_id
from cardwatch.local.runtime.serving import ThreadServer

__all__ = [
    "ConsoleServer",
    "ConsoleSource",
    "console_app",
    "console_source",
    "local_source",
    "overview",
    "run_console",
]

#: what the page may ask the API for (the console forwards nothing else)
_QUEUE_PARAMETERS = ("decision", "since", "until", "limit", "cursor")


@dataclass(frozen=True, slots=True)
class ConsoleSource:
    """Where the console reads: the API (with the analysts' key) and the deployment."""

    api_url: str
    analyst_key: str
    target: CommandTarget
    #: hours of decisions the overview's chart covers
    hours: int = 24


def overview(source: ConsoleSource, now_ms: int | None = None) -> dict[str, Any]:
    """The rules and model versions in force, the DLQs' depths, and per hour of the last
    ``source.hours``: transactions assessed, sent to review, blocked."""
    target, blueprint = source.target, source.target.blueprint
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    parameter = target.client("ssm").get_parameter(
        Name=blueprint.rules_parameter, WithDecryption=True
    )["Parameter"]
    rules = json.loads(parameter["Value"])
    queues, letters = connect(target)
    depths = [
        {"name": short, "queue": queue.name, **letters.depth(queue)}
        for short, queue in queues.items()
    ]
    first = (now_ms // HOUR_MS - source.hours + 1) * HOUR_MS
    store = DynamoTransactionStore(
        blueprint.table_name,
        target.client("dynamodb"),
        time_bucket_index=blueprint.time_bucket_index_name,
        bucket_seconds=blueprint.time_bucket_seconds,
    )
    hours: dict[int, Counter[str]] = {first + i * HOUR_MS: Counter() for i in range(source.hours)}
    models: Counter[str] = Counter()
    for timestamp_ms, decision, model in store.decisions_between(first, now_ms + 1):
        counts = hours[timestamp_ms // HOUR_MS * HOUR_MS]
        counts["transactions"] += 1
        counts[decision] += 1
        models[model or "rules only"] += 1
    return {
        "rules": {
            "parameter": blueprint.rules_parameter,
            "version": parameter["Version"],
            "rules": len(rules.get("rules", [])),
        },
        "models": [{"version": name, "transactions": n} for name, n in models.most_common()],
        "dead_letters": depths,
        "rates": [
            {
                "hour_ms": hour,
                "transactions": counts["transactions"],
                "review": counts["review"],
                "block": counts["block"],
            }
            for hour, counts in hours.items()
        ],
    }


#: the names the console answers to: it listens on the loopback only, and a page that
#: reaches it under another name (DNS rebinding) is refused before any route runs
_OWN_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
#: the header the page sends its session's token in: a cross-site form cannot set it,
#: and a cross-site fetch that sets it is refused by the browser's preflight
TOKEN_HEADER = "x-cardwatch-token"  # noqa: S105 - a header's name, not a secret
#: sent with every answer: no framing, no sniffing, no referrer
_SAFE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _host_name(host: str) -> str:
    """The name part of a Host header (``127.0.0.1:8090`` -> ``127.0.0.1``)."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def refusal(request: Request, token: str) -> Response | None:
    """Why a request may not reach a route (None: it may): a Host not the console's own
    (421), or a state change that is not the page's own (403: another origin, another
    site, or without the session's token)."""
    host = request.headers.get("host", "")
    if _host_name(host).lower() not in _OWN_HOSTS:
        return JSONResponse({"message": "Host: not this console"}, status_code=421)
    if request.method in ("GET", "HEAD"):
        return None
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    sent = request.headers.get(TOKEN_HEADER, "")
    if (
        (origin is not None and origin != f"http://{host}")
        or (site is not None and site != "same-origin")
        or not hmac.compare_digest(sent, token)
    ):
        return JSONResponse(
            {"message": "state changes are taken from the console's own page only"},
            status_code=403,
        )
    return None


def _page(template: str, token: str) -> Response:
    """The page, its script and style allowed by a nonce of this answer's, the
    session's token in a meta tag its script reads."""
    nonce = secrets.token_urlsafe(16)
    page = (
        template.replace("<script>", f'<script nonce="{nonce}">', 1)
        .replace("<style>", f'<style nonce="{nonce}">', 1)
        .replace(
            '<meta charset="utf-8">',
            f'<meta charset="utf-8">\n<meta name="cardwatch-token" content="{token}">',
            1,
        )
    )
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})


def console_app(source: ConsoleSource) -> Starlette:
    """The console's routes: the page, the API's analyst routes (forwarded), the overview;
    every answer refused to another Host, every state change to another origin or
    without the session's token."""
    api = httpx.Client(
        base_url=source.api_url, headers={"x-api-key": source.analyst_key}, timeout=30
    )
    template = resources.files("cardwatch.cli").joinpath("console.html").read_text()
    token = secrets.token_urlsafe(32)

    def forwarded(answer: httpx.Response) -> Response:
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type", "application/json"),
        )

    def home(_request: Request) -> Response:
        return _page(template, token)

    def reviews(request: Request) -> Response:
        wanted = {k: v for k, v in request.query_params.items() if k in _QUEUE_PARAMETERS}
        return forwarded(api.get("/reviews", params=wanted))

    def case(request: Request) -> Response:
        transaction_id = _checked_id(request)
        if transaction_id is None:
            return _bad_id()
        return forwarded(api.get(f"/transactions/{transaction_id}"))

    async def label(request: Request) -> Response:
        transaction_id = _checked_id(request, json_body=True)
        if transaction_id is None:
            return _bad_id(" (and the body must be application/json)")
        answer = api.post(
            f"/transactions/{transaction_id}/label",
            content=await request.body(),
            headers={"content-type": "application/json"},
        )
        return forwarded(answer)

    def summary(_request: Request) -> Response:
        try:
            return JSONResponse(overview(source))
        except (CommandError, KeyError) as error:
            return JSONResponse({"message": str(error)}, status_code=502)

    app = Starlette(
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=_guard(token))],
        routes=[
            Route("/", home, methods=["GET"]),
            Route("/api/reviews", reviews, methods=["GET"]),
            Route("/api/cases/{transaction_id}", case, methods=["GET"]),
            Route("/api/cases/{transaction_id}/label", label, methods=["POST"]),
            Route("/api/overview", summary, methods=["GET"]),
        ],
    )
    app.state.api = api  # closed with the server
    return app


def _guard(token: str) -> Any:
    """The middleware: :func:`refusal` before any route, the safe headers on every
    answer (a JSON answer's policy allows nothing, and no frame)."""

    async def guard(request: Request, call_next: Any) -> Response:
        answer: Response = refusal(request, token) or await call_next(request)
        answer.headers.update(_SAFE_HEADERS)
        if "content-security-policy" not in answer.headers:
            answer.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
        return answer

    return guard


def _checked_id(request: Request, *, json_body: bool = False) -> str | None:
    """The path's transaction id when it keeps the contract's pattern (an upstream path
    is built from it: nothing else may reach it), and, with ``json_body``, the body is
    declared JSON (the API takes nothing else); else None."""
    transaction_id = str(request.path_params["transaction_id"])
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if json_body and kind != "application/json":
        return None
    try:
        check_path_id(transaction_id)
    except InvalidTransaction:
        return None
    return transaction_id


def _bad_id(more: str = "") -> Response:
    return JSONResponse(
        {"message": f"transaction_id: must match the contract's id pattern{more}"},
        status_code=400,
    )


class ConsoleServer:
    """The console served from a thread of its own on ``host:port`` (0: a free port)."""

    def __init__(self, source: ConsoleSource, port: int = 0, host: str = "127.0.0.1") -> None:
        self._app = console_app(source)
        self._server = ThreadServer(self._app, host, port, "cardwatch-console")
        self.url = ""

    def __enter__(self) -> ConsoleServer:
        url = self._server.start()
        if url is None:
            raise CommandError("the console could not listen on its port")
        self.url = url
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.stop(timeout=10)
        self._app.state.api.close()


#: where a deployment's analyst key is read from (never a command-line argument, which
#: every user of the machine can list)
ANALYST_KEY_VARIABLE = "CARDWATCH_ANALYST_KEY"


def local_source(state: Path, hours: int = 24) -> ConsoleSource:
    """The local stack's console source, from the state file ``cardwatch up`` wrote."""
    args = argparse.Namespace(state=state, target=None, environment_suffix="", api_url=None)
    args.hours = hours
    return console_source(args)


def console_source(args: argparse.Namespace) -> ConsoleSource:
    """The local stack's API and analyst key (its state file), or a deployment's API
    (``--api-url``) with the key in :data:`ANALYST_KEY_VARIABLE`."""
    target = command_target(args)
    if target.endpoint is not None:
        return ConsoleSource(
            target.state["api_url"], target.state["analyst_api_key"], target, args.hours
        )
    if not args.api_url:
        raise CommandError("a deployment's console needs --api-url (its stage's invoke URL)")
    key = os.environ.get(ANALYST_KEY_VARIABLE, "")
    if not key:
        raise CommandError(f"set {ANALYST_KEY_VARIABLE} to the analysts' API key")
    return ConsoleSource(args.api_url.rstrip("/"), key, target, args.hours)


def run_console(args: argparse.Namespace) -> int:
    try:
        with ConsoleServer(console_source(args), port=args.port) as server:
            print(f"cardwatch console on {server.url} (Ctrl-C stops it)", flush=True)
            while True:
                time.sleep(3600)
    except CommandError as error:
        print(f"cardwatch console: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
