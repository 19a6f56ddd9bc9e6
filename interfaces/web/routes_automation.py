"""/console/admin/automation: the SLA automation rules, listed, added and removed from the console.

- GET lists GET /automation/rules (the built-in rule first, marked always on);
- **Add rule** (`data-action="automation-rules"`) is PUT /automation/rules/{rule_id} for a rule
  id not in use (an id in use is refused: removing comes first, so a form never overwrites a
  rule someone else is looking at);
- **Remove** (`data-action="remove-rule"`) is DELETE /automation/rules/{rule_id}.

The form's fields are the document's paths (`action.group`), loaded with the API's schema and
handed to the same desk method, so the domain is the only validator and its refusal (which names
the field) is shown beside that input, with what was typed kept and the API's status.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from application.context import Context
from domain.automation_rule import ACTION_KEYS, BUILT_IN_IDS, TRIGGERS
from domain.sla_clocks import CLOCK_KINDS
from domain.sla_policy_document import PRIORITIES
from interfaces.http import metrics
from interfaces.http.automation import RuleSchema, rule_body
from interfaces.http.problems import flatten_errors
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, page
from interfaces.web.forms import INVALID, FormRefused, refusal
from interfaces.web.i18n import N_, t
from interfaces.web.parameters import reads
from interfaces.web.routes_admin_settings import SECTION, _admin, _may_change, _reader
from interfaces.web.session import Viewer

TEXT_FIELDS = ("rule_id", "name", "trigger", "vendor", "clock", "after", "business_days")
ACTION_FIELDS = ("action.type", "action.subscription", "action.group")
BLANK = {"trigger": "sla_at_risk", "action.type": "notify", "enabled": "on", "priorities": []}
WORDS = {
    "sla_at_risk": N_("An SLA clock is at risk"),
    "vendor_update_overdue": N_("The vendor has sent no update"),
    "resolved": N_("An issue stays resolved"),
    "reporter_replied": N_("The reporter replied"),
    "notify": N_("Notify a subscription"),
    "reassign": N_("Reassign to a group"),
    "raise_priority": N_("Raise the priority one step"),
    "remind_vendor_team": N_("Remind the vendor's team"),
    "close": N_("Close the issue"),
    "resume": N_("Resume the issue"),
}
"""What each trigger and action means, shown beside its code (the API's value) on the page."""


def _automation_page(viewer: Viewer, **shown: Any) -> str:
    refused: FormRefused | None = shown.pop("refused", None)
    return page(
        "automation.html",
        section=SECTION,
        rules=[rule_body(view) for view in desk().list_automation_rules()],
        may_change=_may_change(viewer),
        typed=shown.pop("typed", BLANK),
        refused=refused,
        errors=refused.errors if refused else {},
        words=WORDS,
        triggers=TRIGGERS,
        actions=sorted(ACTION_KEYS),
        clocks=CLOCK_KINDS,
        priorities=PRIORITIES,
        subscriptions=[s for s in desk().list_subscriptions() if s.revoked_at is None],
        groups=desk().list_groups(),
        **shown,
    )


@bp.get("/admin/automation", endpoint="admin_automation")
@reads()
def admin_automation() -> str:
    return _automation_page(_reader())


def rule_document(form: MultiDict[str, str]) -> dict[str, Any]:
    """PUT /automation/rules/{id}'s body from the form, loaded by the API's schema (422 as the API)."""
    body: dict[str, Any] = {}
    for name in TEXT_FIELDS[1:]:
        value = form.get(name, "").strip()
        if value:
            body[name] = int(value) if name == "business_days" and value.isdigit() else value
    body["priorities"] = [p for p in form.getlist("priorities") if p.strip()]
    action = {name.split(".", 1)[1]: form.get(name, "").strip() for name in ACTION_FIELDS if form.get(name, "").strip()}
    body["action"] = action
    body["enabled"] = form.get("enabled") == "on"
    try:
        loaded: dict[str, Any] = RuleSchema().load(body)
    except ValidationError as exc:
        raise FormRefused(INVALID, flatten_errors(exc.messages), 422) from None
    # a choice the form offers for every trigger means "none" for the others
    for name in ("clock", "after", "business_days"):
        if loaded.get("trigger") != _TRIGGER_OF[name]:
            loaded.pop(name, None)
    if action.get("type") not in ("notify", "remind_vendor_team"):
        loaded["action"].pop("subscription", None)
    if action.get("type") != "reassign":
        loaded["action"].pop("group", None)
    return loaded


_TRIGGER_OF = {"clock": "sla_at_risk", "after": "vendor_update_overdue", "business_days": "resolved"}


@bp.post("/admin/automation", endpoint="add_automation_rule")
def add_automation_rule() -> ResponseReturnValue:
    """PUT /automation/rules/{rule_id} for a new rule id."""
    viewer = _admin()
    typed: dict[str, Any] = {k: request.form.get(k, "") for k in (*TEXT_FIELDS, *ACTION_FIELDS, "enabled")}
    typed["priorities"] = request.form.getlist("priorities")
    rule_id = request.form.get("rule_id", "").strip()
    try:
        if rule_id not in BUILT_IN_IDS and any(view.rule_id == rule_id for view in desk().list_automation_rules()):
            message = t("rule {id} exists; remove it first", id=rule_id)
            raise FormRefused(message, {"rule_id": [message]}, 409)
        document = rule_document(request.form)
        receipt = desk().put_automation_rule(Context(viewer.actor), rule_id, document)
    except Exception as exc:  # refusal() re-raises what the API would not answer with a 4xx
        shown = refusal(exc)
        return Response(_automation_page(viewer, typed=typed, refused=shown), status=shown.status)
    metrics.command_accepted(receipt.kind, "automation-rules")
    flash(t("Rule {id} was added.", id=rule_id), "ok")
    return redirect(url_for("console.admin_automation"), code=303)


@bp.post("/admin/automation/<rule_id>/remove", endpoint="remove_automation_rule")
def remove_automation_rule(rule_id: str) -> ResponseReturnValue:
    """DELETE /automation/rules/{rule_id}: the rule acts no more."""
    viewer = _admin()
    try:
        receipt = desk().delete_automation_rule(Context(viewer.actor), rule_id)
    except Exception as exc:
        shown = refusal(exc)
        return Response(_automation_page(viewer, row_error=(rule_id, shown.detail)), status=shown.status)
    metrics.command_accepted(receipt.kind, "remove-rule")
    flash(t("Rule {id} was removed.", id=rule_id), "ok")
    return redirect(url_for("console.admin_automation"), code=303)
