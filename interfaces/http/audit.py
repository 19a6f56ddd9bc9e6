"""Audit endpoints: the global ordered log, chain verification, export, signed checkpoints and
their inclusion proofs, and import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE, Schema

from adapters.checkpoint_log import read
from adapters.event_positions import event_position
from application.audit import describe_stored, iterate_log, to_json, verify
from application.checkpoints import FIELDS, CheckpointSettings, inclusion_proof, latest_covering, position_of
from application.importer import ImportLineError, ImportNotText, import_stream
from domain.access import role_family
from interfaces.http.auth import reader, writer
from interfaces.http.blueprint import Blueprint
from interfaces.http.bodies import spool_body, streams_body
from interfaces.http.problems import Problem
from interfaces.http.schemas.common import position_parameter, query_integer, text
from interfaces.http.schemas.import_lines import IMPORT_RULES
from interfaces.http.services import desk, services

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit: global log, verification, export, import")


class EventsQuery(Schema):
    class Meta:
        unknown = RAISE

    after = position_parameter(load_default=0, metadata={"description": "the last position already read"})
    limit = query_integer(1, 500, load_default=50)


def _auditor() -> None:
    actor = reader()
    if role_family(actor) not in ("admin", "auditor", "system"):
        raise Problem(403, f"role {actor.role} may not read the audit log")


@blp.route("/audit/events")
class AuditEvents(MethodView):
    @blp.arguments(EventsQuery, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Events in commit order after a position; page with `after=<last position>`."""
        _auditor()
        app = desk()
        items = [to_json(describe_stored(app, n)) for n in iterate_log(app, query["after"], query["limit"])]
        last = items[-1]["position"] if items else query["after"]
        return {
            "items": items,
            "next_cursor": str(last) if len(items) == query["limit"] else None,
            "last_position": last,
        }


@blp.route("/audit/verify")
class AuditVerify(MethodView):
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """Recompute every hash chain; name the first broken event of each aggregate."""
        _auditor()
        report = verify(desk())
        return {
            "ok": report.ok,
            "events": report.events,
            "aggregates": report.aggregates,
            "broken": [
                {"aggregate": b.name, "aggregate_id": b.aggregate_id, "version": b.version, "reason": b.reason}
                for b in report.broken
            ],
        }


@blp.route("/audit/export")
class AuditExport(MethodView):
    @blp.response(200, content_type="application/x-ndjson")
    def get(self) -> Response:
        """Every event as JSON Lines, streamed: memory stays flat however long the log is."""
        _auditor()
        app = desk()

        def generate() -> Iterator[str]:
            for stored in iterate_log(app):
                yield json.dumps(to_json(describe_stored(app, stored)), ensure_ascii=False, sort_keys=True) + "\n"

        # The generator needs no request context (the desk is captured), so none is kept alive
        # while a long export streams.
        return Response(generate(), mimetype="application/x-ndjson")


class ProofQuery(Schema):
    class Meta:
        unknown = RAISE

    key = text(40, required=True, metadata={"description": "the issue or suggestion key, e.g. KZ-7"})
    version = query_integer(1, 2**31, required=True)


def _published() -> list[dict[str, Any]]:
    """The checkpoints published in KAIZEN_CHECKPOINT_DIR: the file is the record (the database
    keeps no copy an attacker could rewrite with the events)."""
    directory = CheckpointSettings.from_env().directory
    return read(directory) if directory else []


@blp.route("/audit/checkpoints")
class AuditCheckpoints(MethodView):
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """The signed checkpoints published so far, oldest first (docs/checkpoints.md)."""
        _auditor()
        return {"items": [{k: c.get(k) for k in FIELDS} for c in _published()]}


@blp.route("/audit/proof")
class AuditProof(MethodView):
    @blp.arguments(ProofQuery, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The proof that one event is in the latest checkpoint covering it, checkable offline."""
        _auditor()
        app, key, version = desk(), query["key"].upper(), query["version"]
        aggregate = app.aggregate_id_of(key)
        position = position_of(app, aggregate, version, event_position)
        if position is None:
            raise Problem(404, f"{key} has no version {version}")
        checkpoint = latest_covering(_published(), position)
        if checkpoint is None:
            raise Problem(404, f"no published checkpoint covers {key} version {version} (position {position}) yet")
        proof = inclusion_proof(app, aggregate, version, checkpoint)
        if proof is None:  # pragma: no cover - the event was found a moment ago
            raise Problem(404, f"{key} has no version {version}")
        return proof


@blp.route("/import")
class Import(MethodView):
    @blp.response(200)
    @streams_body
    def post(self) -> dict[str, Any]:
        """Replay a JSON Lines command log with its original times (admin).

        The body is spooled to a temporary file, up to `KAIZEN_IMPORT_MAX_MB` (64 MiB), not the
        1 MiB of every other body: whole command logs come this way."""
        actor = writer()
        if role_family(actor) not in ("admin", "system"):
            raise Problem(403, f"role {actor.role} may not import history")
        ctype = (request.mimetype or "").lower()
        if ctype not in ("application/x-ndjson", "application/jsonl", "application/json-lines", "text/plain"):
            raise Problem(415, "send the command log as application/x-ndjson (JSON Lines)")
        limit = services().settings.import_max_bytes
        try:
            with spool_body(limit) as handle:  # 413 past KAIZEN_IMPORT_MAX_MB, nothing written
                refs = import_stream(desk(), handle, IMPORT_RULES)
        except (UnicodeDecodeError, ImportNotText):
            raise Problem(400, "the body is not UTF-8") from None
        except ImportLineError as exc:
            raise Problem(422, str(exc), errors={"body": [str(exc)]}) from None
        return {"refs": refs}
