"""The Flask application factory: one desk, one read side, the blueprints, the error rules.

Each call builds an independent app (its own store connections), which is what lets tests run
many apps side by side and gunicorn build one per worker after forking.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Blueprint

from adapters.dns import resolve_host
from adapters.store_probe import store_reachable
from application.config import StoreSettings, store_settings
from application.desk import KaizenDesk
from interfaces.http import (
    attachments,
    audit,
    automation,
    compliance,
    improvement,
    improvement_reports,
    intake,
    issues,
    middleware,
    ops,
    people,
    scorecard,
    subscriptions,
    suggestions,
    uploads,
    vendor_terms,
    workaround_register,
)
from interfaces.http.api import BEARER, create_api
from interfaces.http.docs import ASSETS_URL, assets_blueprint, swagger_ui_directory
from interfaces.http.logs import configure_logging, get_logger
from interfaces.http.problems import problem_for
from interfaces.http.services import KaizenServices
from interfaces.http.settings import HttpSettings
from interfaces.web import install_console

API_TITLE = "Kaizen Desk"
API_VERSION = "v1"
log = get_logger("kaizen.http.store")


def _unreachable(exc: BaseException) -> bool:
    """The store is away or refuses us (what a request would answer 503 for), not a bug."""
    problem = problem_for(exc)
    return problem is not None and problem.status == 503


def build_desk(store: StoreSettings, settings: HttpSettings) -> tuple[KaizenDesk, bool]:
    """The desk, with the system resolver wired (webhook targets are checked on every address
    their host resolves to), and whether its tables could be set up now."""
    desk, online = _desk(store, settings)
    desk.resolver = resolve_host
    return desk, online


def _desk(store: StoreSettings, settings: HttpSettings) -> tuple[KaizenDesk, bool]:
    """When the store refuses a connection (PostgreSQL out of connections, not up yet), the
    desk is built without touching it, so the worker starts anyway and sets the store up later
    (interfaces/http/store_setup.py)."""
    if store_reachable(store):
        try:
            return KaizenDesk(store, clock=settings.clock), True
        except Exception as exc:
            if not _unreachable(exc):
                raise
            log.warning("store_refused_at_start", error=type(exc).__name__)
    else:
        log.warning("store_refused_at_start", url=store.redacted_url)
    return KaizenDesk(store, clock=settings.clock, create_tables=False), False


def _configure(app: Flask, settings: HttpSettings, swagger_ui: str | None) -> None:
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
        API_SPEC_OPTIONS={
            "security": [{BEARER: []}],
            "info": {
                "description": "The HTTP contract of Kaizen Desk (see docs/reference.md). Errors are RFC 9457 "
                "application/problem+json."
            },
        },
        MAX_CONTENT_LENGTH=settings.max_body,
    )
    if swagger_ui is not None:
        app.config.update(OPENAPI_SWAGGER_UI_PATH="docs", OPENAPI_SWAGGER_UI_URL=ASSETS_URL)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # text round-trips as written
    app.json.sort_keys = False  # type: ignore[attr-defined]


def resource_blueprints() -> list[Blueprint]:
    """The blueprints beside issues and suggestions, one module per resource group, in the
    order they are registered (the OpenAPI document lists them so); add new ones here."""
    return [
        compliance.blp,
        audit.blp,
        improvement.blp,
        improvement_reports.blp,
        workaround_register.blp,
        subscriptions.blp,
        people.blp,
        attachments.blp,
        vendor_terms.blp,
        scorecard.blp,
        automation.blp,
        intake.blp,
    ]


def create_app(settings: HttpSettings | None = None) -> Flask:
    """Build the app; with `settings.run_projections` the read side's runner starts here too."""
    settings = settings or HttpSettings()
    configure_logging()
    app = Flask("kaizen")
    swagger_ui = swagger_ui_directory()
    _configure(app, settings, swagger_ui)
    desk, online = build_desk(store_settings(settings.database_url), settings)
    services = KaizenServices(desk=desk, settings=settings)
    app.extensions["kaizen"] = services
    try:
        api = create_api(app)
        for blueprint in (issues.blp, suggestions.blp, *resource_blueprints(), ops.blp):
            api.register_blueprint(blueprint)
        if swagger_ui is not None:
            app.register_blueprint(assets_blueprint(swagger_ui))
        middleware.install(app)
        uploads.install(app)  # after the body guard, before the console's CSRF check
        install_console(app, desk)  # the web console under /console (interfaces/web)
        if online and settings.run_projections:
            try:
                services.start_projections()
            except Exception as exc:
                if not _unreachable(exc):
                    raise
                online = False
        if not online:
            services.set_up_later(settings.run_projections)
    except BaseException:
        services.close()
        raise
    return app
