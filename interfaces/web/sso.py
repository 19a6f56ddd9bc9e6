"""Single sign-on for the console: OpenID Connect, authorisation-code flow with PKCE.

Configured by `KAIZEN_OIDC_ISSUER`, `KAIZEN_OIDC_CLIENT_ID` and `KAIZEN_OIDC_CLIENT_SECRET`
(`HttpSettings.oidc_*`); with any of them unset the sign-in page shows no SSO link and these
routes say so. The protocol is authlib's (`authlib.integrations.flask_client`), not ours: it
reads the provider's discovery document, makes `state`, `nonce` and the PKCE (S256) verifier,
exchanges the code with the client secret and checks the ID token (signature against the
provider's JWKS, issuer, audience, expiry, nonce). What this module adds:

* the e-mail address must come with `email_verified: true` (the JSON boolean, or the string
  "true" some providers send): an address the provider did not check would let anyone who can
  register it there sign in as the Kaizen person holding it;
* claims missing from the ID token (providers may keep scope claims for the userinfo endpoint,
  as the OpenID Connect spec allows) are read from userinfo, whose `sub` must be the ID token's;
* the discovered `issuer` must be the configured one, and an `iss` on the redirect back
  (RFC 9207) must be it too (mix-up defence);
* every failure ends on the sign-in page with a sentence a person can act on; provider error
  codes are shown, their free-text descriptions (anyone can put one in a link) are not.

The desk decides who the address is (`desk().sign_in_with_sso`: a known, active person, or,
with `KAIZEN_OIDC_AUTO_CREATE=reporter`, a new reporter) and records the sign-in; the session
starts exactly as after a password (`start_person_session(person, method="sso")`).

Why a cookie of its own for the flow. The console session cookie is SameSite=Strict, and the
provider's redirect back to the callback is a cross-site navigation: the browser does not send
a Strict cookie with it, so authlib's pending state, kept in the session by default, would be
missing and every sign-in would fail. The console cookie stays Strict (it is what authenticates
every page and form; Strict means no other site can make the browser use it at all). The flow's
data (state, nonce, code verifier, redirect URI, where to go next) lives instead in
`kaizen_sso_flow`: signed with the console's key, HttpOnly, SameSite=Lax (sent on a top-level
GET navigation from another site, which is exactly the redirect back), path
/console/sign-in/sso (never sent anywhere else), ten minutes long, and deleted by the callback
whatever its outcome. Lax is safe for it: it authenticates nobody, and the callback accepts only
the `state` this browser was given, so another site cannot complete a sign-in in the victim's
browser with its own code (login CSRF). The callback answers with a small page that moves on to
the console itself, because Chromium does not send a Strict cookie on a redirect chain that a
cross-site navigation began: the first request that needs the new session must start from a
page of ours.
"""

from __future__ import annotations

import hmac
import re
import threading
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskIntegration, OAuth
from flask import Flask, Response, current_app, g, request, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc.errors import JoseError

from application.errors import SignInRefused
from interfaces.http.logs import get_logger
from interfaces.http.services import desk, services
from interfaces.http.settings import HttpSettings
from interfaces.web.blueprint import bp, page
from interfaces.web.parameters import reads
from interfaces.web.session import safe_next, start_person_session

log = get_logger("kaizen.console.sso")

FLOW_COOKIE = "kaizen_sso_flow"
FLOW_PATH = "/console/sign-in/sso"
FLOW_SECONDS = 600
FLOW_SALT = "kaizen-console-sso-flow"
SCOPE = "openid email profile"
TIMEOUT_SECONDS = 10.0
CLIENT = "sso"
EXTENSION = "kaizen_sso"
ERROR_CODE = re.compile(r"^[a-z0-9_.-]{1,64}$")

NOT_CONFIGURED = "Single sign-on is not set up for this console; sign in another way."
UNREACHABLE = "The identity provider could not be reached; try again in a moment or sign in another way."
EXPIRED = "That single sign-on attempt has expired or was started in another browser; please start again."
UNVERIFIABLE = "The identity provider's answer could not be verified, so it cannot sign you in."
NO_EMAIL = "Your identity provider did not send an e-mail address, so it cannot sign you in."
UNVERIFIED = "Your identity provider did not confirm this e-mail address, so it cannot sign you in."
CANCELLED = "The sign-in was cancelled or refused at your identity provider."
WRONG_ISSUER = "The identity provider answered as another issuer than the one configured; ask an administrator."


def configured(settings: HttpSettings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret)


class FlowCookie(FlaskIntegration):
    """authlib's store for a pending sign-in, moved from the session to `kaizen_sso_flow`.

    authlib calls these inside its own methods, before the response exists: what to write is
    left on `g` and the view sets (or deletes) the cookie on its response."""

    expires_in = FLOW_SECONDS

    def set_state_data(self, session: Any, state: str, data: dict[str, Any]) -> None:
        flow = {"state": state, "data": data, "next": g.get("sso_next")}
        g.sso_flow_out = _serializer().dumps(flow)

    def get_state_data(self, session: Any, state: str | None) -> dict[str, Any] | None:
        raw = request.cookies.get(FLOW_COOKIE)
        if not raw or not isinstance(state, str):
            return None
        try:
            flow = _serializer().loads(raw, max_age=FLOW_SECONDS)
        except BadSignature:
            return None
        if not isinstance(flow, dict) or not isinstance(flow.get("state"), str):
            return None
        if not hmac.compare_digest(flow["state"].encode(), state.encode()):
            return None
        data = flow.get("data")
        if not isinstance(data, dict):
            return None
        g.sso_flow_next = flow.get("next")
        return data

    def clear_state_data(self, session: Any, state: str | None) -> None:
        g.sso_flow_clear = True


class ConsoleOAuth(OAuth):
    framework_integration_cls = FlowCookie


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or b"", salt=FLOW_SALT)


_lock = threading.Lock()


def _client() -> Any:
    """This app's authlib client, made on first use (discovery is fetched lazily by authlib)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION)
    if found is not None:
        return found
    settings = services().settings
    with _lock:
        found = app.extensions.get(EXTENSION)
        if found is None:
            issuer = (settings.oidc_issuer or "").rstrip("/")
            registry = ConsoleOAuth()
            registry.app = app  # not init_app: that would make it the app's default authlib registry
            found = registry.register(
                CLIENT,
                client_id=settings.oidc_client_id,
                client_secret=settings.oidc_client_secret,
                server_metadata_url=f"{issuer}/.well-known/openid-configuration",
                client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": TIMEOUT_SECONDS},
            )
            app.extensions[EXTENSION] = found
    return found


def _same_issuer(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def _metadata(client: Any) -> dict[str, Any]:
    """The provider's discovery document, which must name the configured issuer (OIDC Discovery 4.3)."""
    metadata: dict[str, Any] = client.load_server_metadata()
    configured_issuer = services().settings.oidc_issuer or ""
    if not _same_issuer(str(metadata.get("issuer", "")), configured_issuer):
        raise WrongIssuer(str(metadata.get("issuer")))
    return metadata


class WrongIssuer(Exception):
    """Discovery, or the redirect back, named an issuer other than the configured one."""


def _refused(message: str, status: int = 401) -> Response:
    """The sign-in page again, saying why (never a stack trace or the provider's free text)."""
    return Response(page("sign_in.html", next=None, error=message), status=status, mimetype="text/html")


def _with_flow_cookie(response: Response) -> Response:
    """Write or delete `kaizen_sso_flow` as authlib's calls asked (see FlowCookie)."""
    secure = current_app.session_interface.get_cookie_secure(current_app)
    out = g.pop("sso_flow_out", None)
    if out is not None:
        response.set_cookie(
            FLOW_COOKIE,
            out,
            max_age=FLOW_SECONDS,
            path=FLOW_PATH,
            secure=secure,
            httponly=True,
            samesite="Lax",
        )
    elif g.pop("sso_flow_clear", False) or FLOW_COOKIE in request.cookies:
        response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=secure, httponly=True, samesite="Lax")
    return response


@bp.context_processor
def _sign_in_choices() -> dict[str, Any]:
    return {"sso_enabled": configured(services().settings)}


@bp.get("/sign-in/sso", endpoint="sso_start")
@reads("next")
def start() -> ResponseReturnValue:
    """Send the browser to the provider's authorisation endpoint (state, nonce, PKCE by authlib)."""
    if not configured(services().settings):
        return _refused(NOT_CONFIGURED, 404)
    client = _client()
    try:
        _metadata(client)
        g.sso_next = safe_next(request.args.get("next"))
        response = client.authorize_redirect(url_for("console.sso_callback", _external=True))
    except WrongIssuer as wrong:
        log.warning("sso_wrong_issuer", discovered=str(wrong), configured=services().settings.oidc_issuer)
        return _refused(WRONG_ISSUER, 502)
    except (requests.RequestException, ValueError, AuthlibBaseError) as failure:
        log.warning("sso_provider_unreachable", error=type(failure).__name__, detail=str(failure)[:300])
        return _refused(UNREACHABLE, 502)
    return _with_flow_cookie(response)


@bp.get("/sign-in/sso/callback", endpoint="sso_callback")
@reads("code", "state", "iss", "error", "error_description", "error_uri", "session_state")
def callback() -> ResponseReturnValue:
    """The provider's redirect back: exchange the code, check the claims, start the session."""
    if not configured(services().settings):
        return _with_flow_cookie(_refused(NOT_CONFIGURED, 404))
    return _with_flow_cookie(_finish())


def _finish() -> Response:
    client = _client()
    error = request.args.get("error")
    if error is not None:
        g.sso_flow_clear = True
        code = error if ERROR_CODE.match(error) else "unknown"
        log.info("sso_provider_error", error=code)
        message = CANCELLED if code == "access_denied" else f"Your identity provider refused the sign-in ({code})."
        return _refused(message)
    if not request.args.get("state") or not request.args.get("code"):
        g.sso_flow_clear = True
        return _refused(EXPIRED, 400)
    try:
        metadata = _metadata(client)
        returned_issuer = request.args.get("iss")
        if returned_issuer is not None and not _same_issuer(returned_issuer, str(metadata["issuer"])):
            raise WrongIssuer(returned_issuer)
        token = client.authorize_access_token()
        claims = _claims(client, token)
    except WrongIssuer as wrong:
        g.sso_flow_clear = True
        log.warning("sso_wrong_issuer", returned=str(wrong))
        return _refused(WRONG_ISSUER)
    except OAuthError as failure:
        g.sso_flow_clear = True
        if failure.error == "mismatching_state":
            log.info("sso_expired_flow", error=failure.error)
            return _refused(EXPIRED, 400)
        code = failure.error if isinstance(failure.error, str) and ERROR_CODE.match(failure.error) else "unknown"
        log.warning("sso_token_refused", error=code)
        return _refused(f"Your identity provider refused the sign-in ({code}).")
    except requests.RequestException as failure:
        g.sso_flow_clear = True
        log.warning("sso_provider_unreachable", error=type(failure).__name__, detail=str(failure)[:300])
        return _refused(UNREACHABLE, 502)
    except (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError) as failure:
        g.sso_flow_clear = True
        log.warning("sso_unverifiable_answer", error=type(failure).__name__, detail=str(failure)[:300])
        return _refused(UNVERIFIABLE)
    refusal = _check(claims)
    if refusal is not None:
        log.info("sso_refused", reason=refusal)
        return _refused(refusal)
    settings = services().settings
    try:
        person = desk().sign_in_with_sso(
            email=claims["email"], name=claims.get("name"), auto_create=settings.oidc_auto_create
        )
    except SignInRefused as refused:
        log.info("sso_refused", reason="desk")
        return _refused(str(refused), 423 if refused.locked else 403)
    start_person_session(person, method="sso")
    next_page = g.get("sso_flow_next")
    target = (safe_next(next_page) if isinstance(next_page, str) else None) or url_for("console.home")
    return _continue_to(target)


def _claims(client: Any, token: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims (validated by authlib), completed from userinfo when it lacks any."""
    id_claims = token.get("userinfo")
    if not isinstance(id_claims, dict) or not id_claims.get("sub"):
        raise ValueError("the token response carried no valid ID token")
    claims = dict(id_claims)
    if "email" not in claims or "email_verified" not in claims or "name" not in claims:
        metadata = client.load_server_metadata()
        if metadata.get("userinfo_endpoint"):
            extra = dict(client.userinfo(token=token))
            if extra.get("sub") != claims["sub"]:
                raise ValueError("userinfo answered for another subject than the ID token's")
            for name in ("email", "email_verified", "name"):
                if name not in claims and name in extra:
                    claims[name] = extra[name]
    return claims


def _check(claims: dict[str, Any]) -> str | None:
    """Why these claims cannot sign anyone in, or None."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email.strip():
        return NO_EMAIL
    claims["email"] = email.strip()
    verified = claims.get("email_verified")
    if not (verified is True or (isinstance(verified, str) and verified.strip().lower() == "true")):
        return UNVERIFIED
    name = claims.get("name")
    claims["name"] = name.strip() if isinstance(name, str) and name.strip() else None
    return None


def _continue_to(target: str) -> Response:
    """A page that moves on to `target` itself (see the module docstring: a redirect would not
    carry the new Strict session cookie). A meta refresh needs no script, so the CSP holds."""
    body = page("sso_continue.html", target=target)
    return Response(body, status=200, mimetype="text/html")
