"""A request id in every log line of the server (and in the ``x-request-id`` response header)."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

#: The id of the request being handled ("-" outside one).
REQUEST_ID: ContextVar[str] = ContextVar("rewardkit_request_id", default="-")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
_GOOD = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (the current request's id) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def request_id(given: bytes | None) -> str:
    """The client's ``x-request-id`` when it is short and plain, else a fresh one."""
    if given:
        text = given.decode("latin-1")
        if _GOOD.match(text):
            return text
    return uuid.uuid4().hex[:16]


def setup(level: str = "info") -> None:
    """Log to stderr with the request id; uvicorn's own loggers propagate here (``log_config=None``)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
