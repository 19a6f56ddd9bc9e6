"""The HTTP API (Flask + flask-smorest): `create_app(settings)` builds one application."""

from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings

__all__ = ["HttpSettings", "create_app"]
