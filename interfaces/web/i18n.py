"""The console's languages: English text, gettext catalogues for the others (Flask-Babel).

Templates and routes call `t("English text", name=value)`: the English text is the message id,
so a page reads naturally in the template and a string nobody has translated yet is shown in
English rather than breaking the page. `t` is gettext with both placeholder styles the console
has used, `{name}` and `%(name)s`, filled after translating.

The catalogues are `translations/<locale>/LC_MESSAGES/messages.po` (Simplified Chinese
`zh_Hans`, Traditional Chinese in Hong Kong usage `zh_Hant`, Indonesian `id`, Vietnamese `vi`),
with their compiled `.mo` committed beside them (tests/unit/test_catalogues.py checks that each
`.mo` matches its `.po`), so nothing is built at install or start. `make catalogues` extracts
every `t("...")` (Python and Jinja) and every `N_("...")` mark into `messages.pot`, updates the
catalogues and compiles them; a test fails while any message has no translation.

Which language: `?lang=` on any page (kept for the session; `?lang=zh` from old links is
Simplified Chinese), else the signed-in person's own `language`, else English. The codes are the
person's (`domain.person.LANGUAGES`); `<html lang>` gets the BCP 47 tag of the same code.
Data (issue titles, names) is shown as entered, whatever the language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.support import NullTranslations
from flask import Flask

from adapters import catalogues

LANGUAGES = ("en", "zh-Hans", "zh-Hant", "id", "vi")  # as domain.person.LANGUAGES
ALIASES = {"zh": "zh-Hans", "zh-CN": "zh-Hans", "zh-HK": "zh-Hant", "zh-TW": "zh-Hant"}  # old links
LOCALES = catalogues.LOCALES  # babel's names
NAMES = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文", "id": "Bahasa Indonesia", "vi": "Tiếng Việt"}
HTML_LANG = {code: code for code in LANGUAGES}  # the codes already are BCP 47 tags
CATALOGUES = catalogues.CATALOGUES


def code_for(value: object) -> str | None:
    """A language code from `?lang=`, a session or a person (None when it names none of ours)."""
    if not isinstance(value, str):
        return None
    value = ALIASES.get(value, value)
    return value if value in LANGUAGES else None


def for_person(person_language: str | None) -> str:
    """The language a person chose (English when they chose none we know)."""
    return code_for(person_language) or "en"


def N_(text: str) -> str:
    """Mark a message shown through `t(variable)` for extraction; returns it unchanged."""
    return text


def fill(text: str, values: dict[str, Any]) -> str:
    """Fill `%(name)s` or `{name}` placeholders (whichever the message uses)."""
    if not values:
        return text
    if "%(" in text:
        return text % values
    return text.format(**values)


def translations(code: str) -> NullTranslations:
    """The catalogue of one language, outside a request too (`adapters.catalogues` loads it,
    the same loader the notifications' delivery uses)."""
    return catalogues.translations(for_person(code))


def translator(code: str) -> Callable[..., str]:
    """`t` for one language: gettext, then the placeholders filled."""
    catalogue = translations(code)

    def t(text: str, **values: Any) -> str:
        return fill(catalogue.gettext(text), values)

    return t


def t(text: str, **values: Any) -> str:
    """`text` in the current request's language, placeholders filled after translating: for
    messages built on the server (flashed notices), which the page then shows as they are."""
    from flask_babel import gettext

    return fill(gettext(text), values)


def translate(text: str, lang: str, **values: Any) -> str:
    """`text` in `lang` (English when there is no entry), with its placeholders filled."""
    return translator(lang)(text, **values)


def install(app: Flask, locale: Callable[[], str]) -> None:
    """Flask-Babel on the app, choosing the locale of `locale()` (a code of LANGUAGES), so
    `flask_babel.gettext` and Jinja's `_()` agree with `t`."""
    from flask_babel import Babel

    Babel(
        app,
        locale_selector=lambda: LOCALES[for_person(locale())],
        default_translation_directories=str(CATALOGUES),
    )
