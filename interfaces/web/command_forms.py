"""What every console page with command forms shares: the refused form's state and the run.

A page (an issue, a suggestion) offers one form per API command; each posts the API's fields to
POST /console/<things>/<key>/<command>. `run_command` runs the one application method the API
route runs and answers 303 back to the page; a refusal re-renders the page with the problem's
detail beside that form, what was typed kept, and the API's status (422, 409, ...). A command
the role may not perform at all is the 403 (or 404) error page, never a form that cannot work.

`command_body` reads a form as `forms.form_data` does, for the two shapes a flat HTML form
cannot post as JSON would: a strict integer (`impact=3` arrives as the string "3") and a nested
object (a reward's `amount` and `currency` inputs are the API's `{"amount": {amount, currency}}`).
The API's own schema still decides; nothing here is a second copy of a rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import redirect, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError, fields

from application.context import Context, Receipt
from interfaces.http import metrics
from interfaces.http.problems import Problem, flatten_errors
from interfaces.web.forms import INVALID, FormRefused, raw_form, refusal
from interfaces.web.session import Viewer

INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")


class FormState:
    """Which form was refused (and of which workaround), what was typed, and why."""

    def __init__(
        self, command: str | None = None, typed: dict[str, str] | None = None, refused: FormRefused | None = None
    ) -> None:
        self.command = command
        self.typed = typed or {}
        self.refused = refused

    def value(self, command: str, name: str, default: Any = "") -> Any:
        """What this input shows: the typed value when its form was refused, else `default`."""
        return self.typed.get(name, "") if command == self.command else default

    def errors(self, command: str) -> dict[str, list[str]]:
        return self.refused.errors if self.refused is not None and command == self.command else {}

    def detail(self, command: str) -> str | None:
        return self.refused.detail if self.refused is not None and command == self.command else None


def typed_form(extra: dict[str, str] | None = None) -> dict[str, str]:
    """What was typed, to show again if refused (the CSRF token is not part of it)."""
    return {name: value for name, value in request.form.items() if name != "csrf"} | (extra or {})


def run_command(
    viewer: Viewer,
    command: str,
    load: Callable[[], dict[str, Any]],
    call: Callable[[Context, dict[str, Any]], Receipt],
    *,
    permitted: bool,
    refused_page: Callable[[FormState], str],
    done_url: Callable[[Receipt], str],
    check_visible: Callable[[], object] | None = None,
    typed: dict[str, str] | None = None,
) -> ResponseReturnValue:
    """Load the form (`load`: the API's schema), run `call`, then 303 to `done_url(receipt)`.

    `permitted`: whether the role may perform the command at all (the domain's table; the
    application checks again). When it may not, a 403/404 refusal is the error page; when it
    may, the page is shown again with the refusal beside the form. A 404 first re-checks that
    the viewer may see the thing (`check_visible`), so what is hidden stays a 404 page.
    """
    try:
        receipt = call(Context(viewer.actor), load())
    except Exception as exc:  # refusal() re-raises what is not a refusal
        shown = refusal(exc)
        if shown.status in (403, 404) and not permitted:
            raise Problem(shown.status, shown.detail) from None  # no form of it here: the error page
        if shown.status == 404 and check_visible is not None:
            check_visible()
        return refused_page(FormState(command, typed if typed is not None else typed_form(), shown)), shown.status
    if not receipt.replayed:
        metrics.command_accepted(receipt.kind, command)
    return redirect(done_url(receipt), code=303)


def command_body(schema_cls: type[Schema]) -> dict[str, Any]:
    """The form loaded by the API's schema, as `forms.form_data`, with integers and nested objects.

    A strict `Integer` field gets the typed digits as a number (anything else stays text, so the
    schema's own "Not a valid integer." answers); a `Nested` field is read from its own fields'
    inputs (`amount`, `currency`), and its errors are reported under those inputs' names.
    """
    schema = schema_cls()
    body = raw_form(schema)
    nested: dict[str, str] = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            inner = raw_form(field.schema)
            body.pop(key, None)
            if inner:
                body[key] = inner
            nested[key] = key
        elif isinstance(field, fields.Integer) and isinstance(body.get(key), str) and INTEGER.match(body[key]):
            body[key] = int(body[key])
    try:
        loaded: dict[str, Any] = schema.load(body)
    except ValidationError as exc:
        errors = flatten_errors(exc.messages)
        raise FormRefused(INVALID, {_input_name(k, nested): v for k, v in errors.items()}, 422) from None
    return loaded


def _input_name(error_key: str, nested: dict[str, str]) -> str:
    """`amount.currency` (the API's error key) is the `currency` input of the form."""
    outer, _, inner = error_key.partition(".")
    return inner if inner and outer in nested else error_key
