"""English text with Simplified Chinese labels (`?lang=zh`, remembered in the session).

A signed-in person's own `language` (set on /console/me) chooses the labels unless they picked
one with `?lang=` in this session: `zh-Hans` and `zh-Hant` both show the Simplified Chinese
catalogue (there is no Traditional one yet; Hong Kong readers read it, if not gladly), and `id`
and `vi` show English until someone writes `translations/id.json` or `vi.json`.

The translations are a JSON object keyed by the English text (`translations/zh.json`), not a
gettext catalogue: the console has a few hundred short strings, no plural forms to speak of,
and no translators' toolchain to feed; a data file is what a translator can edit without
touching code. A string without an entry is shown in English, so a missing entry degrades a
page, never breaks it. Data (issue titles, names) is shown as entered, whatever the language.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

LANGUAGES = ("en", "zh")
# A person's language (domain.person.LANGUAGES) -> the catalogue that shows it.
PERSON_LANGUAGES = {"en": "en", "zh-Hans": "zh", "zh-Hant": "zh", "id": "en", "vi": "en"}
HTML_LANG = {"en": "en", "zh": "zh-Hans"}  # what the page's text is in, for `<html lang>`


def for_person(person_language: str | None) -> str:
    """The catalogue for a person's chosen language (English when there is none for it)."""
    return PERSON_LANGUAGES.get(person_language or "en", "en")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations of one language (English has none: it is the key)."""
    if lang == "en":
        return {}
    text = files("interfaces.web").joinpath("translations", f"{lang}.json").read_text(encoding="utf-8")
    found: dict[str, str] = json.loads(text)
    return found


def translate(text: str, lang: str, **values: Any) -> str:
    """`text` in `lang` (English when there is no entry), with `{name}` placeholders filled."""
    found = catalogue(lang).get(text, text) if lang in LANGUAGES else text
    return found.format(**values) if values else found
