"""Compliance overview (with CSV of what it shows) and the vendor page.

Pages and the API calls they mirror:

- /console/compliance: GET /reports/sla-compliance (group_by=vendor once per month, and
  group_by=priority, module, site for the period; `quarter` and `kind` as the API takes them),
  GET /issues?breached=true, GET /reports/sla-at-risk
- /console/compliance.csv?table=...: the same calls, as `Accept: text/csv` would answer them
- /console/what-if: POST /reports/what-if for one vendor's pasted or edited document, the
  figures per vendor beside today's; the API's own checks, so its 422 detail shows beside the form
- /console/vendors/<vendor>: GET /reports/vendor-response-times, GET /vendors/{vendor}/sla-policy
  and its /history

Who may open them is the reports' rule: administrators, auditors, and vendors (their own rows).
"""

from __future__ import annotations

import json
from typing import Any

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from domain.compliance_scope import clock_kinds
from domain.errors import InvalidCommand
from domain.health import Quarter
from domain.sla_policy import VENDOR_SLUG
from domain.vocabulary import KNOWN_VENDORS
from interfaces.http.compliance import proposed_policies
from interfaces.http.csv_export import csv_response
from interfaces.http.presenters import json_safe
from interfaces.http.problems import Problem
from interfaces.http.reading import read_side
from interfaces.http.services import desk
from interfaces.web import compliance_figures as figures
from interfaces.web.blueprint import bp, now, page
from interfaces.web.charts import response_ranges
from interfaces.web.forms import FormRefused, refusal
from interfaces.web.parameters import reads
from interfaces.web.session import require_viewer

REPORT_READERS = ("admin", "auditor", "vendor")
TABLES = ("compliance", "priority", "module", "site", "breaches", "at_risk")
BREACH_COLUMNS = ["key", "title", "status", "priority", "vendor", "module", "site", "reported_at", "updated_at"]
RISK_COLUMNS = ["issue_key", "title", "kind", "vendor", "priority", "module", "site", "due_at", "minutes_left"]


@bp.get("/compliance")
@reads(*figures.FILTERS)
def compliance() -> str:
    """SLA compliance per vendor by month, breakdowns, breaches and at-risk clocks."""
    viewer = require_viewer(*REPORT_READERS)
    read = read_side()
    current = now()
    f = figures.read_filters(request.args, current, viewer)
    monthly = figures.monthly_compliance(read, viewer, f, current)
    overall, per_vendor = figures.charts(monthly, f)
    groups = {g: figures.breakdown(read, viewer, f, current, g) for g in ("priority", "module", "site")}
    return page(
        "compliance.html",
        f=f,
        monthly=monthly,
        overall=overall,
        per_vendor=per_vendor,
        groups=groups,
        breaches=figures.breaches(read, viewer, f, current),
        at_risk=figures.at_risk(read, viewer, f, current),
        vendors=figures.vendor_options(viewer, monthly),
        sites=sorted({str(r["site"]) for r in groups["site"] if r["site"]} | ({f.site} if f.site else set())),
        priorities=figures.PRIORITIES,
        modules=figures.MODULES,
        quarters=figures.quarter_options(current),
        kinds=figures.KINDS,
        windows=list(figures.WITHIN),
        csv_query=f.query(),
    )


@bp.get("/compliance.csv")
@reads("table", *figures.FILTERS)
def compliance_csv() -> ResponseReturnValue:
    """One table of the compliance page as CSV, under the same filters (the download is what is shown)."""
    viewer = require_viewer(*REPORT_READERS)
    table = request.args.get("table", "compliance")
    if table not in TABLES:
        raise Problem(404, f"there is no table {table!r}; choose one of {', '.join(TABLES)}")
    read = read_side()
    current = now()
    f = figures.read_filters(request.args, current, viewer)
    if f.errors:  # a download has no form to show the message beside: say it on a page instead
        raise Problem(422, " ".join(f.errors))
    columns: list[str] | None = None
    incident_columns = ["incidents", "affected_count"] if f.count == "incidents" else []
    if table == "compliance":
        rows = figures.monthly_compliance(read, viewer, f, current)
        columns = ["month", "vendor", "clocks", "met", "breached", "running", "percent_met", *incident_columns]
    elif table == "breaches":
        rows, columns = figures.breaches(read, viewer, f, current), BREACH_COLUMNS
    elif table == "at_risk":
        rows, columns = figures.at_risk(read, viewer, f, current), RISK_COLUMNS
    else:
        rows = figures.breakdown(read, viewer, f, current, table)
        columns = [table, "clocks", "met", "breached", "running", "percent_met", *incident_columns]
    return csv_response(rows, f"sla-{table}-{f.first:%Y-%m}-to-{f.last:%Y-%m}.csv", columns, bom=True)


@bp.get("/vendor")
@reads()
def own_vendor() -> ResponseReturnValue:
    """A vendor's front page is its own vendor page; others go to the overview."""
    viewer = require_viewer(*REPORT_READERS)
    if viewer.vendor:
        return redirect(url_for("console.vendor", vendor=viewer.vendor))
    return redirect(url_for("console.compliance"))


@bp.get("/vendors/<vendor>")
@reads(*figures.FILTERS)
def vendor(vendor: str) -> str:
    """Response times per priority (month-end close apart), the policy in force and its history."""
    viewer = require_viewer(*REPORT_READERS)
    if not VENDOR_SLUG.match(vendor) or (viewer.vendor is not None and viewer.vendor != vendor):
        raise Problem(404, "no such vendor page")  # another vendor's page does not exist for a vendor
    read = read_side()
    current = now()
    f = figures.read_filters(request.args, current, viewer)
    rows = [
        r for r in read.reports.vendor_response_times(viewer.actor, f.start, f.end, f.priority) if r["vendor"] == vendor
    ]
    rows.sort(key=lambda r: (r["priority"], r["month"], r["period"]))
    policy = desk().get_policy(vendor)
    history = [h for h in json_safe(desk().policy_history(vendor)) if "policy_version" in h["data"]]
    return page(
        "vendor.html",
        vendor=vendor,
        f=f,
        rows=rows,
        chart=response_ranges(rows),
        summary=figures.response_summary(rows),
        policy=policy,
        targets=figures.policy_targets(policy.document),
        calendars=policy.document.get("calendars") or {},
        history=list(reversed(history)),
        priorities=figures.PRIORITIES,
    )


WHAT_IF_READERS = ("admin", "auditor")


def _what_if_form(vendor: str, typed: dict[str, str] | None = None) -> dict[str, str]:
    """The form's values: what was typed, else the vendor's policy in force, as JSON to edit."""
    if typed is not None:
        return typed
    policy = desk().get_policy(vendor).document
    document = {k: policy[k] for k in ("calendars", "targets", "labels") if k in policy}
    return {"vendor": vendor, "policy": json.dumps(document, indent=2, ensure_ascii=False), "quarter": "", "kind": ""}


def _what_if_figures(viewer: Any, form: dict[str, str]) -> dict[str, Any]:
    """POST /reports/what-if with one vendor's document: the same checks and the same call."""
    try:
        document = json.loads(form["policy"])
    except ValueError:
        raise FormRefused("the policy is not valid JSON", {"policy": ["the policy is not valid JSON"]}) from None
    proposed = proposed_policies({form["vendor"]: document})
    start = end = None
    if form["quarter"]:
        quarter = Quarter.parse(form["quarter"])
        start, end = quarter.start, quarter.end
    kind = form["kind"] or None
    if kind is not None and kind not in figures.KINDS:
        raise FormRefused(f"unknown kind {kind[:40]!r}", {"kind": ["use response, update or resolution"]})
    result: dict[str, Any] = read_side().reports.what_if(
        "vendor", viewer.actor, now(), proposed, start, end, None, clock_kinds(kind)
    )
    return result


def side_by_side(current: list[dict[str, Any]], proposed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per vendor: today's figures and the proposed ones."""
    today = {r["vendor"]: r for r in current}
    under = {r["vendor"]: r for r in proposed}
    return [{"vendor": v, "current": today.get(v), "proposed": under.get(v)} for v in sorted(today | under)]


@bp.route("/what-if", methods=["GET", "POST"])
@reads("vendor")
def what_if() -> ResponseReturnValue:
    """Paste or edit a vendor's targets and see the compliance figures under them beside today's
    (POST /reports/what-if: recomputed in memory, nothing published or written)."""
    viewer = require_viewer(*WHAT_IF_READERS)
    vendor = (request.values.get("vendor") or "sap").strip()
    if not VENDOR_SLUG.match(vendor):
        vendor = "sap"
    refused: FormRefused | None = None
    rows: list[dict[str, Any]] | None = None
    status = 200
    if request.method == "POST":
        form = {name: (request.form.get(name) or "").strip() for name in ("vendor", "policy", "quarter", "kind")}
        form["policy"] = request.form.get("policy") or ""
        try:
            result = _what_if_figures(viewer, form)
            rows = side_by_side(result["current"], result["proposed"])
        except (FormRefused, Problem, InvalidCommand) as exc:
            refused = exc if isinstance(exc, FormRefused) else refusal(exc)
            status = refused.status
    else:
        form = _what_if_form(vendor)
    body = page(
        "what_if.html",
        form=form,
        refused=refused,
        rows=rows,
        vendors=sorted(set(KNOWN_VENDORS) | {form.get("vendor") or vendor}),
        quarters=figures.quarter_options(now()),
        kinds=figures.KINDS,
    )
    return body, status
