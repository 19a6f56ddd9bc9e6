"""Operations endpoints, outside /api/v1 and without a token: liveness, readiness, metrics.

`/healthz` says only that the process answers (restart it if not); `/readyz` says whether it
can do useful work (store reachable, no view failing on an event for longer than
`KAIZEN_VIEW_STALL_SECONDS`, views not too far behind), so a load balancer stops sending
traffic to an instance that would only fail.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from marshmallow import Schema, fields

from interfaces.http.api import errors
from interfaces.http.blueprint import Blueprint
from interfaces.http.logs import get_logger
from interfaces.http.metrics import exposition
from interfaces.http.problems import RETRY_AFTER_SECONDS, Problem
from interfaces.http.readiness import NotAnsweredInTime
from interfaces.http.services import ViewsUnreachable, services

blp = Blueprint("operations", __name__, description="Process health and metrics (no token needed)")
log = get_logger("kaizen.http.ops")
NOT_READY = {"Retry-After": RETRY_AFTER_SECONDS}


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class ReadySchema(Schema):
    status = fields.String(required=True, metadata={"example": "ready"})
    position = fields.Integer(required=True, metadata={"description": "the last position in the event log"})
    lag = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "events each view trails the log by"},
    )


def projection_lag() -> dict[str, int] | None:
    """Lag per view, or None when this build has no read side."""
    return services().lag()


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def healthz() -> dict[str, str]:
    """Liveness: the process answers"""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@blp.response(200, ReadySchema)
@errors(blp, 503)
@blp.doc(security=[])
def readyz() -> dict[str, Any]:
    """Readiness: the store answers, no view is stuck on an event and every view is within the allowed lag"""
    try:
        state = services().readiness()
    except ViewsUnreachable as exc:
        log.warning("not_ready_views", error=str(exc))
        raise Problem(503, "the read views are unreachable", headers=NOT_READY) from None
    except NotAnsweredInTime as exc:
        log.warning("not_ready_store", error="timeout")
        raise Problem(503, str(exc), headers=NOT_READY) from None
    except Exception as exc:
        log.warning("not_ready_store", error=type(exc).__name__)
        services().breaker.trip()  # requests behind this one answer 503 at once for a moment
        raise Problem(503, "the store is unreachable", headers=NOT_READY) from None
    position, lag = state.position, state.lag
    stalled = state.stalled(services().settings.view_stall_seconds)
    if stalled:
        log.warning("not_ready_view_stalled", views=[failure.view for failure in stalled])
        shown = [failure.as_dict() for failure in stalled]
        detail = "; ".join(
            f"view {f['view']} has failed on event {f['position']} for {f['seconds']:.0f} s: {f['error']}"
            for f in shown
        )
        raise Problem(
            503,
            detail,
            title="A view is stuck",
            headers=NOT_READY,
            extra={"stalled": shown, "lag": lag},
            slug="view-stalled",
        )
    max_lag = services().settings.max_lag
    behind = {name: value for name, value in (lag or {}).items() if value > max_lag}
    if behind:
        raise Problem(
            503, f"views are more than {max_lag} events behind the log", headers=NOT_READY, extra={"lag": lag}
        )
    return {"status": "ready", "position": position, "lag": lag or {}}


@blp.route("/metrics", methods=["GET"])
@blp.response(200, {"type": "string"}, content_type="text/plain")
@blp.doc(security=[])
def metrics() -> Response:
    """Prometheus metrics: requests and latency by route and status, commands by type, projection lag and stalls"""
    try:
        lag = projection_lag()
    except Exception:
        log.warning("metrics_without_lag", exc_info=True)
        lag = None
    stalled: dict[str, int] | None = None
    failing: dict[str, float] | None = None
    if lag is not None:
        try:
            stalled, failing = services().stall_gauges(lag)
        except Exception:
            log.warning("metrics_without_stalls", exc_info=True)
    try:
        read = services().read
        breaches = read.reports.open_breaches(services().settings.clock()) if read is not None else None
    except Exception:
        log.warning("metrics_without_breaches", exc_info=True)
        breaches = None
    body, content_type = exposition(lag, breaches, stalled=stalled, failing_seconds=failing)
    return current_app.response_class(body, status=200, headers={"Content-Type": content_type})
