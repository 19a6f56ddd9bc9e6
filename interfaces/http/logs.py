"""Structured logs: one JSON object per line on stderr, each request's lines carrying its id.

structlog renders through the standard `logging` module, so library logs (gunicorn, the
projection runner) come out in the same JSON shape, and tests can inspect records with
`caplog`. A handler is installed only when nobody configured logging before us (under pytest
or an embedding application, their configuration stays in charge).
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
_configured = False


def json_formatter() -> logging.Formatter:
    """Renders structlog events and plain `logging` records alike as JSON lines."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def configure_logging(level: int = logging.INFO) -> None:
    global _configured
    if _configured:
        return
    structlog.configure(
        # Level first: a disabled line is dropped before the other processors run.
        processors=[structlog.stdlib.filter_by_level, *SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(json_formatter())
        root.addHandler(handler)
        root.setLevel(level)
    _configured = True


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
