"""The gettext catalogues, loaded outside any request: the console and the notifications read them.

The catalogues live beside the console (`interfaces/web/translations/<locale>/LC_MESSAGES/
messages.mo`, written by `make catalogues`); this module only reads them with Babel, so the
delivery worker (`projections.delivery`, which may not import `interfaces/`) gets a message in a
subscription's language through the `Transports.gettext_for` port, and `interfaces.web.i18n`
uses the same loader for the pages. Each language is loaded once per process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from babel.support import NullTranslations, Translations

from domain.notification_rules import LANGUAGES, subscription_language

# the languages' codes (as `domain.person.LANGUAGES`) -> Babel's locale names (the folders)
LOCALES = {"en": "en", "zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant", "id": "id", "vi": "vi"}
CATALOGUES = Path(__file__).resolve().parents[1] / "interfaces" / "web" / "translations"
_LOADED: dict[str, NullTranslations] = {}


def translations(code: str) -> NullTranslations:
    """The catalogue of one language code (`zh` is zh-Hans; English for any code not ours)."""
    code = subscription_language(code)
    code = code if code in LANGUAGES else "en"
    found = _LOADED.get(code)
    if found is None:
        found = NullTranslations() if code == "en" else Translations.load(str(CATALOGUES), [LOCALES[code]])
        _LOADED[code] = found
    return found


def gettext_for(code: str) -> Callable[[str], str]:
    """`gettext` of one language: what `domain.notification_messages.render` is given."""
    return translations(code).gettext
