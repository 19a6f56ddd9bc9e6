"""Compile the console's gettext catalogues (`python -m interfaces.web.catalogues`).

`make catalogues` extracts and updates the `.po` files with pybabel, then runs this to write
each `.mo` beside its `.po`. Not `pybabel compile`: its format checker takes a percent sign
followed by a letter in plain text ("90% or more") for a `%o` placeholder and calls every
translation of it incompatible. The console fills only named `%(name)s` and `{name}`
placeholders (`i18n.fill`), and tests/unit/test_catalogues.py checks that each translation
keeps exactly the placeholders of its English text. The `.mo` files are committed, so an
install needs no build step; the same test checks that each one matches its `.po`.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from interfaces.web.i18n import CATALOGUES, LOCALES


def po_path(locale: str) -> Path:
    return CATALOGUES / locale / "LC_MESSAGES" / "messages.po"


def read(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def compiled(locale: str) -> bytes:
    """The `.mo` bytes of a locale's `.po` (fuzzy entries left out, as gettext does)."""
    buffer = io.BytesIO()
    write_mo(buffer, read(locale), use_fuzzy=False)
    return buffer.getvalue()


def untranslated(catalogue: Catalog) -> list[str]:
    """Message ids with no translation, or only a fuzzy (unchecked) one."""
    return [str(m.id) for m in catalogue if m.id and (not m.string or m.fuzzy)]


def main() -> int:
    missing = 0
    for locale in (name for name in LOCALES.values() if name != "en"):
        po_path(locale).with_suffix(".mo").write_bytes(compiled(locale))
        left = untranslated(read(locale))
        missing += len(left)
        print(f"{locale}: {len(left)} message(s) to translate" + (f", e.g. {left[0]!r}" if left else ""))
    return 0 if missing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
