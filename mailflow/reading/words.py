"""Words as a member's word processor counts them, in every script.

`count_words` counts whitespace-separated tokens that hold a letter or digit, and each character of
a script written without spaces (Chinese, Japanese, Thai…) as one word, as Microsoft Word does;
`has_no_space_script` tells whether a text holds such a script (labels and names in those scripts
match without word boundaries); `visible` drops the characters that take no room on screen. This
module does not decide which text is counted (`mailflow.reading.contribution`, after
`mailflow.reading.quotes`).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "COVER_NOTE_WORDS",
    "INVISIBLE",
    "NO_SPACE_CHAR",
    "count_words",
    "has_no_space_script",
    "visible",
]

#: A note of at most this many words (and no section labels) only covers the real text: the mail
#: forwarded under it (`mailflow.reading.quotes`) or the document attached to it
#: (`mailflow.reading.contribution`).
COVER_NOTE_WORDS = 30

#: Characters that take no room on screen: the soft hyphen, the Arabic letter mark, zero-width
#: spaces and joiners, left-to-right and right-to-left marks, embeddings, overrides and isolates,
#: the word joiner and the byte-order mark. Mail clients and word processors put them before
#: labels and inside names; read as text they hide a label ("\u200fالمؤسسة:") or split a name.
INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def visible(text: str) -> str:
    """``text`` without the characters of `INVISIBLE`, for matching and counting (the stored text
    keeps them)."""
    return INVISIBLE.sub("", text) if INVISIBLE.search(text) else text


# Scripts written without spaces between words; Microsoft Word counts each of their characters
# as one word. Korean is written with spaces and is counted like Latin text.
_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x3035),  # kana repeat marks
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA9E0, 0xA9FF),  # Myanmar extended-B
    (0xAA60, 0xAA7F),  # Myanmar extended-A
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana
    (0x20000, 0x3134F),  # CJK extensions B–G
)


#: One character of `_NO_SPACE_RANGES` (a compiled class: far cheaper than testing each range).
NO_SPACE_CHAR = re.compile(
    "[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in _NO_SPACE_RANGES) + "]"
)


def has_no_space_script(text: str) -> bool:
    """True when ``text`` holds a character of a script written without spaces between words."""
    return NO_SPACE_CHAR.search(text) is not None


def _no_space_script(char: str) -> bool:
    return NO_SPACE_CHAR.match(char) is not None


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def count_words(text: str) -> int:
    """Words as a word processor counts them.

    Whitespace-separated tokens that contain a letter or digit count one each; punctuation-only
    tokens do not. Inside a token, each letter of a script written without spaces (Han, Kana,
    Thai, Lao, Khmer, Myanmar) counts as one word, and each run of other characters that holds a
    letter or digit counts one more ("Word2019年" is two words). Vietnamese is written with a
    space between syllables, so it counts per syllable, as Word does.
    """
    total = 0
    for token in text.split():
        if not NO_SPACE_CHAR.search(token):  # the common case: one word if it holds one
            total += any(_is_word_char(char) for char in token)
            continue
        in_run = False  # inside a run of spaced-script characters that holds a letter or digit
        for char in token:
            if _no_space_script(char):
                in_run = False
                if _is_word_char(char):
                    total += 1
            elif _is_word_char(char) and not in_run:
                # punctuation does not split a token: "e-learning" and "C3/C8" are one word
                total += 1
                in_run = True
    return total
