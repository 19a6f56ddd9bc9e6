"""How long a worker trusts a token as it read it, on SQLite and PostgreSQL.

A second `KaizenDesk` on the same store stands for another process (`kaizen token revoke`).
"""

from __future__ import annotations

import time

from application.config import store_settings
from application.desk import KaizenDesk
from tests.conftest import ctx


def test_another_process_revocation_takes_effect_within_the_window(desk: KaizenDesk, store_url: str) -> None:
    token_id, plain = desk.issue_token(ctx(), "admin", "leaver")
    window = 0.3
    assert desk.authenticate(plain, fresh_within=window) is not None
    other = KaizenDesk(store_settings(store_url))
    try:
        other.revoke_token(ctx(), token_id)
    finally:
        other.close()
    assert desk.authenticate(plain) is None  # no window: read now, refused at once
    revoked_at = time.monotonic()
    while desk.authenticate(plain, fresh_within=window) is not None:
        assert time.monotonic() - revoked_at <= window, "a revoked token outlived the window"
        time.sleep(0.02)


def test_this_process_revocation_takes_effect_at_once(desk: KaizenDesk) -> None:
    token_id, plain = desk.issue_token(ctx(), "auditor", "internal audit")
    assert desk.authenticate(plain, fresh_within=300) is not None
    desk.revoke_token(ctx(), token_id)
    assert desk.authenticate(plain, fresh_within=300) is None


def test_a_wrong_secret_is_refused_even_when_the_token_was_just_read(desk: KaizenDesk) -> None:
    _, plain = desk.issue_token(ctx(), "reporter", "lina")
    principal = desk.authenticate(plain, fresh_within=300)
    assert principal is not None and (principal.role, principal.subject) == ("reporter", "lina")
    guessed = plain[:-1] + ("A" if plain[-1] != "A" else "B")
    assert desk.authenticate(guessed, fresh_within=300) is None
    assert desk.authenticate(plain, fresh_within=300) == principal
