"""**Me too** from wherever a clerk meets an issue, and the landing after it.

- POST /console/issues/<key>/affected (button **Me too**, `data-action="affected"`): runs
  `desk.mark_affected`, as POST /api/v1/issues/{key}/affected does. On the issue page (an issue
  the viewer may read) it is one of the page's commands (`routes_issues.COMMANDS`): back to the
  issue, or the refusal beside the button. From the report form's possible duplicates a clerk
  may press it on a colleague's open issue they may not read (`domain.access.may_glimpse_issue`):
  they land on "My issues" with a notice naming the issue, or, refused (already affected, their
  own issue: 409), with the problem's detail and the API's status; nothing is written then.
- **Link** (`data-action="links"`) is an ordinary command of the issue page (`routes_issues`).

Works without the script: both are plain forms posting the CSRF token.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, url_for
from flask.typing import ResponseReturnValue

from application.context import Context
from application.errors import NotFound
from domain.access import can_see_issue
from domain.keys import KEY_PATTERN
from interfaces.http import metrics
from interfaces.http.problems import Problem
from interfaces.http.schemas.common import NoBodySchema
from interfaces.http.services import desk
from interfaces.web import routes_issues, routes_report
from interfaces.web.blueprint import bp
from interfaces.web.forms import form_data, refusal
from interfaces.web.i18n import t
from interfaces.web.session import require_writer


def _readable(key: str, viewer_actor: object) -> bool:
    """Whether the viewer may read the whole issue (then the issue page is where they land)."""
    if not KEY_PATTERN.match(key) or not key.startswith("KZ-"):
        raise Problem(404, "no such issue")
    try:
        return can_see_issue(viewer_actor, desk().get_issue(key))  # type: ignore[arg-type]
    except NotFound:
        raise Problem(404, f"issue {key} was not found") from None


@bp.post("/issues/<key>/affected")
def mark_affected(key: str) -> ResponseReturnValue:
    """**Me too**: the issue page's command, or, on an issue the viewer may only glimpse, "My issues"."""
    viewer = require_writer()
    if _readable(key, viewer.actor):
        return routes_issues.issue_command(key, "affected")
    try:
        form_data(NoBodySchema)
        receipt = desk().mark_affected(Context(viewer.actor), key)
    except Exception as exc:  # refusal() re-raises what the API would not answer with a 4xx
        shown = refusal(exc)
        if shown.status in (403, 404):
            raise Problem(shown.status, shown.detail) from None
        flash(shown.detail, "error")
        return make_response(routes_report.my_issues(), shown.status)
    if not receipt.replayed:
        metrics.command_accepted(receipt.kind, "affected")
    flash(t("Me too: you are recorded as affected by {key}. You will hear when it is resolved.", key=key), "ok")
    return redirect(url_for("console.my_issues"), code=303)
