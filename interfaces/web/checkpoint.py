"""The issue page's "sealed by" line: the latest published checkpoint that covers the issue's
latest event (docs/checkpoints.md), or None when there is none yet (or none is configured).

The page shows what was published (the file in KAIZEN_CHECKPOINT_DIR, the same record
`GET /audit/checkpoints` answers with) and how to prove the event offline; it does not make the
page a verifier, which is what `kaizen audit verify --checkpoints` is for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.checkpoint_log import read
from adapters.event_positions import event_position
from application.checkpoints import CheckpointSettings, latest_covering
from application.desk import KaizenDesk


def issue_checkpoint(desk: KaizenDesk, key: str, version: int) -> dict[str, Any] | None:
    directory = CheckpointSettings.from_env().directory
    if not directory:
        return None
    position = event_position(desk.recorder, desk.aggregate_id_of(key), version)
    if position is None:
        return None
    checkpoint = latest_covering(read(directory), position)
    if checkpoint is None:
        return None
    try:
        signed = datetime.fromisoformat(str(checkpoint["signed_at"]))
    except ValueError:
        signed = None
    return {**checkpoint, "signed": signed, "event_position": position, "version": version}
