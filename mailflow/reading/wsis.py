"""Reference data: the eleven WSIS Action Lines, their names, and the labels of a contribution.

Loads `mailflow/data/wsis_action_lines.json` once, at import, into immutable objects: the action
lines C1–C11 with their names per language (en, fr, es, ru, zh, ar, vi), the C7 sub-lines
(e-learning, e-health, …), names that only count inside an action-lines section, phrases that
contain a name without meaning it, and the section labels members use. It also holds `fold`, the
accent- and case-insensitive normal form that every matcher compares in. It does not look for any
of this in a text: recognising action lines and sections lives in `mailflow.reading.contribution`.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from types import MappingProxyType
from typing import Any

LANGUAGES = ("en", "fr", "es", "ru", "zh", "ar", "vi")

FIELDS = (
    "organisation",
    "country",
    "action_lines",
    "why",
    "outputs",
    "achievements",
    "trends",
    "obstacles",
    "future_actions",
)


@dataclass(frozen=True)
class ActionLine:
    """One WSIS Action Line: its code and the names it goes by.

    `names` holds, per language, the names shown to people first (official, then working
    renderings) and then short forms used only for matching. `sub_lines` (C7 only) maps a
    sub-line key such as "e-learning" to its names in any language. `section_only` lists names
    too ambiguous to count outside an action-lines section (e.g. "Media").
    """

    code: str
    names: Mapping[str, tuple[str, ...]]
    sub_lines: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    section_only: tuple[str, ...] = ()

    @property
    def number(self) -> int:
        """The number of the line: 3 for "C3"."""
        return int(self.code[1:])

    def name(self, language: str = "en") -> str:
        """The first name in ``language`` (e.g. "vi" or "vi-VN"), else the English one."""
        names = self.names.get(language.split("-")[0].split("_")[0].lower()) or self.names["en"]
        return names[0]


# Characters folded beyond what Unicode decomposition does: Vietnamese and other barred letters,
# typographic apostrophes and dashes, and Arabic letter variants (hamza carriers, alef maqsura,
# teh marbuta) that members write interchangeably.
_EXTRA_FOLD = str.maketrans(
    {
        "đ": "d",
        "ð": "d",
        "ø": "o",
        "ł": "l",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "´": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ـ": "",
    }
)


@functools.lru_cache(maxsize=65536)  # a text repeats its characters: fold each once
def fold_char(char: str) -> str:
    """The folded form of one character: compatibility-decomposed, marks dropped, casefolded."""
    if char.isascii():
        return char.lower()
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.casefold().translate(_EXTRA_FOLD)


def fold(text: str) -> str:
    """Accent-, case- and width-insensitive form of ``text`` for matching, never for display."""
    if text.isascii():
        return text.lower()
    return "".join(map(fold_char, text))


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and the index in ``text`` of each folded character (plus one past the end)."""
    if text.isascii():  # one character each, in place
        return text.lower(), list(range(len(text) + 1))
    pieces = list(map(fold_char, text))
    folded = "".join(pieces)
    if len(folded) == len(text) and "" not in pieces:  # still one character each
        return folded, list(range(len(text) + 1))
    index: list[int] = []
    for position, piece in enumerate(pieces):
        index.extend([position] * len(piece))
    index.append(len(text))
    return folded, index


def _names_of(entry: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    names: dict[str, tuple[str, ...]] = {}
    for language in LANGUAGES:
        value = entry.get(language)
        if value is None:
            continue
        if isinstance(value, list):
            listed = value
        else:
            listed = [
                *value.get("official", []),
                *value.get("working", []),
                *value.get("short", []),
            ]
        names[language] = tuple(dict.fromkeys(listed))
    return names


def _load() -> tuple[
    tuple[ActionLine, ...], dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...]
]:
    resource = files("mailflow") / "data" / "wsis_action_lines.json"
    data = json.loads(resource.read_text(encoding="utf-8"))
    lines = tuple(
        ActionLine(
            code=entry["code"],
            names=MappingProxyType(_names_of(entry)),
            sub_lines=MappingProxyType(
                {key: tuple(value) for key, value in entry.get("sub_lines", {}).items()}
            ),
            section_only=tuple(entry.get("section_only", ())),
        )
        for entry in data["action_lines"]
    )
    labels = {name: tuple(data["section_labels"][name]) for name in FIELDS}
    other = tuple(data["section_labels"].get("other", ()))
    return lines, labels, other, tuple(data.get("stop_phrases", ()))


_LINES, _LABELS, _OTHER, _STOP = _load()

ACTION_LINES: tuple[ActionLine, ...] = tuple(sorted(_LINES, key=lambda line: line.number))
SECTION_LABELS: Mapping[str, tuple[str, ...]] = MappingProxyType(_LABELS)
# Labels of lines that are not part of a contribution (contact details, dates): they end the
# section before them and open none.
OTHER_LABELS: tuple[str, ...] = _OTHER
STOP_PHRASES: tuple[str, ...] = _STOP
C7_SUBLINES: tuple[str, ...] = tuple(
    key for line in ACTION_LINES for key in line.sub_lines if line.code == "C7"
)
_BY_CODE = {line.code: line for line in ACTION_LINES}


def action_line(code: str) -> ActionLine:
    """The action line with ``code`` ("C3", also "c3"); KeyError for an unknown code."""
    return _BY_CODE[code.strip().upper()]
