"""One log line per request with the officer behind it: method, path, status, who, duration."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

logger = logging.getLogger("hoso.access")


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            # ``current_actor`` names the officer (username@unit) once the token was accepted; "-" otherwise.
            logger.info(
                "%s %s %d %s %.0fms",
                request.method,
                request.url.path,
                status,
                getattr(request.state, "actor", "-"),
                (time.perf_counter() - started) * 1000,
            )
