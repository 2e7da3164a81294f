"""Where moto's server spends its time on work AWS does not do, made cheaper.

The emulator answers every AWS call of local mode; each costs moto's server several
milliseconds of one interpreter's time, so its per-request overhead bounds local mode's
throughput. Five costs have nothing to do with emulating AWS and are removed here, in
the emulator's process only (nothing about what it answers changes):

1. **Nagle's algorithm on the server's sockets.** The server writes a response's headers
   and its body in two writes; on a kept-alive connection the second waits for the
   client's delayed acknowledgement of the first (tens of milliseconds under load).
   ``TCP_NODELAY`` on every accepted socket, as AWS's endpoints and every production
   HTTP server set it.
2. **Finding the service of a request.** moto's dispatcher lists its package's
   directories on disk and tries hundreds of URL patterns for every request, under one
   lock; the answer depends on the host alone and is kept per host.
3. **Finding the action's method.** moto lists every function of the service's response
   class (``inspect.getmembers``) for every request; the list depends on the class alone
   and is kept per class.
4. **Parsing an input transformer's paths.** For every event a rule sends on, moto
   builds a JSONPath parser (reading its grammar's tables) to parse the same few
   paths; a parsed path is kept per text.
5. **A queue's retention period, per message received.** moto reads it by computing
   every attribute of the queue three times, each counting the queue's messages; with
   a backlog of *n* messages a receive costs O(*n*) per message it returns, so a queue
   that falls behind (detect's invocations under a burst) slows down the faster the
   more it holds. The retention period is read from the queue.
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any

__all__ = ["TARGETS", "install"]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.moto_server.werkzeug_app.MotoRequestHandler.disable_nagle_algorithm",
    "moto.moto_server.werkzeug_app.DomainDispatcherApplication.get_backend_for_host(host)",
    "moto.core.responses.method_names_from_class",
    "jsonpath_ng.ext.parse",
    "moto.sqs.models.SQSBackend.is_message_valid_based_on_retention_period(queue_name,message)",
    "moto.sqs.models.SQSBackend.get_queue(queue_name)",
    "moto.core.utils.unix_time",
)

_lock = threading.Lock()
_installed = False


def install() -> None:
    """Install the five savings (once per process)."""
    global _installed  # noqa: PLW0603 (one patch per process)
    with _lock:
        if _installed:
            return
        import jsonpath_ng.ext  # noqa: PLC0415 - only the emulator's process
        from moto.core import responses  # noqa: PLC0415
        from moto.core.utils import unix_time  # noqa: PLC0415
        from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
            DomainDispatcherApplication,
            MotoRequestHandler,
        )
        from moto.sqs.models import SQSBackend  # noqa: PLC0415

        MotoRequestHandler.disable_nagle_algorithm = True

        find_backend = DomainDispatcherApplication.get_backend_for_host
        backends: dict[str | None, Any] = {}

        def backend_for_host(self: Any, host: str | None) -> Any:
            if host not in backends:
                backends[host] = find_backend(self, host)
            return backends[host]

        DomainDispatcherApplication.get_backend_for_host = backend_for_host  # type: ignore[method-assign]
        responses.method_names_from_class = _method_names  # type: ignore[attr-defined,assignment]
        jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)  # type: ignore[attr-defined]

        def within_retention(self: Any, queue_name: str, message: Any) -> bool:
            period = int(self.get_queue(queue_name).message_retention_period)
            return bool(period + message.sent_timestamp / 1000 > unix_time())

        SQSBackend.is_message_valid_based_on_retention_period = within_retention  # type: ignore[method-assign]
        _installed = True


@functools.cache
def _method_names(clazz: object) -> frozenset[str]:
    return frozenset(name for name, _ in inspect.getmembers(clazz, predicate=inspect.isfunction))
