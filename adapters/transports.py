"""The two ways a notification leaves the building: an HTTP POST (urllib) and an e-mail (smtplib).

The HTTP client is built so that what was checked is what is contacted: the host is resolved,
every address is checked against the egress policy, and the socket is connected to one of those
checked addresses (TLS still verifies the certificate for the host name). A DNS answer that
changes between the check and the connection (rebinding) cannot redirect the request. Proxies
from the environment are ignored, redirects are not followed, timeouts are short, and at most
64 KiB of the answer is read. Implements `projections.ports.Transports`.
"""

from __future__ import annotations

import functools
import http.client
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from adapters.catalogues import gettext_for
from application.ports import Resolver
from domain.notification_egress import EgressPolicy, EgressRefused
from projections.ports import Sent, SmtpSettings, Transports

MAX_ANSWER = 64 * 1024


class _Guard:
    def __init__(self, policy: EgressPolicy, resolver: Resolver) -> None:
        self.policy = policy
        self.resolver = resolver

    def connect(self, host: str, port: int, timeout: float) -> socket.socket:
        addresses = self.resolver(host, port)
        refusal = self.policy.check(host, addresses)
        if refusal is not None:
            raise EgressRefused(refusal)
        last: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((address, port), timeout=timeout)
            except OSError as exc:
                last = exc
        raise last or OSError(f"cannot connect to {host}")


def _guarded(base: type[http.client.HTTPConnection], guard: _Guard) -> Callable[..., http.client.HTTPConnection]:
    def build(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = base(host, **kwargs)

        def create_connection(address: tuple[str, int], timeout: Any = None, source: Any = None) -> socket.socket:
            return guard.connect(address[0], address[1], timeout if isinstance(timeout, int | float) else 10.0)

        connection._create_connection = create_connection  # type: ignore[attr-defined]
        return connection

    return build


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, guard: _Guard) -> None:
        super().__init__()
        self.guard = guard

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_guarded(http.client.HTTPConnection, self.guard), req)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA store costs tens of milliseconds."""
    return ssl.create_default_context()


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, guard: _Guard) -> None:
        super().__init__(context=_tls())
        self.guard = guard

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_guarded(http.client.HTTPSConnection, self.guard), req, context=_tls())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer, not an instruction: following it would re-open the SSRF door."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post(
    url: str, body: bytes, headers: dict[str, str], policy: EgressPolicy, resolver: Resolver, timeout: float
) -> Sent:
    """POST `body`; never raises for network trouble, the outcome says what happened."""
    guard = _Guard(policy, resolver)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTP(guard), _HTTPS(guard), _NoRedirects())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "kaizen-desk-notifications/1",
            **headers,
        },
    )
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with opener.open(request, timeout=timeout) as answer:
            return Sent(answer.status, answer.read(MAX_ANSWER), None, took())
    except urllib.error.HTTPError as exc:
        text = exc.read(MAX_ANSWER) if exc.fp is not None else b""
        reason = "redirect not followed" if 300 <= exc.code < 400 else f"HTTP {exc.code}"
        return Sent(exc.code, text, reason, took())
    except urllib.error.URLError as exc:
        cause = exc.reason
        if isinstance(cause, EgressRefused):
            return Sent(None, b"", f"refused by the egress policy: {cause}", took())
        return Sent(None, b"", f"{type(cause).__name__}: {cause}", took())
    except EgressRefused as exc:
        return Sent(None, b"", f"refused by the egress policy: {exc}", took())
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        return Sent(None, b"", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, took())


def send_mail(settings: SmtpSettings, to: str, subject: str, text: str, headers: dict[str, str]) -> Sent:
    """One plain-text UTF-8 message; the delivery id is its Message-ID, so mail clients and
    archives deduplicate a redelivered message too."""
    started = time.monotonic()
    if not settings.host:
        return Sent(None, b"", "e-mail is not configured (KAIZEN_SMTP_HOST)", 0)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers.items():
        message[name] = value
    message.set_content(text, charset="utf-8")
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=_tls())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        return Sent(None, b"", f"{type(exc).__name__}: {exc}", int((time.monotonic() - started) * 1000))
    took = int((time.monotonic() - started) * 1000)
    if refused:
        return Sent(None, b"", f"recipient refused: {refused}", took)
    return Sent(250, b"", None, took)


TRANSPORTS = Transports(post=post, send_mail=send_mail, gettext_for=gettext_for)
"""The real ones, as the composition points hand them to the notification loop."""
