"""The administrators' settings: vendors' SLA policies, freeze windows, notification subscriptions.

Pages and the API calls they mirror:

- /console/admin: the landing page of these settings (and of people and groups)
- /console/admin/vendors: the vendors, each with its policy version (GET /vendors/{v}/sla-policy)
- /console/admin/vendors/{vendor}: the policy as a form; **Save policy** (`data-action="sla-policy"`)
  is PUT /vendors/{vendor}/sla-policy with `If-Match` the version the form showed; below it the
  versions (GET .../sla-policy/history) with what each changed, `?version=n` shows a past one;
  the "Office calendar per site" box is the document's `site_calendars`, one `SITE calendar` a line
- /console/admin/freeze-windows: GET /freeze-windows; **Add freeze window** and **Remove** each
  PUT /freeze-windows a whole new document built from the one shown, `If-Match` its version, so
  two administrators editing at once cannot lose each other's window (the second gets the 412);
  the form's optional Sites (comma separated) are the window's `sites`
- /console/admin/subscriptions: GET /subscriptions; **Create subscription** is POST /subscriptions
  (the signing secret is shown on that answer page only), **Revoke** POST /subscriptions/{id}/revoke

The form builds the same JSON document the API takes and hands it to the same desk method, so the
domain's parser is the only validator: its refusal names a path (`targets.P2.response: ...`), and
the page shows that detail beside the input the path points at, keeps what was typed, and answers
the API's status. Administrators change; auditors read the same pages without forms.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from application.context import Context
from domain.calendar import ALWAYS_OPEN, WEEKDAYS
from domain.notification_rules import EVENT_TYPES, LANGUAGES, TARGET_KINDS
from domain.sla_defaults import DEFAULT_POLICIES, default_policy_document
from domain.sla_policy import VENDOR_SLUG
from domain.sla_policy_document import PRIORITIES
from domain.sla_policy_document import TARGET_KINDS as CLOCK_KINDS
from domain.vocabulary import KNOWN_VENDORS, Module
from interfaces.http import metrics
from interfaces.http.compliance import PolicySchema, without_absent
from interfaces.http.improvement_schemas import FreezeDocumentSchema
from interfaces.http.problems import Problem, flatten_errors
from interfaces.http.services import desk
from interfaces.http.subscriptions import CreateSubscriptionSchema
from interfaces.web import times
from interfaces.web.blueprint import bp, now, page, viewer_zone
from interfaces.web.forms import INVALID, FormRefused, refusal
from interfaces.web.i18n import t
from interfaces.web.parameters import reads
from interfaces.web.session import Viewer, require_viewer
from interfaces.web.vendor_terms_form import terms_section

READERS = ("admin", "auditor")
SECTION = "console.admin_settings"
UPCOMING_DAYS = 90
SUBSCRIPTION_FIELDS = ("name", "kind", "target", "language", "signing_secret")
FILTER_NAMES = ("vendor", "priority", "module", "site")
FREEZE_FIELDS = ("name", "from", "to", "sites")
_PATH = re.compile(r"^(?P<path>[A-Za-z0-9_.\[\]-]+): ")
_SPLIT = re.compile(r"[\s,;]+")


# -- who ------------------------------------------------------------------------------------------
def _reader() -> Viewer:
    return require_viewer(*READERS)


def _admin() -> Viewer:
    """Administrators only; an auditor's post is refused as the API refuses it (403)."""
    viewer = _reader()
    if viewer.family != "admin" or not viewer.may_change:
        raise Problem(403, f"role {viewer.role} may read but not change the settings")
    return viewer


def _may_change(viewer: Viewer) -> bool:
    return viewer.family == "admin" and viewer.may_change


def _expected_version() -> int | None:
    """The version the form was rendered with: the console's `If-Match`."""
    value = request.form.get("version", "").strip()
    return int(value) if value.isdigit() else None


def input_instant(text: str) -> str:
    """A `datetime-local` value as an instant with an offset, read in the viewer's time zone.

    The one place these pages turn a typed local time into an instant (`interfaces.web.times`
    does the reading, as for every console form). A value that is not a local time is passed on
    as typed, for the domain to refuse with its own words.
    """
    return times.aware(text.strip(), viewer_zone()[0])


def placed(refused: FormRefused, inputs: dict[str, str]) -> FormRefused:
    """The refusal with the domain's path (`targets.P2.response: ...`) put beside its input.

    `inputs` maps document paths to input names; the longest path the refused one starts with
    wins (`calendars.hk.hours.mon[1]` is the `calendars.hk.hours` textarea). Unplaced messages
    stay under `_schema`, shown above the form.
    """
    errors: dict[str, list[str]] = {}
    for messages in refused.errors.values():
        for message in messages:
            match = _PATH.match(message)
            path = match.group("path") if match else ""
            candidates = [p for p in inputs if path == p or path.startswith((p + ".", p + "["))]
            target = inputs[max(candidates, key=len)] if candidates else "_schema"
            errors.setdefault(target, []).append(message)
    if not errors:
        errors["_schema"] = [refused.detail]
    return FormRefused(refused.detail, errors, refused.status)


# -- landing --------------------------------------------------------------------------------------
@bp.get("/admin", endpoint="admin_settings")
@reads()
def admin_settings() -> str:
    """Where the administrators' settings are: one nav item leads here."""
    _reader()
    return page("admin_vendors.html", section=SECTION, vendors=_vendor_rows(), landing=True)


# -- vendors' SLA policies ------------------------------------------------------------------------
def _vendor_rows() -> list[dict[str, Any]]:
    rows = []
    for vendor in sorted(set(KNOWN_VENDORS) | set(DEFAULT_POLICIES)):
        policy = desk().get_policy(vendor)
        rows.append({"vendor": vendor, "version": policy.version, "published_at": policy.published_at})
    return rows


@bp.get("/admin/vendors", endpoint="admin_vendors")
@reads()
def admin_vendors() -> str:
    _reader()
    return page("admin_vendors.html", section=SECTION, vendors=_vendor_rows(), landing=False)


def hours_text(hours: dict[str, list[list[str]]]) -> str:
    """A calendar's `hours` as the form's lines: `mon 09:00-13:00, 14:00-18:00`."""
    return "\n".join(f"{day} " + ", ".join(f"{r[0]}-{r[1]}" for r in ranges) for day, ranges in hours.items())


def hours_document(text: str) -> dict[str, list[list[str]]]:
    """The form's lines as `hours`; a range without one `-` stays whole for the domain to refuse."""
    hours: dict[str, list[list[str]]] = {}
    for line in text.splitlines():
        day, _, rest = line.strip().partition(" ")
        if not day:
            continue
        ranges = hours.setdefault(day.lower(), [])
        for part in (p for p in _SPLIT.split(rest) if p):
            bounds = part.split("-")
            ranges.append(bounds if len(bounds) == 2 else [part])
    return hours


def policy_typed(document: dict[str, Any]) -> dict[str, str]:
    """A policy document as the form's values, by input name."""
    typed: dict[str, str] = {}
    for name, cal in (document.get("calendars") or {}).items():
        prefix = f"calendars.{name}"
        if cal == ALWAYS_OPEN:
            typed[f"{prefix}.kind"] = ALWAYS_OPEN
            continue
        holidays = cal.get("holidays") or {}
        typed |= {
            f"{prefix}.kind": "hours",
            f"{prefix}.timezone": cal.get("timezone", ""),
            f"{prefix}.hours": hours_text(cal.get("hours") or {}),
            f"{prefix}.holidays.country": holidays.get("country") or "",
            f"{prefix}.holidays.subdivision": holidays.get("subdivision") or "",
            f"{prefix}.closed_days": ", ".join(cal.get("closed_days") or []),
        }
    for priority, targets in (document.get("targets") or {}).items():
        for key in ("calendar", *CLOCK_KINDS):
            typed[f"targets.{priority}.{key}"] = targets.get(key) or ""
    for priority, label in (document.get("labels") or {}).items():
        typed[f"labels.{priority}"] = label
    typed["site_calendars"] = site_calendars_text(document.get("site_calendars") or {})
    return typed


def site_calendars_text(site_calendars: dict[str, str]) -> str:
    """`site_calendars` as the form's lines: `JKT jkt-office`."""
    return "\n".join(f"{site} {name}" for site, name in site_calendars.items())


def site_calendars_document(text: str) -> dict[str, str]:
    """The form's lines as `site_calendars`; a line without a calendar names none (the domain
    refuses it with the site in the path)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        site, _, name = line.strip().partition(" ")
        if site:
            found[site] = name.strip()
    return found


def _calendar_document(form: MultiDict[str, str], prefix: str) -> Any:
    """One calendar from the inputs under `prefix` (`calendars.hk-office` or `new_calendar`)."""
    if form.get(f"{prefix}.kind") == ALWAYS_OPEN:
        return ALWAYS_OPEN
    cal: dict[str, Any] = {"hours": hours_document(form.get(f"{prefix}.hours", ""))}
    if form.get(f"{prefix}.timezone", "").strip():
        cal["timezone"] = form.get(f"{prefix}.timezone", "").strip()
    country = form.get(f"{prefix}.holidays.country", "").strip()
    subdivision = form.get(f"{prefix}.holidays.subdivision", "").strip()
    cal["holidays"] = {"country": country, "subdivision": subdivision or None} if country or subdivision else None
    cal["closed_days"] = [d for d in _SPLIT.split(form.get(f"{prefix}.closed_days", "")) if d]
    return cal


CALENDAR_INPUTS = ("kind", "timezone", "hours", "holidays.country", "holidays.subdivision", "closed_days")


def policy_document(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The PUT body the form describes, and which input each document path came from.

    Calendars are those listed in the hidden `calendar` inputs (less any ticked `remove`), plus
    a new one when `new_calendar.name` is typed. A priority whose targets are all blank is left
    out; a blank `update` is no update target; a blank label is the priority's code.
    """
    inputs: dict[str, str] = {}
    calendars: dict[str, Any] = {}
    for name in form.getlist("calendar"):
        prefix = f"calendars.{name}"
        if form.get(f"{prefix}.remove"):
            continue
        calendars[name] = _calendar_document(form, prefix)
        inputs |= {f"{prefix}.{key}": f"{prefix}.{key}" for key in CALENDAR_INPUTS}
        inputs[prefix] = f"{prefix}.kind"
    new_name = form.get("new_calendar.name", "").strip()
    if new_name:
        calendars[new_name] = _calendar_document(form, "new_calendar")
        inputs |= {f"calendars.{new_name}.{key}": f"new_calendar.{key}" for key in CALENDAR_INPUTS}
        inputs[f"calendars.{new_name}"] = "new_calendar.name"
    inputs["calendars"] = "_schema"
    targets: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for priority in PRIORITIES:
        prefix = f"targets.{priority}"
        durations = {k: form.get(f"{prefix}.{k}", "").strip() for k in CLOCK_KINDS}
        if any(durations.values()):
            targets[priority] = {"calendar": form.get(f"{prefix}.calendar", "").strip()}
            targets[priority] |= {k: v for k, v in durations.items() if v}
        inputs |= {f"{prefix}.{key}": f"{prefix}.{key}" for key in ("calendar", *CLOCK_KINDS)}
        inputs[prefix] = f"{prefix}.response"
        label = form.get(f"labels.{priority}", "").strip()
        if label:
            labels[priority] = label
        inputs[f"labels.{priority}"] = f"labels.{priority}"
    document: dict[str, Any] = {"calendars": calendars, "targets": targets, "labels": labels}
    site_calendars = site_calendars_document(form.get("site_calendars", ""))
    if site_calendars:
        document["site_calendars"] = site_calendars
    inputs["site_calendars"] = "site_calendars"
    return document, inputs


def flatten(document: Any, prefix: str = "") -> dict[str, str]:
    """A document as `path -> value` (lists and leaves as text), to say what a version changed."""
    if isinstance(document, dict):
        flat: dict[str, str] = {}
        for key, value in document.items():
            flat |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return flat
    if isinstance(document, list):
        return {prefix: ", ".join("-".join(v) if isinstance(v, list) else str(v) for v in document)}
    return {prefix: "—" if document is None else str(document)}


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, str]]:
    """What changed from one version to the next: path, old value, new value (— when absent)."""
    old, new = flatten(before), flatten(after)
    return [
        {"path": path, "before": old.get(path, "—"), "after": new.get(path, "—")}
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]


def policy_versions(vendor: str) -> list[dict[str, Any]]:
    """Every published version, newest first, each with what it changed from the one before
    (the first from the shipped default)."""
    published = [h for h in desk().policy_history(vendor) if "policy_version" in h["data"]]
    previous: dict[str, Any] = default_policy_document(vendor)
    versions = []
    for event in published:
        document = event["data"]["document"]
        versions.append(
            {
                "version": event["data"]["policy_version"],
                "at": event["occurred_at"],
                "actor": event["actor"],
                "role": event.get("actor_role"),
                "document": document,
                "changes": changes(previous, document),
            }
        )
        previous = document
    return list(reversed(versions))


def _vendor_page(
    viewer: Viewer,
    vendor: str,
    typed: dict[str, str] | None = None,
    refused: FormRefused | None = None,
    terms: dict[str, Any] | None = None,
) -> str:
    """`terms`: the "Vendor terms" section as `routes_vendor_terms` refused it (else as stored)."""
    policy = desk().get_policy(vendor)
    versions = policy_versions(vendor)
    asked = request.args.get("version", "") if request.method == "GET" else ""
    viewing = next((v for v in versions if str(v["version"]) == asked), None) if asked else None
    document = policy.document
    return page(
        "admin_vendor.html",
        section=SECTION,
        vendor=vendor,
        policy=policy,
        calendar_names=list((document.get("calendars") or {}).keys()),
        typed=typed if typed is not None else policy_typed(document),
        form_version=request.form.get("version") if typed is not None else policy.version,
        refused=refused,
        errors=refused.errors if refused else {},
        versions=versions,
        viewing=viewing,
        asked=asked,
        may_change=_may_change(viewer),
        priorities=PRIORITIES,
        clock_kinds=CLOCK_KINDS,
        weekdays=WEEKDAYS,
        always_open=ALWAYS_OPEN,
        terms=terms if terms is not None else terms_section(vendor),
    )


def _vendor(vendor: str) -> str:
    if not VENDOR_SLUG.match(vendor):
        raise Problem(404, "no such vendor")
    return vendor


@bp.get("/admin/vendors/<vendor>", endpoint="admin_vendor")
@reads("version")
def admin_vendor(vendor: str) -> str:
    viewer = _reader()
    return _vendor_page(viewer, _vendor(vendor))


@bp.post("/admin/vendors/<vendor>", endpoint="save_policy")
def save_policy(vendor: str) -> ResponseReturnValue:
    """PUT /vendors/{vendor}/sla-policy with the form's document, `If-Match` the shown version."""
    viewer = _admin()
    vendor = _vendor(vendor)
    typed = {k: v for k, v in request.form.items() if k not in ("csrf", "calendar", "version")}
    document, inputs = policy_document(request.form)
    try:
        try:
            body: dict[str, Any] = PolicySchema().load(document)
        except ValidationError as exc:
            raise FormRefused(INVALID, flatten_errors(exc.messages), 422) from None
        receipt = desk().put_policy(
            Context(viewer.actor, expected_version=_expected_version()), vendor, without_absent(body)
        )
    except Exception as exc:  # refusal() re-raises what the API would not answer with a 4xx
        shown = placed(refusal(exc), inputs)
        return Response(_vendor_page(viewer, vendor, typed, shown), status=shown.status)
    metrics.command_accepted(receipt.kind, "sla-policy")
    flash(
        t(
            "Version {version} of the {vendor} policy was published.",
            version=desk().get_policy(vendor).version,
            vendor=vendor,
        ),
        "ok",
    )
    return redirect(url_for("console.admin_vendor", vendor=vendor), code=303)


# -- freeze windows -------------------------------------------------------------------------------
def _freeze_page(viewer: Viewer, typed: dict[str, str] | None = None, refused: FormRefused | None = None) -> str:
    view = desk().get_freeze_windows()
    current = now()
    upcoming = desk().freeze_schedule().windows_between(current, current + timedelta(days=UPCOMING_DAYS))
    return page(
        "freeze_windows.html",
        section=SECTION,
        view=view,
        windows=view.document.get("windows") or [],
        month_end=view.document.get("month_end"),
        upcoming=[w.to_dict() for w in upcoming],
        upcoming_days=UPCOMING_DAYS,
        typed=typed or {},
        refused=refused,
        errors=refused.errors if refused else {},
        may_change=_may_change(viewer),
        form_version=request.form.get("version") if typed is not None else view.version,
    )


@bp.get("/admin/freeze-windows", endpoint="freeze_windows")
@reads()
def freeze_windows() -> str:
    return _freeze_page(_reader())


def _put_windows(viewer: Viewer, windows: list[dict[str, Any]]) -> None:
    """PUT /freeze-windows: the shown document with `windows` replaced, `If-Match` its version."""
    document = {**desk().get_freeze_windows().document, "windows": windows}
    try:
        body = FreezeDocumentSchema().load(document)
    except ValidationError as exc:
        raise FormRefused(INVALID, flatten_errors(exc.messages), 422) from None
    receipt = desk().put_freeze_windows(Context(viewer.actor, expected_version=_expected_version()), body)
    metrics.command_accepted(receipt.kind, "put-freeze-windows")


@bp.post("/admin/freeze-windows", endpoint="add_freeze_window")
def add_freeze_window() -> ResponseReturnValue:
    """**Add freeze window**: the current windows plus the typed one."""
    viewer = _admin()
    typed = {k: request.form.get(k, "") for k in FREEZE_FIELDS}
    existing = list(desk().get_freeze_windows().document.get("windows") or [])
    window: dict[str, Any] = {"name": typed["name"].strip()}
    window |= {k: input_instant(typed[k]) for k in ("from", "to") if typed[k].strip()}
    sites = [site for site in _SPLIT.split(typed["sites"]) if site]
    if sites:  # blank: the window freezes every site
        window["sites"] = sites
    where = f"windows[{len(existing)}]"
    try:
        _put_windows(viewer, [*existing, window])
    except Exception as exc:
        shown = placed(refusal(exc), {f"{where}.{k}": k for k in FREEZE_FIELDS})
        return Response(_freeze_page(viewer, typed, shown), status=shown.status)
    flash(t("Freeze window {name} was added.", name=window["name"]), "ok")
    return redirect(url_for("console.freeze_windows"), code=303)


@bp.post("/admin/freeze-windows/remove", endpoint="remove_freeze_window")
def remove_freeze_window() -> ResponseReturnValue:
    """**Remove**: the current windows less the named one."""
    viewer = _admin()
    name = request.form.get("name", "")
    existing = list(desk().get_freeze_windows().document.get("windows") or [])
    kept = [w for w in existing if w.get("name") != name]
    try:
        if len(kept) == len(existing):
            raise Problem(404, f"freeze window {name} was not found")
        _put_windows(viewer, kept)
    except Exception as exc:
        shown = FormRefused(str(exc), {"_schema": [str(exc)]}, 404) if isinstance(exc, Problem) else refusal(exc)
        return Response(_freeze_page(viewer, {}, shown), status=shown.status)
    flash(t("Freeze window {name} was removed.", name=name), "ok")
    return redirect(url_for("console.freeze_windows"), code=303)


# -- notification subscriptions -------------------------------------------------------------------
def _subscriptions_page(viewer: Viewer, **shown: Any) -> str:
    refused: FormRefused | None = shown.pop("refused", None)
    return page(
        "subscriptions.html",
        section=SECTION,
        subscriptions=[s.public_view() for s in desk().list_subscriptions()],
        may_change=_may_change(viewer),
        typed=shown.pop("typed", {"kind": "webhook", "language": "en", "events": []}),
        refused=refused,
        errors=refused.errors if refused else {},
        kinds=TARGET_KINDS,
        event_types=EVENT_TYPES,
        languages=LANGUAGES,
        filter_choices={"vendor": KNOWN_VENDORS, "priority": PRIORITIES, "module": [m.value for m in Module]},
        **shown,
    )


@bp.get("/admin/subscriptions", endpoint="admin_subscriptions")
@reads()
def admin_subscriptions() -> str:
    return _subscriptions_page(_reader())


def subscription_body(form: MultiDict[str, str]) -> dict[str, Any]:
    """POST /subscriptions' body from the form, loaded by the API's schema (422 as the API)."""
    body: dict[str, Any] = {k: form.get(k, "").strip() for k in SUBSCRIPTION_FIELDS if form.get(k, "").strip()}
    body["events"] = [e for e in form.getlist("events") if e.strip()]
    filters: dict[str, list[str]] = {}
    for name in FILTER_NAMES:
        values = [v for raw in form.getlist(f"filters.{name}") for v in _SPLIT.split(raw) if v]
        if values:
            filters[name] = values
    if filters:
        body["filters"] = filters
    try:
        loaded: dict[str, Any] = CreateSubscriptionSchema().load(body)
    except ValidationError as exc:
        raise FormRefused(INVALID, flatten_errors(exc.messages), 422) from None
    return loaded


@bp.post("/admin/subscriptions", endpoint="create_subscription")
def create_subscription() -> ResponseReturnValue:
    """POST /subscriptions; the answer page shows the signing secret, this once."""
    viewer = _admin()
    typed: dict[str, Any] = {k: request.form.get(k, "") for k in SUBSCRIPTION_FIELDS if k != "signing_secret"}
    typed["events"] = request.form.getlist("events")
    typed |= {f"filters.{n}": request.form.getlist(f"filters.{n}") for n in FILTER_NAMES}
    try:
        body = subscription_body(request.form)
        receipt, secret = desk().create_subscription(
            Context(viewer.actor),
            kind=body["kind"],
            target=body["target"],
            events=body["events"],
            filters=body.get("filters") or {},
            language=body["language"],
            name=body.get("name"),
            signing_secret=body.get("signing_secret"),
        )
    except Exception as exc:  # refusal() re-raises what the API would not answer with a 4xx
        shown = refusal(exc)
        return Response(_subscriptions_page(viewer, typed=typed, refused=shown), status=shown.status)
    metrics.command_accepted(receipt.kind, "subscriptions")
    created = {"id": receipt.key, "secret": secret}
    return Response(_subscriptions_page(viewer, created=created), status=201)


@bp.post("/admin/subscriptions/<subscription_id>/revoke", endpoint="revoke_subscription")
def revoke_subscription(subscription_id: str) -> ResponseReturnValue:
    """POST /subscriptions/{id}/revoke: nothing more is delivered to it."""
    viewer = _admin()
    try:
        receipt = desk().revoke_subscription(Context(viewer.actor), subscription_id)
    except Exception as exc:
        shown = refusal(exc)
        return Response(_subscriptions_page(viewer, row_error=(subscription_id, shown.detail)), status=shown.status)
    metrics.command_accepted(receipt.kind, "revoke")
    flash(t("Subscription {id} was revoked.", id=subscription_id), "ok")
    return redirect(url_for("console.admin_subscriptions"), code=303)
