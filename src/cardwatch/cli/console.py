"""``cardwatch console``: the analysts' web page, on the local stack or a deployment.

One page (``console.html``, no build step and nothing fetched from elsewhere): the
cases (searched by card, user, terminal, token or BIN, or a status's queue, with its
total), a case whole (its transactions with labels, reasons in words and features in
plain names, its notes and history), the actions on it (assign, note, label the whole
case or the chosen transactions, close, reopen), the flagged and blocked shares hour by
hour, the rules and model versions in force and the depth of every dead-letter queue.

The page speaks only to this server, and this server to the API as any client would:
every request signed (SigV4) with the identity of the person who runs it (their
profile or IAM Identity Center session; in local mode a demo analyst, ``--as``), so
each act is recorded under their own name and their role decides what they may do.
Credentials never reach the browser. The overview reads the deployment itself (the
rules parameter, the DLQs, the decisions of the last hours) with the same identity.
"""

from __future__ import annotations

import argparse
import hmac
import json
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
from cardwatch.adapters.signed_requests import SignedAsCaller, local_caller
from cardwatch.cli.dlq import connect
from cardwatch.cli.target import CommandError, CommandTarget, command_target
from cardwatch.domain.engine.state import HOUR_MS
from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.validation import check_path_id
from cardwatch.infra.common.api_gateway import CASE_PARAMETERS, REVIEW_PARAMETERS
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


@dataclass(frozen=True, slots=True)
class ConsoleSource:
    """Where the console reads and who reads: the API, the person's signer and ARN,
    the deployment."""

    api_url: str
    signer: httpx.Auth
    #: the person's principal (an assumed role's ARN: the session name is the person)
    caller: str
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


class _Forwarder:
    """The console's API routes: each forwards one request, from validated parts only,
    to the API, signed as the person running the console."""

    def __init__(self, source: ConsoleSource) -> None:
        self.source = source
        self.api = httpx.Client(base_url=source.api_url, auth=source.signer, timeout=30)

    @staticmethod
    def _answer(answer: httpx.Response) -> Response:
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type", "application/json"),
        )

    def _listed(self, request: Request, path: str, allowed: tuple[str, ...]) -> Response:
        wanted = {k: v for k, v in request.query_params.items() if k in allowed}
        return self._answer(self.api.get(path, params=wanted))

    def reviews(self, request: Request) -> Response:
        return self._listed(request, "/reviews", REVIEW_PARAMETERS)

    def cases(self, request: Request) -> Response:
        return self._listed(request, "/cases", CASE_PARAMETERS)

    def transaction(self, request: Request) -> Response:
        transaction_id = _checked_id(request, "transaction_id")
        if transaction_id is None:
            return _bad_id("transaction_id")
        return self._answer(self.api.get(f"/transactions/{transaction_id}"))

    def case(self, request: Request) -> Response:
        case_id = _checked_id(request, "case_id")
        if case_id is None:
            return _bad_id("case_id")
        return self._answer(self.api.get(f"/cases/{case_id}"))

    async def act(self, request: Request) -> Response:
        case_id = _checked_id(request, "case_id", json_body=True)
        if case_id is None:
            return _bad_id("case_id", " (and the body must be application/json)")
        answer = self.api.post(
            f"/cases/{case_id}",
            content=await request.body(),
            headers={"content-type": "application/json"},
        )
        return self._answer(answer)

    def whoami(self, _request: Request) -> Response:
        caller = self.source.caller
        return JSONResponse({"caller": caller, "name": caller.rsplit("/", 1)[-1]})

    def summary(self, _request: Request) -> Response:
        try:
            return JSONResponse(overview(self.source))
        except (CommandError, KeyError) as error:
            return JSONResponse({"message": str(error)}, status_code=502)


def console_app(source: ConsoleSource) -> Starlette:
    """The console's routes: the page, the API's analyst routes (forwarded, signed), the
    overview; every answer refused to another Host, every state change to another
    origin or without the session's token."""
    template = resources.files("cardwatch.cli").joinpath("console.html").read_text()
    token = secrets.token_urlsafe(32)
    routes = _Forwarder(source)

    def home(_request: Request) -> Response:
        return _page(template, token)

    app = Starlette(
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=_guard(token))],
        routes=[
            Route("/", home, methods=["GET"]),
            Route("/api/whoami", routes.whoami, methods=["GET"]),
            Route("/api/reviews", routes.reviews, methods=["GET"]),
            Route("/api/cases", routes.cases, methods=["GET"]),
            Route("/api/cases/{case_id}", routes.case, methods=["GET"]),
            Route("/api/cases/{case_id}", routes.act, methods=["POST"]),
            Route("/api/transactions/{transaction_id}", routes.transaction, methods=["GET"]),
            Route("/api/overview", routes.summary, methods=["GET"]),
        ],
    )
    app.state.api = routes.api  # closed with the server
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


def _checked_id(request: Request, name: str, *, json_body: bool = False) -> str | None:
    """The path's id ``name`` when it keeps the contract's pattern (an upstream path is
    built from it: nothing else may reach it), and, with ``json_body``, the body is
    declared JSON (the API takes nothing else); else None."""
    found = str(request.path_params[name])
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if json_body and kind != "application/json":
        return None
    try:
        check_path_id(found, name)
    except InvalidTransaction:
        return None
    return found


def _bad_id(name: str, more: str = "") -> Response:
    return JSONResponse(
        {"message": f"{name}: must match the contract's id pattern{more}"}, status_code=400
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


def local_source(state: Path, hours: int = 24, analyst: str = "ana") -> ConsoleSource:
    """The local stack's console source, from the state file ``cardwatch up`` wrote,
    signed in as demo analyst ``analyst``."""
    args = argparse.Namespace(state=state, target=None, environment_suffix="", api_url=None)
    args.hours, args.analyst = hours, analyst
    return console_source(args)


def console_source(args: argparse.Namespace) -> ConsoleSource:
    """The local stack's API, signed in as a demo analyst (``--as``); or a deployment's
    API (``--api-url``), signed in as whoever runs the console (their AWS credentials:
    a profile, or IAM Identity Center's session of a console role)."""
    target = command_target(args)
    if target.endpoint is not None:
        try:
            caller, credentials = local_caller(target.state, getattr(args, "analyst", "ana"))
        except KeyError as error:
            raise CommandError(str(error.args[0])) from None
        signer = SignedAsCaller(credentials, target.blueprint.region)
        return ConsoleSource(target.state["api_url"], signer, caller, target, args.hours)
    if not args.api_url:
        raise CommandError("a deployment's console needs --api-url (its stage's invoke URL)")
    found = target.session.get_credentials()
    if found is None:
        raise CommandError("no AWS credentials: sign in (aws sso login) or set a profile")
    caller = target.client("sts").get_caller_identity()["Arn"]
    signer = SignedAsCaller(found, target.blueprint.region)
    return ConsoleSource(args.api_url.rstrip("/"), signer, str(caller), target, args.hours)


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
