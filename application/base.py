"""The mechanics every command shares: hash-chain sealing, retries, If-Match, idempotency.

Commands are grouped by aggregate in modules that subclass `DeskBase`; `application.desk`
composes them into the one application.
"""

from __future__ import annotations

import contextlib
import copy
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import Environment, get_topic

from application.allocation_turns import AllocationTurns
from application.config import StoreSettings, store_settings
from application.context import Context, Receipt
from application.errors import ApplicationError, ConcurrencyExhausted, IdempotencyKeyReused, NotFound, StaleVersion
from application.idempotency import IdempotencyRecord, record_id
from application.ports import Since, TakesKeyTurns
from application.schema import racing_schema_setup
from application.transcodings import ActorAsDict, DateAsISO
from domain.base import KaizenAggregate
from domain.directory import Directory
from domain.errors import DomainError
from domain.group import Group
from domain.issue import Issue
from domain.keys import KeySequence, named_id
from domain.person import Person
from domain.suggestion import Suggestion

A = TypeVar("A", bound=KaizenAggregate)
MAX_ATTEMPTS = 40
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeskBase(Application[UUID]):
    """One application (one ordered log) for every aggregate: the contract promises auditors a
    single global log, and meeting decisions save several aggregates atomically."""

    name = "kaizen"
    snapshotting_intervals = {Issue: 50, Suggestion: 50, KeySequence: 20, Person: 50, Group: 50, Directory: 50}

    def __init__(
        self, settings: StoreSettings | None = None, clock: Clock = utc_now, *, create_tables: bool = True
    ) -> None:
        """`create_tables=False` builds the desk without a word to the store (`create_tables()`
        later): a web worker that starts while PostgreSQL refuses it a connection stays up."""
        self.settings = settings or store_settings()
        self.clock = clock
        self._offline = not create_tables
        env = self.settings.environment if create_tables else {**self.settings.environment, "CREATE_TABLE": "n"}
        racing_schema_setup(lambda: super(DeskBase, self).__init__(env=env))
        datastore = getattr(self.factory, "datastore", None)
        if self._offline and "register_type_adapters" in getattr(datastore, "__dict__", {}):
            del datastore.register_type_adapters  # type: ignore[union-attr]  # back to the library's
        # The store's adapter offers its own key turns (PostgreSQL: lock and read at once; SQLite:
        # the writer turn); a store that is not ours (the import rehearsal's in-memory overlay)
        # has no other process to take turns with, so this process's threads take them alone.
        recorder = self.recorder
        shared = recorder.shared_turns(self.settings) if isinstance(recorder, TakesKeyTurns) else None
        self._allocation_turns = AllocationTurns(shared)
        self._sequences: dict[str, KeySequence] = {}  # as last read under a turn, never with pending events

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """The library's factory; offline, its PostgreSQL recorders do not read the store's
        composite types while being built (that is a connection): `create_tables` reads them."""
        factory = super().construct_factory(env)
        datastore = getattr(factory, "datastore", None)
        if getattr(self, "_offline", False) and hasattr(datastore, "register_type_adapters"):
            datastore.register_type_adapters = lambda: None  # type: ignore[union-attr]
        return factory

    def create_tables(self) -> None:
        """The event store's tables (and functions), idempotently, as construction does by default."""

        def create() -> None:
            self.recorder.create_table()  # type: ignore[attr-defined]
            if self.snapshots is not None:
                self.snapshots.recorder.create_table()  # type: ignore[attr-defined]

        racing_schema_setup(create)

    def close(self) -> None:
        self._allocation_turns.close()
        super().close()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsDict())
        transcoder.register(DateAsISO())

    # -- saving -----------------------------------------------------------------------------
    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Seal every pending event into its aggregate's hash chain, then record atomically."""
        for obj in objs:
            if isinstance(obj, KaizenAggregate):
                obj.seal_pending_events()
        return super().save(*objs, **kwargs)

    def now(self, ctx: Context) -> datetime:
        return ctx.at or self.clock()

    def _load(self, aggregate_id: UUID, cls: type[A], label: str, version: int | None = None) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"{label} was not found") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{label} was not found")
        return aggregate

    def created_aggregates(self, created: type, cls: type[A]) -> list[A]:
        """Every aggregate of `cls` ever created, oldest first, found in the log by the topic of
        its creation event `created`: for the kinds there are few of (subscriptions, automation
        rules), which no view lists."""
        found: list[A] = []
        topic = get_topic(created)
        for notification in self.recorder.select_notifications(start=None, limit=1_000_000, topics=[topic]):
            try:
                aggregate: Any = self.repository.get(UUID(str(notification.originator_id)))
            except AggregateNotFoundError:  # pragma: no cover - a created aggregate always loads
                continue
            if isinstance(aggregate, cls):
                found.append(aggregate)
        return found

    def _replayed(self, ctx: Context) -> Receipt | None:
        """The stored answer for a retried Idempotency-Key (or a companion's), or None on first use."""
        if ctx.companion is not None:
            done = ctx.companion.recorded()
            if done is not None:
                return done
        if not ctx.idempotency_key:
            return None
        try:
            record: Any = self.repository.get(record_id(ctx.idempotency_principal, ctx.idempotency_key))
        except AggregateNotFoundError:
            return None
        assert isinstance(record, IdempotencyRecord)
        if record.fingerprint != ctx.fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {ctx.idempotency_key!r} was already used with a different request"
            )
        result = dict(record.result)
        # The original position is not stored (it is known only after the save); the current
        # head is a safe stand-in for read-your-writes, since it is at or after the original.
        head = int(self.recorder.max_notification_id() or 0)
        return Receipt(
            key=result["key"],
            version=result["version"],
            position=result["position"] or head,
            kind=result["kind"],
            created=result["created"],
            replayed=True,
            extra=result["extra"],
        )

    def _commit(
        self,
        ctx: Context,
        primary: Any,
        *others: Any,
        kind: str,
        created: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> Receipt:
        """Save the primary aggregate (and any others) with the idempotency record, if any."""
        pending_version = primary.version
        receipt = Receipt(
            key=primary.key,
            version=pending_version,
            position=None,
            kind=kind,
            created=created,
            extra=extra or {},
            aggregate=primary,
        )
        objects: list[Any] = [primary, *others]
        if ctx.idempotency_key:
            objects.append(
                IdempotencyRecord(
                    principal=ctx.idempotency_principal,
                    idempotency_key=ctx.idempotency_key,
                    fingerprint=ctx.fingerprint or "",
                    result=receipt.as_record(),
                    actor=ctx.actor,
                    occurred_at=self.now(ctx),
                )
            )
        if ctx.companion is not None:
            objects.append(ctx.companion.record(receipt))
        recordings = self.save(*objects)
        position = max((r.notification.id for r in recordings), default=None)
        result = Receipt(
            key=receipt.key,
            version=receipt.version,
            position=position,
            kind=kind,
            created=created,
            extra=receipt.extra,
            aggregate=primary,
        )
        return result

    def _retrying(self, ctx: Context, attempt: Callable[[], Receipt]) -> Receipt:
        """Run a command, retrying on fresh state when another writer got there first.

        With `If-Match` there is no retry: the caller asked for that version and no other.

        A retried `Idempotency-Key` is recognised after the fact rather than looked up before
        every command: its record is appended with the command's events, so a second use
        fails that append, or fails the command itself when the first use changed the state
        it needs; only then is the stored answer read. A first use, the common case, costs no
        extra read, and the append's unique key still decides who was first.
        """
        for attempt_number in range(MAX_ATTEMPTS):
            try:
                return attempt()
            except IntegrityError:
                replay = self._replayed(ctx)
                if replay is not None:
                    return replay
                if ctx.expected_version is not None:
                    raise StaleVersion(ctx.expected_version, ctx.expected_version + 1) from None
                # Jittered backoff: writers that collided do not collide again in lockstep.
                time.sleep(random.uniform(0, 0.002 * (attempt_number + 1)))
            except (DomainError, ApplicationError):
                replay = self._replayed(ctx)
                if replay is not None:
                    return replay
                raise
        raise ConcurrencyExhausted("too many concurrent changes; retry the command")

    def _change(
        self,
        ctx: Context,
        aggregate_id: UUID,
        cls: type[A],
        label: str,
        kind: str,
        mutate: Callable[[A], dict[str, Any] | None],
    ) -> Receipt:
        """Load, check If-Match, call one command method, save: the shape of every command."""

        def attempt() -> Receipt:
            aggregate = self._load(aggregate_id, cls, label)
            if ctx.expected_version is not None and aggregate.version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, aggregate.version)
            extra = mutate(aggregate)
            return self._commit(ctx, aggregate, kind=kind, extra=extra)

        return self._retrying(ctx, attempt)

    @contextlib.contextmanager
    def _allocating(self, prefix: str) -> Iterator[KeySequence]:
        """Take the `prefix` key turn and yield its sequence, current as of the turn; hold the
        turn until the caller has saved the allocation with what it allocated for."""
        copies: list[KeySequence] = []

        def since() -> Since | None:  # read once this thread holds the turn among its process's
            cached = self._sequences.get(prefix)
            if cached is None:
                return None
            copies.append(cached)
            return Since(cached.id, cached.version)

        with self._allocation_turns.turn(prefix, since) as turn:
            if copies and turn.fresh is not None:
                sequence: Any = copy.deepcopy(copies[0])
                for stored in turn.fresh:
                    event: Any = self.mapper.to_domain_event(stored)
                    sequence = event.mutate(sequence)
                self._remember(sequence)
                yield sequence
            else:
                yield self._next_key(prefix)

    def _next_key(self, prefix: str) -> KeySequence:
        """The sequence as stored now, read from the store."""
        try:
            sequence: Any = self.repository.get(named_id("sequence", prefix))
        except AggregateNotFoundError:
            return KeySequence.start(prefix)  # not stored yet: nothing to remember
        assert isinstance(sequence, KeySequence)
        self._remember(sequence)
        return sequence

    def _remember(self, sequence: KeySequence) -> None:
        """Keep a copy made before this command allocates: if its save fails, the next turn
        reads nothing of it; if it succeeds, the next turn reads it back as a fresh event."""
        self._sequences[sequence.prefix] = copy.deepcopy(sequence)
