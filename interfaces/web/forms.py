"""Console forms read as the API reads its bodies, and refused as the API refuses them.

`form_data(SchemaCls)` turns the posted form into the API's field dict and loads it with the
API's own marshmallow schema, so a form is valid exactly when the same JSON body would be. Only
the schema's fields are read (the CSRF token and the pressed button are not API fields); a blank
input counts as not sent, so a blank optional field is absent and a blank required one is the
schema's "Missing data for required field."; a list field takes every value of its name.

`refusal(exc)` is the problem the API would answer for a refused command (its status and
detail come from `interfaces.http.problems.problem_for`, the API's one table), as a
`FormRefused` the page shows beside the form. What is not a refusal (a bug, the store being
unavailable) is re-raised for the blueprint's error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError, fields

from interfaces.http.problems import flatten_errors, problem_for
from interfaces.web import times

Errors = dict[str, list[str]]
INVALID = "the request is not valid"  # the API's detail for a body its schema refuses


class FormRefused(Exception):
    """A form the API would have refused: its detail, errors by field name, and status."""

    def __init__(self, detail: str, errors: Mapping[str, list[str]] | None = None, status: int = 422) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: Errors = {k: list(v) for k, v in (errors or {}).items()}
        self.status = status

    def messages(self, field: str) -> list[str]:
        """The messages for one input (templates: `refused.messages("reason")`)."""
        return self.errors.get(field, [])


def raw_form(schema: Schema, zone: tzinfo | None = None) -> dict[str, Any]:
    """The posted values of the schema's fields, by API name; blank ones left out; times
    without an offset read in `zone` (default: the signed-in person's)."""
    body: dict[str, Any] = {}
    where = zone if zone is not None else _viewer_zone()
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if isinstance(field, fields.List):
            values = [v.strip() for v in request.form.getlist(key) if v.strip()]
            if values:
                body[key] = values
            continue
        value = request.form.get(key, "")
        if value.strip():
            body[key] = times.aware(value.strip(), where) if isinstance(field, fields.AwareDateTime) else value.strip()
    return body


def _viewer_zone() -> tzinfo:
    from interfaces.web.blueprint import viewer_zone  # the blueprint imports the route modules

    return viewer_zone()[0]


def form_data(schema_cls: type[Schema], zone: tzinfo | None = None) -> dict[str, Any]:
    """The form loaded by the API's schema; `FormRefused` (422, errors by field) when refused.
    `zone`: what a time without an offset means (default: the signed-in person's zone)."""
    schema = schema_cls()
    try:
        loaded: dict[str, Any] = schema.load(raw_form(schema, zone))
    except ValidationError as exc:
        raise FormRefused(INVALID, flatten_errors(exc.messages), 422) from None
    return loaded


def refusal(exc: BaseException) -> FormRefused:
    """The refusal the API would answer for `exc`; anything else (5xx, a bug) is re-raised."""
    if isinstance(exc, FormRefused):
        return exc
    problem = problem_for(exc)
    if problem is None or problem.status >= 500:
        raise exc
    return FormRefused(problem.detail or problem.title, problem.errors, problem.status)
