"""An ASGI app served by uvicorn from a thread of its own: local mode's API gateway and
the analyst console."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

__all__ = ["ThreadServer"]


class ThreadServer:
    def __init__(self, app: Any, host: str, port: int, name: str) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, daemon=True, name=name)

    def _serve(self) -> None:
        try:
            self._server.run()
        except SystemExit:  # uvicorn's answer to a port it cannot have: start() says so
            return

    def start(self) -> str | None:
        """Serve; the base URL once listening, None when the port could not be had."""
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                return None
            time.sleep(0.02)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self, timeout: float = 5) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
