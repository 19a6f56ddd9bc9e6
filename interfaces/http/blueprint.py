"""flask-smorest's Blueprint, with argument schemas built once instead of once per request.

Given a schema class, webargs builds a new instance for every request it parses, and building a
marshmallow schema (binding and copying its declared fields) is a measurable part of a command.
A built schema keeps no per-call state in `load`, so one instance per class serves every
request and thread. The OpenAPI document is unchanged: it is made from the same classes.
Re-measured against webargs' own parser and kept: docs/performance.md, "Performance devices:
kept or dropped".
"""

from __future__ import annotations

import threading
from typing import Any

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser


class SchemaReusingParser(FlaskParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built: dict[type[ma.Schema], ma.Schema] = {}
        self._lock = threading.Lock()

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            found = self._built.get(argmap)
            if found is None:
                with self._lock:
                    found = self._built.setdefault(argmap, argmap())
            return found
        return super()._get_schema(argmap, req)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SchemaReusingParser()
