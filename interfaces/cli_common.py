"""What every `kaizen` command group shares: who the command line acts as, and the desk it opens.

Kept apart from `interfaces.cli` (the parser and the core commands) so that command groups in
their own modules (`interfaces.cli_subscriptions`) import these from here, and the parser can
import the groups without an import cycle.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from application.config import store_settings
from domain.actor import Actor

if TYPE_CHECKING:
    from application.desk import KaizenDesk


def cli_actor() -> Actor:
    """Events written from the command line name the operating-system user who ran it."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # a container user without a passwd entry
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return Actor(f"cli:{user}", "admin")


@contextmanager
def open_desk() -> Iterator[KaizenDesk]:
    """The desk on the configured store (KAIZEN_DATABASE_URL), closed when the command ends.

    The desk is imported here, not at module level, so that `kaizen --help` and usage errors
    answer without loading the application."""
    from adapters.dns import resolve_host
    from application.desk import KaizenDesk

    desk = KaizenDesk(store_settings())
    desk.resolver = resolve_host  # `kaizen subscriptions create` checks a webhook host's addresses
    try:
        yield desk
    finally:
        desk.close()
