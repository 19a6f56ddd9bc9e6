"""Signed checkpoints hold against someone who can write to the database, on both stores.

Each tamper case edits the stored rows with SQL, as a database administrator could, then runs
`kaizen audit verify --checkpoints DIR --public-key KEY.pub` and reads what it says.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.checkpoint_keys import generate, load_signer, public_path
from adapters.checkpoint_log import PublishedLog, leaves_file, log_file
from application.checkpoints import CheckpointRefused, make_checkpoint, position_of
from application.desk import KaizenDesk
from domain.chain import chain_hash
from interfaces.cli import main
from tests.conftest import REPORTER, ctx
from tests.integration.test_audit import _execute, _history, _read_state, _table

Kaizen = Callable[..., tuple[int, str, str]]


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "checkpoint.key"
    path.parent.mkdir()
    generate(path)
    return path


@pytest.fixture
def published(tmp_path: Path) -> Path:
    return tmp_path / "published"


@pytest.fixture
def kaizen(store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Kaizen]:
    monkeypatch.setenv("KAIZEN_DATABASE_URL", store_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run


def checkpoint(desk: KaizenDesk, key: Path, directory: Path, up_to: int | None = None) -> dict[str, Any]:
    with PublishedLog(directory) as log:
        return make_checkpoint(desk, load_signer(key), log, up_to=up_to)


def ident(desk: KaizenDesk, store_url: str, key: str) -> object:
    iid = desk.aggregate_id_of(key)
    return str(iid) if store_url.startswith("postgres") else iid.hex  # SQLite keeps hex text


def rehash_from(
    desk: KaizenDesk, store_url: str, key: str, version: int, edit: Callable[[dict[str, Any]], None]
) -> None:
    """Edit one event and re-hash the aggregate's chain after it with the project's own
    `chain_hash`: today's `audit verify` then answers that every chain holds."""
    table, agg = _table(store_url), ident(desk, store_url, key)
    transcoder = desk.mapper.transcoder
    iid = desk.aggregate_id_of(key)
    previous = transcoder.decode(_read_state(store_url, table, agg, version - 1))["hash"] if version > 1 else None
    current = version
    while True:
        try:
            raw = _read_state(store_url, table, agg, current)
        except (TypeError, AssertionError):
            return
        state = transcoder.decode(raw)
        if current == version:
            edit(state)
        topic = _topic(store_url, table, agg, current)
        state["hash"] = chain_hash(previous, topic, iid, current, state)
        previous = state["hash"]
        _execute(
            store_url,
            f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = %s",
            (transcoder.encode(state), agg, current),
        )
        current += 1


def _topic(store_url: str, table: str, agg: object, version: int) -> str:
    if store_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(store_url.removeprefix("sqlite:///"))
        row = conn.execute(
            f"SELECT topic FROM {table} WHERE originator_id = ? AND originator_version = ?", (agg, version)
        ).fetchone()
        conn.close()
        return str(row[0])
    import psycopg

    with psycopg.connect(store_url) as pg:
        found = pg.execute(
            f"SELECT topic FROM {table} WHERE originator_id = %s AND originator_version = %s", (agg, version)
        ).fetchone()
        assert found is not None
        return str(found[0])


def verify_cli(kaizen: Kaizen, published: Path, key: Path) -> tuple[int, str, str]:
    return kaizen("audit", "verify", "--checkpoints", str(published), "--public-key", str(public_path(key)))


def first_finding(out: str) -> int:
    line = next(line for line in out.splitlines() if line.startswith("position "))
    return int(line.split()[1].rstrip(":"))


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path: Path, kaizen: Kaizen) -> None:
    path = tmp_path / "k"
    code, out, _ = kaizen("audit", "keygen", "--output", str(path))
    assert code == 0 and "k.pub" in out
    assert path.stat().st_mode & 0o777 == 0o600
    assert public_path(path).read_text().startswith("-----BEGIN PUBLIC KEY-----")
    code, _, err = kaizen("audit", "keygen", "--output", str(path))
    assert code == 1 and "already exists" in err  # an old key is never overwritten


def test_untouched_store_holds_against_every_checkpoint(
    desk: KaizenDesk, kaizen: Kaizen, key: Path, published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(desk)
    first = checkpoint(desk, key, published)
    monkeypatch.setenv("KAIZEN_CHECKPOINT_KEY", str(key))
    monkeypatch.setenv("KAIZEN_CHECKPOINT_DIR", str(published))
    desk.report(
        ctx(REPORTER),
        title="x",
        description="d",
        module="finance",
        impact_scope="team",
        urgency="minor",
        vendor="sap",
    )
    code, out, _ = kaizen("audit", "checkpoint")
    assert code == 0
    second = json.loads(out)
    assert set(second) == {"position", "root", "signed_at", "signature", "key_id"}
    assert first["position"] < second["position"] == desk.recorder.max_notification_id()
    assert len(log_file(published).read_text().splitlines()) == 2
    code, out, err = verify_cli(kaizen, published, key)
    assert code == 0, out + err
    assert "Every checkpoint holds (2 checkpoints" in out


TAMPERS = ["edited", "edited_and_rehashed", "latest_deleted", "swapped", "cut_short", "forged"]


@pytest.mark.parametrize("tamper", TAMPERS)
def test_each_tampering_is_named_at_its_first_position(
    desk: KaizenDesk, store_url: str, kaizen: Kaizen, key: Path, published: Path, tamper: str
) -> None:
    key_name = _history(desk)
    signed = checkpoint(desk, key, published)
    assert verify_cli(kaizen, published, key)[0] == 0
    table, agg = _table(store_url), ident(desk, store_url, key_name)
    iid = desk.aggregate_id_of(key_name)
    at = {v: position_of(desk, iid, v) for v in range(1, 6)}
    head = int(signed["position"])
    if tamper == "edited":
        state = _read_state(store_url, table, agg, 3)
        _execute(
            store_url,
            f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 3",
            (state.replace(b"INC-1", b"INC-9"), agg),
        )
        expected = at[3]
    elif tamper == "edited_and_rehashed":
        rehash_from(desk, store_url, key_name, 3, lambda s: s.update(vendor_ticket="INC-9"))
        code, out, _ = kaizen("audit", "verify")
        assert code == 0 and "Every hash chain holds" in out  # what today's verify alone says
        expected = at[3]
    elif tamper == "latest_deleted":
        _execute(store_url, f"DELETE FROM {table} WHERE originator_id = %s AND originator_version = 5", (agg,))
        expected = at[5]
    elif tamper == "swapped":
        two, three = _read_state(store_url, table, agg, 2), _read_state(store_url, table, agg, 3)
        update = f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = %s"
        _execute(store_url, update, (three, agg, 2))
        _execute(store_url, update, (two, agg, 3))
        expected = at[2]
    elif tamper == "cut_short":
        column = "rowid" if store_url.startswith("sqlite") else "notification_id"
        _execute(store_url, f"DELETE FROM {table} WHERE {column} > %s", (head - 2,))
        expected = head - 1
    else:
        forged = dict(signed, root="0" * 64)  # the attacker's own root under the old signature
        with log_file(published).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(forged) + "\n")
        expected = head
    code, out, err = verify_cli(kaizen, published, key)
    assert code == 1, out
    assert first_finding(out) == expected, out
    assert err.startswith("kaizen: ") and "Traceback" not in err
    if tamper == "forged":
        assert "signature does not verify" in out
    else:
        assert f"from position {expected}" in err or "hash chain" in err


def test_without_the_published_leaves_the_finding_is_narrowed_to_between_checkpoints(
    desk: KaizenDesk, store_url: str, kaizen: Kaizen, key: Path, published: Path
) -> None:
    key_name = _history(desk)
    iid = desk.aggregate_id_of(key_name)
    third = position_of(desk, iid, 3)
    assert third is not None
    checkpoint(desk, key, published, up_to=third - 1)
    checkpoint(desk, key, published)
    leaves_file(published).unlink()  # only the signed lines survive: the checkpoints still say where
    rehash_from(desk, store_url, key_name, 3, lambda s: s.update(vendor_ticket="INC-9"))
    code, out, _ = verify_cli(kaizen, published, key)
    assert code == 1 and first_finding(out) == third, out


def test_the_worker_refuses_to_sign_over_an_edited_past(
    desk: KaizenDesk, store_url: str, key: Path, published: Path
) -> None:
    key_name = _history(desk)
    checkpoint(desk, key, published)
    rehash_from(desk, store_url, key_name, 2, lambda s: s.update(assignee="mallory"))
    before = log_file(published).read_text()
    with pytest.raises(CheckpointRefused, match=f"position {position_of(desk, desk.aggregate_id_of(key_name), 2)}"):
        checkpoint(desk, key, published)
    assert log_file(published).read_text() == before  # nothing signed over the edit


def test_old_checkpoints_verify_with_the_old_public_key_after_rotation(
    desk: KaizenDesk, kaizen: Kaizen, key: Path, published: Path, tmp_path: Path
) -> None:
    _history(desk)
    checkpoint(desk, key, published)
    new_key = tmp_path / "keys" / "checkpoint-2026.key"
    generate(new_key)
    desk.report(
        ctx(REPORTER),
        title="after rotation",
        description="d",
        module="finance",
        impact_scope="team",
        urgency="minor",
        vendor="sap",
    )
    checkpoint(desk, new_key, published)
    keys = [line["key_id"] for line in map(json.loads, log_file(published).read_text().splitlines())]
    assert len(set(keys)) == 2
    both = ("--public-key", str(public_path(key)), "--public-key", str(public_path(new_key)))
    code, out, _ = kaizen("audit", "verify", "--checkpoints", str(published), *both)
    assert code == 0 and "2 checkpoints" in out
    code, out, _ = kaizen("audit", "verify", "--checkpoints", str(published), "--public-key", str(public_path(new_key)))
    assert code == 1 and "not among the public keys given" in out  # the old one is needed for the old lines


def test_without_the_published_leaves_a_broken_chain_still_names_the_exact_position(
    desk: KaizenDesk, store_url: str, kaizen: Kaizen, key: Path, published: Path
) -> None:
    key_name = _history(desk)
    checkpoint(desk, key, published)
    leaves_file(published).unlink()
    table, agg = _table(store_url), ident(desk, store_url, key_name)
    state = _read_state(store_url, table, agg, 3)
    _execute(
        store_url,
        f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 3",
        (state.replace(b"INC-1", b"INC-9"), agg),
    )
    code, out, _ = verify_cli(kaizen, published, key)
    assert code == 1 and first_finding(out) == position_of(desk, desk.aggregate_id_of(key_name), 3), out
    assert f"{key_name}: chain broken at version 3" in out
