"""One suggestion's page, with a form for every suggestion command the viewer's role may perform.

Pages and the API calls they mirror:

- /console/suggestions/<key>: GET /suggestions/{key} and GET /suggestions/{key}/history
- POST /console/suggestions/<key>/<command>: POST /suggestions/{key}/<command> for `votes`,
  `comments`, `merge`, `review`, `decision`, `implemented`, `reward`; `withdraw-vote` is
  DELETE /suggestions/{key}/votes (an HTML form cannot send DELETE); **Attach file**
  (`attachments`, a multipart form) is in routes_attachments

Visibility is the API's: every role but vendors reads suggestions (a vendor gets the 404 the API
gives); who voted and who was rewarded with how much only administrators and auditors see
(`presenters.suggestion_view`, `suggestion_history_view`). Who may do what is the domain's
table, `domain.access.SUGGESTION_ACTIONS`: reporters vote and comment, administrators do
everything, auditors nothing. A command the role may not perform at all is the 403 page and
writes nothing, even when its form is posted anyway.

Each form posts the API's field names, is read by the API's own schema and runs the one desk
method the API route runs (interfaces/http/suggestions.py); a refusal is shown beside its form
with what was typed kept and the API's status (`interfaces.web.command_forms`). Reward's
`amount` and `currency` are two inputs for the API's `{"amount": {amount, currency}}`; the
currency is pre-filled with the suggester's: the currency of an earlier reward to them for this
suggestion, else that of their site (`SITE_CURRENCIES`), else left for the administrator to choose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema

from application.context import Context, Receipt
from application.desk import KaizenDesk
from domain.access import ADMIN_ONLY, SUGGESTION_ACTIONS
from domain.keys import KEY_PATTERN
from domain.money import ISO_4217, MINOR_UNITS
from domain.suggestion import Suggestion
from domain.vocabulary import SuggestionStatus, Visibility
from interfaces.http.presenters import json_safe, suggestion_history_view, suggestion_view
from interfaces.http.problems import Problem
from interfaces.http.reading import may_see_suggestion
from interfaces.http.schemas.common import NoBodySchema
from interfaces.http.schemas.suggestions import (
    DecisionSchema,
    ImplementedSchema,
    MergeSchema,
    ReviewSchema,
    RewardSchema,
    SuggestionCommentSchema,
)
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, page
from interfaces.web.command_forms import FormState, command_body, run_command
from interfaces.web.forms import form_data
from interfaces.web.parameters import reads
from interfaces.web.session import Viewer, require_viewer, require_writer

Call = Callable[[KaizenDesk, Context, str, dict[str, Any]], Receipt]
Reader = Callable[[type[Schema]], dict[str, Any]]
COMMANDS: dict[str, tuple[type[Schema], Reader, Call]] = {
    "votes": (NoBodySchema, form_data, lambda d, ctx, key, body: d.vote(ctx, key)),
    "withdraw-vote": (NoBodySchema, form_data, lambda d, ctx, key, body: d.withdraw_vote(ctx, key)),
    "comments": (
        SuggestionCommentSchema,
        form_data,
        lambda d, ctx, key, body: d.comment_on_suggestion(ctx, key, **body),
    ),
    "merge": (MergeSchema, form_data, lambda d, ctx, key, body: d.merge(ctx, key, **body)),
    "review": (ReviewSchema, command_body, lambda d, ctx, key, body: d.review(ctx, key, **body)),
    "decision": (DecisionSchema, form_data, lambda d, ctx, key, body: d.decide(ctx, key, **body)),
    "implemented": (ImplementedSchema, form_data, lambda d, ctx, key, body: d.mark_implemented(ctx, key, **body)),
    "reward": (RewardSchema, command_body, lambda d, ctx, key, body: d.reward(ctx, key, **body)),
}
"""Command → (the API's schema, how the form is read, the desk method the API route calls).
Review's scores are strict integers and reward's amount a nested object, which `form_data`
(flat text) cannot post; `command_body` reads those two, the API's schema still decides."""
ACTION = {"withdraw-vote": "votes"}
"""The domain's name for a command where it differs (withdrawing is the `votes` right)."""
VOTABLE = frozenset({SuggestionStatus.SUBMITTED, SuggestionStatus.REVIEWED, SuggestionStatus.PLANNED})
NEXT_STEP = {"submitted": "review", "reviewed": "decision", "planned": "implemented", "implemented": "reward"}
"""The administrator's form shown open for each status: the step the suggestion is waiting for."""
SITE_CURRENCIES = {
    **{"HK": "HKD", "SG": "SGD", "JKT": "IDR", "ID": "IDR", "HCM": "VND", "VN": "VND", "CMB": "LKR", "LK": "LKR"},
    **{"CN": "CNY", "MY": "MYR", "TH": "THB", "PH": "PHP", "IN": "INR", "KR": "KRW", "TW": "TWD", "JP": "JPY"},
    **{"US": "USD", "GB": "GBP", "UK": "GBP", "AU": "AUD", "CH": "CHF", "CA": "CAD", "NZ": "NZD"},
}
"""A site's code (the company's sites, or a country code) → its currency: the reward form's
default only; any ISO 4217 code the domain accepts (`domain.money`) can still be chosen."""


def check_key(key: str) -> None:
    if not KEY_PATTERN.match(key) or not key.startswith("SG-"):
        raise Problem(404, "no such suggestion")


def may(viewer: Viewer, command: str) -> bool:
    """Whether this role may perform `command` at all: the domain's table (the desk checks again)."""
    action = ACTION.get(command, command)
    return viewer.may_change and viewer.family in SUGGESTION_ACTIONS.get(action, ADMIN_ONLY)


def offered(viewer: Viewer) -> tuple[str, ...]:
    """The commands whose forms the page shows (**Attach file** is routes_attachments')."""
    return tuple(c for c in (*COMMANDS, "attachments") if may(viewer, c))


@bp.get("/suggestions/<key>")
@reads()
def suggestion(key: str) -> str:
    """The suggestion now: votes, the conversation, review, decision, rewards and history."""
    viewer = require_viewer()
    check_key(key)
    return _suggestion_page(viewer, key)


def _suggestion_page(viewer: Viewer, key: str, form: FormState | None = None) -> str:
    may_see_suggestion(key, viewer.actor)  # a vendor: 404, as the API answers
    current = desk().get_suggestion(key)
    view = json_safe(suggestion_view(current, viewer.actor))
    events = suggestion_history_view(desk().history(key), viewer.actor)
    commands = offered(viewer)
    currency, currency_source = suggester_currency(current)
    return page(
        "suggestion.html",
        suggestion=view,
        events=[json_safe(e) for e in events],
        conversation=conversation(view),
        commands=commands,
        votable=current.status in VOTABLE,
        next_step=NEXT_STEP.get(str(current.status)),
        form=form or FormState(),
        choices={
            "visibilities": [v.value for v in Visibility],
            "scores": [str(n) for n in range(1, 6)],
            "outcomes": ["planned", "declined"],
            "currencies": sorted(ISO_4217),
        },
        currency=currency,
        currency_source=currency_source,
        decimals=MINOR_UNITS.get(currency or "", 2),
        submitter_name=_name(current.submitter),
    )


def suggester_currency(suggestion: Suggestion) -> tuple[str | None, str | None]:
    """The reward form's currency and why: an earlier reward to the suggester, else their site."""
    for earlier in reversed(suggestion.rewards):
        if earlier.get("recipient") == suggestion.submitter and earlier.get("currency") in ISO_4217:
            return str(earlier["currency"]), "reward"
    person = desk().person_now(suggestion.submitter)
    site = (person.site or "").upper() if person is not None else ""
    code = SITE_CURRENCIES.get(site) or SITE_CURRENCIES.get(site.replace("_", "-").split("-")[0])
    if code in ISO_4217:
        return code, site
    return None, None


def _name(person_id: str) -> str:
    person = desk().person_now(person_id)
    return person.name if person is not None else person_id


def conversation(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The comments, oldest first, each with its author's name (`view`: the API's shape, so an
    internal comment is already left out for those who may not read it)."""
    names: dict[str, str] = {}
    said = []
    for c in view.get("comments") or ():
        author = c["author"]
        if author not in names:
            names[author] = _name(author)
        said.append({**c, "name": names[author], "text": c["body"]})
    return sorted(said, key=lambda item: str(item.get("at") or ""))


@bp.post("/suggestions/<key>/<command>")
def suggestion_command(key: str, command: str) -> ResponseReturnValue:
    """One suggestion command, as POST (or DELETE) /api/v1/suggestions/<key>/<command> runs it."""
    if command not in COMMANDS:
        raise Problem(404, f"the suggestion page has no command {command[:40]}")
    viewer = require_writer()
    check_key(key)
    if not may(viewer, command):  # the domain's own refusal; nothing is read or written
        raise Problem(403, f"role {viewer.role} may not {ACTION.get(command, command)} suggestions")
    schema, read, call = COMMANDS[command]
    return run_suggestion_command(
        viewer, key, command, lambda: read(schema), lambda ctx, body: call(desk(), ctx, key, body)
    )


def run_suggestion_command(
    viewer: Viewer,
    key: str,
    command: str,
    read: Callable[[], dict[str, Any]],
    call: Callable[[Context, dict[str, Any]], Receipt],
) -> ResponseReturnValue:
    """Run one command the viewer may perform: back to the page, or the refusal beside its form."""
    return run_command(
        viewer,
        command,
        read,
        call,
        permitted=True,
        refused_page=lambda state: _suggestion_page(viewer, key, state),
        done_url=lambda _receipt: url_for("console.suggestion", key=key),
        check_visible=lambda: may_see_suggestion(key, viewer.actor),
    )
