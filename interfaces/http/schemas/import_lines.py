"""An import line is held to the same schemas as the HTTP command it replays.

`command` is the last path segment of the matching HTTP command, and `data` is that command's
body, so each command maps to the schema its route loads. The envelope (`at`, `actor`, `role`,
`via`, `ref`) gets the rules a caller's identity gets over HTTP. Both the HTTP import and
`kaizen import` pass `IMPORT_RULES` to `application.importer`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from domain import values
from interfaces.http.schemas.common import NoBodySchema, StrictSchema, aware_datetime, single_line
from interfaces.http.schemas.issues import (
    AssignSchema,
    ChangeSchema,
    CloseSchema,
    CommentSchema,
    EscalateSchema,
    ReopenSchema,
    ReportSchema,
    ResolveSchema,
    RespondSchema,
    ResumeSchema,
    RetireSchema,
    TriageSchema,
    VendorUpdateSchema,
    WaitSchema,
    WorkaroundSchema,
)
from interfaces.http.schemas.suggestions import (
    DecisionSchema,
    ImplementedSchema,
    MergeSchema,
    ReviewSchema,
    RewardSchema,
    SubmitSchema,
    SuggestionCommentSchema,
)

ROLE = r"^(reporter|admin|auditor|app|vendor:[A-Za-z0-9][A-Za-z0-9_-]{0,63})$"
WORKAROUND_ID = r"^w[1-9][0-9]{0,5}$"


def identifier(*, required: bool = False) -> fields.String:
    """A person id, app name or ref: one line, bounded like every identifier the domain stores."""
    return fields.String(
        required=required,
        allow_none=not required,
        validate=[validate.Length(min=1, max=values.IDENTIFIER_LIMIT), single_line],
    )


class LineSchema(StrictSchema):
    at = aware_datetime(required=True)
    actor = identifier(required=True)
    role = fields.String(required=True, validate=validate.Regexp(ROLE, error="is not a role (reporter, admin, …)"))
    via = identifier()
    command = fields.String(required=True, validate=validate.Length(min=1, max=40))
    ref = identifier(required=True)
    data = fields.Dict(keys=fields.String(), load_default=dict, allow_none=True)


class RetireLineSchema(RetireSchema):
    """Over HTTP the workaround id is in the path; in a line it is in the data."""

    workaround_id = fields.String(required=True, validate=validate.Regexp(WORKAROUND_ID, error="like w1"))


class VoteLineSchema(NoBodySchema):
    """A vote, or (`withdraw: true`) the DELETE that withdraws it."""

    withdraw = fields.Boolean(load_default=False)


ISSUE_BODIES: dict[str, type[Schema]] = {
    "report": ReportSchema,
    "triage": TriageSchema,
    "assign": AssignSchema,
    "respond": RespondSchema,
    "comments": CommentSchema,
    "escalate": EscalateSchema,
    "vendor-updates": VendorUpdateSchema,
    "wait": WaitSchema,
    "resume": ResumeSchema,
    "workarounds": WorkaroundSchema,
    "retire": RetireLineSchema,
    "changes": ChangeSchema,
    "resolve": ResolveSchema,
    "reopen": ReopenSchema,
    "close": CloseSchema,
}
SUGGESTION_BODIES: dict[str, type[Schema]] = {
    "suggest": SubmitSchema,
    "votes": VoteLineSchema,
    "merge": MergeSchema,
    "review": ReviewSchema,
    "decision": DecisionSchema,
    "implemented": ImplementedSchema,
    "reward": RewardSchema,
    "comments": SuggestionCommentSchema,
}
BODIES = {"issue": ISSUE_BODIES, "suggestion": SUGGESTION_BODIES}


def _message(error: ValidationError, prefix: str = "") -> str:
    """`field: message; other: message`, in the order the schema found them."""
    messages: Any = error.normalized_messages()  # type: ignore[no-untyped-call]
    parts = []
    for field, problems in _flattened(messages, prefix):
        parts.append(f"'{field}' {problems}" if field else problems)
    return "; ".join(parts)


def _flattened(messages: Any, prefix: str) -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, inner in messages.items():
            name = f"{prefix}{key}" if key != "_schema" else prefix.rstrip(".")
            out.extend(_flattened(inner, f"{name}."))
        return out
    if isinstance(messages, list):
        return [(prefix.rstrip("."), " ".join(str(m) for m in messages))]
    return [(prefix.rstrip("."), str(messages))]


class ImportRules:
    """`application.importer.LineRules` made of the HTTP schemas."""

    def envelope(self, raw: dict[str, Any]) -> dict[str, Any]:
        try:
            loaded: dict[str, Any] = LineSchema().load(raw)
        except ValidationError as exc:
            raise ValueError(_message(exc)) from None
        return loaded

    def body(self, kind: str, command: str, data: dict[str, Any]) -> dict[str, Any]:
        schema = BODIES[kind].get(command)
        if schema is None:
            raise ValueError(f"command {command!r} does not apply to a {kind}")
        try:
            loaded: dict[str, Any] = schema().load(data)
        except ValidationError as exc:
            raise ValueError(_message(exc, "data.")) from None
        return loaded


IMPORT_RULES = ImportRules()
