"""The language a contribution is written in: ISO 639-1, decided by letters where one language alone
writes them, else by lingua's statistical detector.

`detect_language` reads the first few hundred characters of a text (URLs and addresses blanked
out). This module does not decide which text is the member's prose
(`mailflow.reading.contribution`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from mailflow.reading.links import without_links
from mailflow.reading.words import NO_SPACE_CHAR

if TYPE_CHECKING:
    from lingua import LanguageDetector

__all__ = ["detect_language"]

_MIN_LETTERS = 20  # shorter texts are guesses, and low-accuracy mode guesses worse
_MAX_DETECT_CHARS = 200  # lingua's time grows linearly with the text; its start is enough


@cache
def _detector() -> LanguageDetector:
    # Deferred: lingua takes a while to import, and only contributions need it (a leaf, no cycle).
    from lingua import Language, LanguageDetectorBuilder

    languages = (
        Language.ENGLISH,
        Language.FRENCH,
        Language.SPANISH,
        Language.VIETNAMESE,
        Language.ARABIC,
        Language.CHINESE,
        Language.RUSSIAN,
        Language.GERMAN,
        Language.PORTUGUESE,
        Language.JAPANESE,
        Language.ITALIAN,
        Language.DUTCH,
        Language.KOREAN,
        Language.INDONESIAN,
        Language.THAI,
        Language.UKRAINIAN,
        Language.PERSIAN,
        Language.TURKISH,
    )
    # Measured: the full models take 5-10 s to load (lazily on the first text of each script, or
    # all at once when preloaded); low-accuracy mode (trigrams only) preloads all 18 in about
    # 0.4 s and still tells these languages apart reliably on a sentence or more.
    builder = LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


# Letters that, among the languages the detector knows, only one of them writes. Where they
# decide, the statistical detector (most of the cost of understanding a contribution) is not
# asked: Arabic script is Arabic unless it has Persian's own letters, Cyrillic is Russian unless
# it has Ukrainian's, and Latin text dense with letters only Vietnamese uses (ă đ ơ ư, and the
# vowels with tone marks) is Vietnamese. The detector gives the same answer on every such text
# of the corpora; texts in between (a name in Vietnamese inside English prose, Vietnamese typed
# without diacritics) still go to it.
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3]")
_PERSIAN_LETTER = re.compile("[\u067e\u0686\u0698\u06a9\u06af\u06cc]")  # پ چ ژ ک گ ی
_CYRILLIC_LETTER = re.compile("[\u0400-\u04ff]")
_UKRAINIAN_LETTER = re.compile("[іїєґІЇЄҐ]")
_VIETNAMESE_LETTER = re.compile("[ăđơưĂĐƠƯ\u1ea0-\u1ef9]")
_SCRIPT_SHARE = 0.6  # of the letters, for a script to decide
_VIETNAMESE_SHARE = 0.04  # of the letters (Vietnamese prose has 0.15-0.25, other languages 0)


def _by_letters(plain: str, letters: int) -> str | None:
    """The language the ``letters`` letters of ``plain`` alone decide, or None to ask the
    detector."""
    if len(_ARABIC_LETTER.findall(plain)) >= _SCRIPT_SHARE * letters:
        return None if _PERSIAN_LETTER.search(plain) else "ar"
    if len(_CYRILLIC_LETTER.findall(plain)) >= _SCRIPT_SHARE * letters:
        return None if _UKRAINIAN_LETTER.search(plain) else "ru"
    if len(_VIETNAMESE_LETTER.findall(plain)) >= _VIETNAMESE_SHARE * letters:
        return "vi"
    return None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the language ``text`` is written in, or None when too short or unsure."""
    plain = without_links(text[:_MAX_DETECT_CHARS])
    alphabetic = sum(1 for char in plain if char.isalpha())
    # A Han or Kana character says about as much as a syllable of an alphabetic script.
    weight = alphabetic + 2 * sum(1 for char in NO_SPACE_CHAR.findall(plain) if char.isalpha())
    if weight < _MIN_LETTERS:
        return None
    by_letters = _by_letters(plain, alphabetic)
    if by_letters is not None:
        return by_letters
    language = _detector().detect_language_of(plain)
    if language is None:
        return None
    return str(language.iso_code_639_1.name.lower())
