"""Structured logs: one JSON object per line on stderr, each request's lines carrying its id.

structlog renders through the standard `logging` module, so library logs (gunicorn, the
projection runner) come out in the same JSON shape, and tests can inspect records with
`caplog`. A handler is installed only when nobody configured logging before us (under pytest
or an embedding application, their configuration stays in charge).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import unquote_plus

import structlog

REDACTED = "[redacted]"
CREDENTIAL_NAME = re.compile(
    r"^(?:access_token|id_token|refresh_token|token|api_key|apikey|key|password|passwd|pwd|secret"
    r"|client_secret|code|state|sig|signature|auth|authorization|session|sid|csrf"
    r"|.*(?:token|secret|passw(?:or)?d|api[_-]?key|credential|signature).*)$",
    re.IGNORECASE,
)
"""Query parameter names that carry, or may carry, a credential (OAuth `code` and `state` too)."""

CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})

_IN_TEXT = re.compile(r"([?&;])([^=&;?\s\"'#]+)=([^&;\s\"'#]*)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_OWN_TOKEN = re.compile(r"\bkz_([0-9a-f]{12})_[A-Za-z0-9_-]{43}\b")


def redact_query(query: str | None) -> str | None:
    """The query string with the value of every credential-like parameter replaced.

    Names are judged decoded (`acc%65ss_token` is `access_token`) but written as sent, so a
    log still shows what the client asked for, minus its secrets."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        parts.append(f"{name}={REDACTED}" if equals and CREDENTIAL_NAME.match(unquote_plus(name)) else part)
    return "&".join(parts)


def redact_text(text: str) -> str:
    """Credentials inside free text: URLs' query parameters, `Bearer …`, this desk's own tokens."""
    if "=" in text:
        text = _IN_TEXT.sub(
            lambda m: f"{m[1]}{m[2]}={REDACTED}" if CREDENTIAL_NAME.match(unquote_plus(m[2])) else m[0], text
        )
    text = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", text)
    return _OWN_TOKEN.sub(lambda m: f"kz_{m[1]}_{REDACTED}", text)


def _redacted(name: str, value: Any) -> Any:
    if name.lower() in CREDENTIAL_HEADERS:
        return REDACTED
    if isinstance(value, str):
        return redact_query(value) if name == "query" else redact_text(value)
    if isinstance(value, Mapping):
        return {k: _redacted(str(k), v) for k, v in value.items()}
    return value


def redact_credentials(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Never write a credential to a log, whoever logged it: a token sent as `?access_token=`
    (refused, but still in the request line), an Authorization or Cookie header, a password in
    a URL. Runs on every line, ours and libraries' (gunicorn, werkzeug) alike."""
    for name, value in list(event.items()):
        if isinstance(value, str | Mapping):
            event[name] = _redacted(name, value)
    return event


SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_credentials,
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
