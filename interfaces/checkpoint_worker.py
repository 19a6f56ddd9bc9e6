"""The elected worker's checkpoints: sign the log every `KAIZEN_CHECKPOINT_INTERVAL` (1 h).

Runs in a daemon thread beside the projection runner and the notification loop, in the leader
only (it shares their election), and only when `KAIZEN_CHECKPOINT_KEY` names a key. Each round
signs the log head when events other than its own notices came since the last published
checkpoint, appends it to
`KAIZEN_CHECKPOINT_DIR` (after checking the store still matches the leaves published before:
an edit stops the signing and is logged), and records the `audit.checkpoint` notice the
outbox delivers to subscribers. A composition point: it wires the key file and the published
directory (adapters) into `application.checkpoints`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from adapters.checkpoint_keys import load_signer
from adapters.checkpoint_log import PublishedLog, read
from application.checkpoints import CheckpointRefused, CheckpointSettings, announce, grown_since, make_checkpoint

log = logging.getLogger("kaizen.checkpoints")


class CheckpointService:
    def __init__(self, desk: Any, election: Any, settings: CheckpointSettings) -> None:
        if settings.key is None:
            raise ValueError("KAIZEN_CHECKPOINT_KEY is not set")
        self.desk = desk
        self.election = election
        self.settings = settings
        self.signer = load_signer(settings.key)  # a missing or wrong key stops the start, in one line

    def leading(self) -> bool:
        return self.election is None or bool(self.election.is_leader)

    def round(self) -> dict[str, Any] | None:
        """One checkpoint if the log grew since the last one published; returns it (or None)."""
        if self.settings.directory is None:
            checkpoint = make_checkpoint(self.desk, self.signer)
        else:
            with PublishedLog(self.settings.directory) as published:
                last = max((int(c.get("position", 0)) for c in read(self.settings.directory)), default=None)
                if last is not None and not grown_since(self.desk, last):
                    return None
                checkpoint = make_checkpoint(self.desk, self.signer, published)
        announce(self.desk, checkpoint)
        log.info("checkpoint signed at position %s (key %s)", checkpoint["position"], checkpoint["key_id"])
        return checkpoint

    def run(self, stop: threading.Event) -> None:
        next_round = time.monotonic()  # the first right away: a restarted worker signs what it finds
        while not stop.is_set():
            if not self.leading() or time.monotonic() < next_round:
                stop.wait(min(1.0, max(0.0, next_round - time.monotonic())) or 0.5)
                continue
            try:
                self.round()
                next_round = time.monotonic() + self.settings.interval
            except CheckpointRefused as exc:
                log.error("%s", exc)  # an edited past is not signed; an operator must look
                next_round = time.monotonic() + self.settings.interval
            except Exception:
                log.exception("checkpoint failed; retrying in a minute")
                next_round = time.monotonic() + min(60.0, self.settings.interval)


def start_checkpoints(desk: Any, election: Any, stop: threading.Event) -> threading.Thread | None:
    """Start the loop in a daemon thread (None when no key is configured)."""
    settings = CheckpointSettings.from_env()
    if settings.key is None:
        return None
    service = CheckpointService(desk, election, settings)
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True, name="kaizen-checkpoints")
    thread.start()
    return thread
