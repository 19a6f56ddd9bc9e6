"""How two suggestion titles are made comparable, before any fuzzy scoring.

Staff write titles in English, Chinese, Indonesian, Vietnamese and Sinhala, often mixed. Word
based fuzzy matching works for scripts that separate words with spaces, but a Chinese title is
one unbroken run of characters, so comparing it as a single "word" makes every pair of Chinese
titles look unrelated (or, with partial matching, related). We therefore turn a title into
*tokens*: words for spaced scripts, and overlapping character bigrams for runs of CJK characters
(Han, kana, Hangul). Two Chinese titles that share most bigrams then share most tokens, exactly
as two English titles that share most words do, and a token-set scorer can treat both alike.

Pure: standard library only. The scoring itself (rapidfuzz) lives in the projections.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Han (incl. extension A and compatibility), Hiragana, Katakana, Hangul syllables.
_CJK_CLASS: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_RUN: Final = re.compile(f"[{_CJK_CLASS}]+")
_SPLIT: Final = re.compile(f"[{_CJK_CLASS}]+|[^{_CJK_CLASS}]+")
_NOT_WORD: Final = re.compile(r"[^\w\s]")
NGRAM: Final = 2


def normalise_title(title: str) -> str:
    """NFKC (full-width letters become ASCII), case-folded, punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", title).casefold()
    text = _NOT_WORD.sub(" ", text)
    return " ".join(text.split())


def _ngrams(run: str, n: int = NGRAM) -> list[str]:
    if len(run) <= n:
        return [run]
    return [run[i : i + n] for i in range(len(run) - n + 1)]


def title_tokens(title: str) -> list[str]:
    """The tokens a title is compared by: words, and character bigrams inside CJK runs.

    `"月结报表 export"` -> `["月结", "结报", "报表", "export"]`.
    """
    tokens: list[str] = []
    for word in normalise_title(title).split():
        for part in _SPLIT.findall(word):
            tokens.extend(_ngrams(part) if _CJK_RUN.fullmatch(part) else [part])
    return tokens


def match_text(title: str) -> str:
    """The tokens joined by spaces: the string a token-based fuzzy scorer is given."""
    return " ".join(title_tokens(title))
