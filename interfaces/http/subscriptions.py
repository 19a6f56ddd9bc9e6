"""Notification subscriptions over HTTP: create (the secret is in this answer only), list, read,
revoke, and each subscription's delivery log with a redeliver command.

Administrators manage subscriptions; auditors may read them and their delivery logs; nobody
else sees them (a subscription's filter and target say a lot about the company's vendors).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from domain.notification_rules import EVENT_TYPES, LANGUAGE_ALIASES, LANGUAGES, TARGET_KINDS
from domain.vocabulary import Module, Priority
from interfaces.http.api import COMMAND_HEADERS, CREATED_HEADERS, errors, header
from interfaces.http.auth import admins_write_auditors_read, writer
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context
from interfaces.http.problems import Problem, validation_problem
from interfaces.http.reading import read_side, wait_for_views
from interfaces.http.schemas.common import PageQuerySchema, StrictSchema, no_control_characters, out_datetime, text
from interfaces.http.services import desk, services
from projections import cursors

blp = Blueprint(
    "subscriptions",
    __name__,
    url_prefix="/api/v1/subscriptions",
    description="Webhook, e-mail and chat notifications of issue, SLA and suggestion events",
)
STATES = ("pending", "delivered", "dead")
SHORT: list[Any] = [validate.Length(min=1, max=100), no_control_characters]


@blp.before_request
def _authorise() -> None:
    admins_write_auditors_read("subscriptions")


# -- schemas ------------------------------------------------------------------------------------
class FiltersSchema(StrictSchema):
    vendor = fields.List(fields.String(validate=SHORT), validate=validate.Length(max=50))
    priority = fields.List(fields.String(validate=validate.OneOf([p.value for p in Priority])))
    module = fields.List(fields.String(validate=validate.OneOf([m.value for m in Module])))
    site = fields.List(fields.String(validate=SHORT), validate=validate.Length(max=50))


class CreateSubscriptionSchema(StrictSchema):
    name = text(200)
    kind = fields.String(required=True, validate=validate.OneOf(TARGET_KINDS))
    target = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=2000), no_control_characters],
        metadata={"description": "https URL (webhook, dingtalk, feishu, teams) or e-mail address"},
    )
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_TYPES)),
    )
    filters = fields.Nested(FiltersSchema, load_default=None, allow_none=True)
    language = fields.String(
        load_default="en",
        validate=validate.OneOf((*LANGUAGES, *LANGUAGE_ALIASES)),
        metadata={"description": "en, zh-Hans, zh-Hant, id or vi (`zh`, the old code, is zh-Hans)"},
    )
    signing_secret = fields.String(
        load_default=None,
        allow_none=True,
        load_only=True,
        validate=[validate.Length(min=1, max=200), no_control_characters],
        metadata={"description": "the DingTalk / Feishu robot's own signing secret"},
    )


class SubscriptionSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    target = fields.String(required=True, metadata={"description": "credentials in chat URLs are masked"})
    events = fields.List(fields.String(), required=True)
    filters = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)
    language = fields.String(required=True)
    status = fields.String(required=True)
    signing_secret_set = fields.Boolean(required=True)
    created_by = fields.String(required=True)
    created_at = out_datetime(required=True)
    revoked_at = out_datetime(allow_none=True)
    version = fields.Integer(required=True)


class CreatedSubscriptionSchema(SubscriptionSchema):
    secret = fields.String(
        allow_none=True,
        metadata={
            "description": "HMAC-SHA256 key for X-Kaizen-Signature; shown in this answer only (null on a replay)"
        },
    )


class SubscriptionPageSchema(Schema):
    items = fields.List(fields.Nested(SubscriptionSchema), required=True)
    next_cursor = fields.String(allow_none=True)


class AttemptSchema(Schema):
    seq = fields.Integer(required=True)
    at = out_datetime(required=True)
    outcome = fields.String(required=True)
    status = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    actor = fields.String(allow_none=True)


class DeliverySchema(Schema):
    delivery_id = fields.String(required=True)
    subscription_id = fields.String(required=True)
    position = fields.Integer(required=True)
    event_type = fields.String(required=True)
    state = fields.String(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = out_datetime(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = out_datetime(allow_none=True)
    created_at = out_datetime(required=True)
    updated_at = out_datetime(required=True)
    log = fields.List(fields.Nested(AttemptSchema), required=True)


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)
    next_cursor = fields.String(allow_none=True)


class DeliveryQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(STATES))


class EmptySchema(StrictSchema):
    """No body (or an empty object)."""


# -- helpers ------------------------------------------------------------------------------------
def _headers(version: int, position: int | None) -> dict[str, str]:
    answer = {"ETag": f'"{version}"'}
    if position is not None:
        answer["X-Event-Position"] = str(position)
    return answer


def _cursor(position: int) -> str:
    return cursors.encode_position("d", position)


def _before(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return cursors.decode_position(cursor, "d")
    except cursors.ForgedCursor as exc:
        raise validation_problem({"cursor": [str(exc)]}) from None


# -- routes -------------------------------------------------------------------------------------
@blp.route("", methods=["POST"])
@blp.arguments(CreateSubscriptionSchema)
@blp.response(201, CreatedSubscriptionSchema, headers=CREATED_HEADERS)
@errors(blp, 400, 401, 403, 413, 415, 422, 503)
def create(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Subscribe a target to events; the answer carries the signing secret, once

    URL targets are resolved now and every address is checked against the outbound allow-list
    (`KAIZEN_WEBHOOK_ALLOW`); they are checked again at every delivery.
    """
    filters = body.get("filters") or {}
    receipt, secret = desk().create_subscription(
        command_context(),
        kind=body["kind"],
        target=body["target"],
        events=body["events"],
        filters=filters,
        language=body["language"],
        name=body.get("name"),
        signing_secret=body.get("signing_secret"),
    )
    subscription = desk().get_subscription(receipt.key)
    headers = _headers(subscription.version, receipt.position)
    headers["Location"] = url_for("subscriptions.subscription", subscription_id=receipt.key)
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    return {**subscription.public_view(), "secret": secret}, 201, headers


@blp.route("", methods=["GET"])
@blp.response(200, SubscriptionPageSchema)
@errors(blp, 401, 403, 503)
def list_all() -> dict[str, Any]:
    """Every subscription, oldest first (secrets are never shown)"""
    return {"items": [s.public_view() for s in desk().list_subscriptions()], "next_cursor": None}


@blp.route("/<subscription_id>", methods=["GET"])
@blp.response(200, SubscriptionSchema, headers={"ETag": header('the version, quoted: "<version>"', required=True)})
@errors(blp, 401, 403, 404, 503)
def subscription(subscription_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """One subscription (secrets are never shown)"""
    found = desk().get_subscription(subscription_id)
    return found.public_view(), 200, _headers(found.version, None)


@blp.route("/<subscription_id>/revoke", methods=["POST"])
@blp.arguments(EmptySchema, required=False)
@blp.response(200, SubscriptionSchema, headers=COMMAND_HEADERS)
@errors(blp, 400, 401, 403, 404, 409, 412, 413, 415, 422, 503)
def revoke(body: dict[str, Any], subscription_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Revoke: nothing more is delivered; pending deliveries are given up"""
    receipt = desk().revoke_subscription(command_context(), subscription_id)
    found = desk().get_subscription(subscription_id)
    headers = _headers(found.version, receipt.position)
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    return found.public_view(), 200, headers


@blp.route("/<subscription_id>/deliveries", methods=["GET"])
@blp.arguments(DeliveryQuerySchema, location="query")
@blp.response(200, DeliveryPageSchema)
@errors(blp, 401, 403, 404, 422, 503)
def deliveries(query: dict[str, Any], subscription_id: str) -> dict[str, Any]:
    """The delivery log: newest first, each with its attempts (time, outcome, status, error)"""
    from projections.outbox_queries import list_deliveries

    desk().get_subscription(subscription_id)
    read = read_side()
    wait_for_views(read, query.get("min_position"))
    items, before = list_deliveries(
        read.store, subscription_id, query.get("state"), query["limit"], _before(query.get("cursor"))
    )
    return {"items": items, "next_cursor": _cursor(before) if before is not None else None}


@blp.route("/<subscription_id>/deliveries/<delivery_id>/redeliver", methods=["POST"])
@blp.arguments(EmptySchema, required=False)
@blp.response(202, DeliverySchema)
@errors(blp, 400, 401, 403, 404, 409, 413, 415, 422, 503)
def redeliver(body: dict[str, Any], subscription_id: str, delivery_id: str) -> tuple[dict[str, Any], int]:
    """Send a delivery again (any state), now, with a fresh retry budget"""
    from projections.outbox_queries import get_delivery
    from projections.outbox_queries import redeliver as queue_again

    actor = writer()
    found = desk().get_subscription(subscription_id)
    if found.revoked_at is not None:
        raise Problem(
            409,
            f"subscription {subscription_id} is revoked",
            title="Transition refused",
            extra={"current_state": "revoked"},
            slug="transition-refused",
        )
    store = read_side().store
    if not queue_again(store, subscription_id, delivery_id, services().settings.clock(), actor.id):
        raise Problem(404, f"delivery {delivery_id} was not found")
    shown = get_delivery(store, subscription_id, delivery_id)
    assert shown is not None
    shown.pop("notice", None)
    return shown, 202
