"""Swagger UI's files served from the installed `swagger-ui-bundle` package: no CDN, no outside request."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, send_from_directory

ASSETS_URL = "/api/docs/assets/"


def swagger_ui_directory() -> str | None:
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    path: str = swagger_ui_bundle.swagger_ui_path
    return path


def assets_blueprint(directory: str) -> Blueprint:
    blp = Blueprint("swagger_assets", __name__)

    @blp.get(f"{ASSETS_URL}<path:filename>")
    def asset(filename: str) -> Any:
        return send_from_directory(directory, filename, max_age=3600)

    return blp
