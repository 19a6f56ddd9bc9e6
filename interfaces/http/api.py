"""flask-smorest wired for this API: problem+json errors, key converters, the bearer scheme.

Everything OpenAPI-specific sits here so the route modules read as plain routes, and the
generated document says exactly what the error handlers do.
"""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from interfaces.http.problems import PROBLEM_JSON, Problem, flatten_errors, validation_problem
from interfaces.http.schemas.common import ProblemSchema

ISSUE_KEY = r"KZ-[1-9][0-9]{0,9}"
SUGGESTION_KEY = r"SG-[1-9][0-9]{0,9}"
WORKAROUND_ID = r"w[1-9][0-9]{0,5}"
BEARER = "bearerAuth"
F = Callable[..., Any]


class IssueKeyConverter(BaseConverter):
    """`KZ-<n>`; anything else never reaches a route, so a malformed key is a plain 404."""

    regex = ISSUE_KEY


class SuggestionKeyConverter(BaseConverter):
    regex = SUGGESTION_KEY


class WorkaroundIdConverter(BaseConverter):
    regex = WORKAROUND_ID


CONVERTERS: dict[str, tuple[type[BaseConverter], str]] = {
    "issue_key": (IssueKeyConverter, ISSUE_KEY),
    "suggestion_key": (SuggestionKeyConverter, SUGGESTION_KEY),
    "workaround_id": (WorkaroundIdConverter, WORKAROUND_ID),
}


HEADER_PARAMETERS: dict[str, dict[str, Any]] = {
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "retrying with the same key and body returns the first answer again",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    },
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": 'apply only if the aggregate is still at this version ("3" or 3); else 412',
        "schema": {"type": "string", "pattern": '^"?[0-9]{1,18}"?$'},
    },
    "OnBehalfOf": {
        "name": "X-On-Behalf-Of",
        "in": "header",
        "required": False,
        "description": "app tokens: the employee the command is for (required on an app's commands)",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    "MinPosition": {
        "name": "X-Min-Position",
        "in": "header",
        "required": False,
        "description": "wait briefly until the views have applied this log position (read your writes)",
        "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
    },
}


class HeaderParametersPlugin(BasePlugin):
    """Adds the request headers of the safe-write rules to every operation they apply to, and
    the 429 of the rate limit (`KAIZEN_RATE_LIMIT`) to every operation under /api/v1/.

    One rule here instead of a decorator on each of thirty routes, so none can be forgotten.
    """

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if not path or not operations or not path.startswith("/api/v1/"):
            return
        for method, operation in operations.items():
            refs = ["OnBehalfOf"]
            if method in ("post", "put", "delete"):
                refs.append("IdempotencyKey")
                if "{key}" in path:
                    refs.append("IfMatch")
            if method == "get" and path in ("/api/v1/issues", "/api/v1/suggestions"):
                refs.append("MinPosition")
            operation.setdefault("parameters", []).extend(refs)
            operation.setdefault("responses", {}).setdefault("429", RATE_LIMITED)


RATE_LIMITED = "RATE_LIMITED"


class KaizenApi(Api):
    """flask-smorest's Api whose error answers and documented errors are RFC 9457 problems."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error, as RFC 9457 problem details", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)
        limited: dict[str, Any] = {
            "description": "Too many requests from this caller (KAIZEN_RATE_LIMIT); retry after the given seconds",
            "schema": self.ERROR_SCHEMA,
            "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
        }
        prepare_response(limited, self.spec, PROBLEM_JSON)
        self.spec.components.response(RATE_LIMITED, limited, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Any:
        """Routing, webargs and werkzeug errors in the same problem shape as everything else."""
        return problem_from_http(error).response()


def problem_from_http(error: HTTPException) -> Problem:
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if code == 400 and messages is not None:
        return Problem(400, "the body is not valid JSON")
    if code == 422 and messages is not None:
        errors: dict[str, list[str]] = {}
        for location, inner in messages.items() if isinstance(messages, dict) else [("json", messages)]:
            flat = flatten_errors(inner) if isinstance(inner, dict) else {"_schema": list(inner)}
            if location not in ("json", "query", "querystring", "view_args", "path", "headers"):
                flat = {f"{location}.{k}": v for k, v in flat.items()}
            for name, texts in flat.items():
                errors.setdefault(name, []).extend(texts)
        return validation_problem(errors)
    if code >= 500:
        return Problem(code, "the server could not answer; quote the request id when reporting this")
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return Problem(code, error.description, headers=headers)


def create_api(app: Flask) -> KaizenApi:
    """The Api with the key converters (documented as patterns) and the bearer scheme."""
    for name, (converter, _) in CONVERTERS.items():
        app.url_map.converters[name] = converter
    api = KaizenApi(app, spec_kwargs={"extra_plugins": [HeaderParametersPlugin()]})
    for name, parameter in HEADER_PARAMETERS.items():
        api.spec.components.parameter(name, parameter["in"], parameter)
    for converter, pattern in CONVERTERS.values():
        api.register_converter(converter, lambda _c, p=pattern: {"type": "string", "pattern": f"^{p}$"})
    api.spec.components.security_scheme(
        BEARER,
        {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "kz_<token_id>_<secret>",
            "description": "created with `kaizen token create --role ROLE --subject NAME`",
        },
    )
    return api


def errors(blp: Blueprint, *codes: int) -> Callable[[F], F]:
    """Document the problems a route can answer (401 and 503 apply to every authenticated route)."""

    def decorate(func: F) -> F:
        for code in sorted(set(codes)):
            func = blp.alt_response(code, response=http.HTTPStatus(code).name)(func)
        return func

    return decorate


def header(description: str, *, required: bool = False, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema or {"type": "string"}}


ETAG = header('the aggregate version, quoted: "<version>"', required=True)
AGGREGATE_HEADERS = {"ETag": ETAG}
COMMAND_HEADERS = {
    "ETag": ETAG,
    "X-Event-Position": header("position of the command's last event in the global log", schema={"type": "integer"}),
    "Idempotent-Replayed": header("true when this is the stored answer to a retried Idempotency-Key"),
}
CREATED_HEADERS = {**COMMAND_HEADERS, "Location": header("URL of the new resource", required=True)}
