"""The console's gettext catalogues: every English text has a translation in every language.

A failure here names the untranslated strings: run `make catalogues` (extract, update, compile),
translate the new `msgstr ""` entries in interfaces/web/translations/*/LC_MESSAGES/messages.po,
and run `make catalogues` again so the committed `.mo` files match.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from interfaces.web import catalogues, i18n

ROOT = Path(__file__).resolve().parents[2]
LOCALES = [name for name in i18n.LOCALES.values() if name != "en"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every message id in the code and templates now, as `make catalogues` extracts them."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "t", "-k", "N_"]
    command += ["--no-default-keywords", "-o", str(pot), "."]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def navigation_labels() -> set[str]:
    """The menu's labels, which reach `t(label)` as data (interfaces/web/blueprint.py)."""
    source = (ROOT / "interfaces/web/blueprint.py").read_text(encoding="utf-8")
    return set(re.findall(r'\("console\.[a-z_]+", "([^"]+)"\)', source))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_none_is_fuzzy(locale: str, extracted: set[str]) -> None:
    catalogue = catalogues.read(locale)
    translated = {str(m.id) for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted((extracted | navigation_labels()) - translated)
    assert not missing, f"{locale}: {len(missing)} untranslated (run `make catalogues`): {missing[:20]}"
    assert not catalogues.untranslated(catalogue)


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    wrong = [
        m.id
        for m in catalogues.read(locale)
        if m.id and m.string and sorted(PLACEHOLDER.findall(str(m.id))) != sorted(PLACEHOLDER.findall(str(m.string)))
    ]
    assert not wrong


@pytest.mark.parametrize("locale", LOCALES)
def test_each_committed_mo_matches_its_po(locale: str) -> None:
    committed = catalogues.po_path(locale).with_suffix(".mo").read_bytes()
    assert committed == catalogues.compiled(locale), f"{locale}: run `make catalogues` to recompile"


def test_t_fills_both_placeholder_styles_after_translating() -> None:
    assert i18n.translate("Invitation link for {person}", "zh-Hans", person="ada") == "ada 的邀请链接"
    assert i18n.translate(
        "Times are in %(zone)s. Every figure comes from the same queries as the HTTP API", "en", zone="UTC"
    ).startswith("Times are in UTC.")
    assert i18n.translate("not a message anyone wrote", "vi") == "not a message anyone wrote"


def test_language_codes_and_old_links() -> None:
    assert [i18n.code_for(c) for c in ("zh", "zh-Hant", "vi", "fr", None)] == ["zh-Hans", "zh-Hant", "vi", None, None]
    assert i18n.for_person("id") == "id" and i18n.for_person(None) == "en"
