"""English text with Simplified Chinese labels (`?lang=zh`, remembered in the session).

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
