"""The base every Kaizen aggregate shares: provenance on events and the hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.actor import Actor
from domain.chain import chain_hash
from domain.errors import TransitionRefused


class KaizenAggregate(Aggregate):
    """An aggregate whose events carry who/when/via and chain their hashes.

    Command methods check the rules and then call a private `@event` method; the private method
    only mutates state, so replaying stored events never re-runs a rule that depends on "now".
    """

    class Event(Aggregate.Event):
        """Every event of every aggregate: remembers the chain head when replayed."""

        def apply(self, aggregate: Any) -> None:
            sealed = self.__dict__.get("hash")
            if sealed is not None:
                aggregate.chain_head = sealed

    def seal_pending_events(self) -> None:
        """Give each pending event its chain hash just before it is saved."""
        head: str | None = getattr(self, "chain_head", None)
        for pending in self.pending_events:
            state = dict(vars(pending))
            if "hash" not in state:
                sealed = chain_hash(
                    head,
                    get_topic(type(pending)),
                    pending.originator_id,
                    pending.originator_version,
                    state,
                )
                object.__setattr__(pending, "hash", sealed)
            head = pending.__dict__["hash"]
        self.chain_head = head

    @property
    def state_name(self) -> str:
        """The name of the current life-cycle state, for refusals."""
        return str(getattr(self, "status", "unknown"))

    def _require(self, condition: bool, action: str, detail: str | None = None) -> None:
        if not condition:
            raise TransitionRefused(action, self.state_name, detail)


def provenance(actor: Actor, occurred_at: datetime) -> dict[str, Any]:
    """The attributes every event records besides its own facts."""
    return {"actor": actor, "occurred_at": occurred_at}
