"""WSIS action lines named in a text: by code ("C3", "AL 3", "C3–C5"), by number after "Action
line", and by name in seven languages ("Capacity building", "xây dựng năng lực" → C4).

`find_action_lines` and `find_c7_sublines` read a text (an action-lines section, or a whole
contribution without one) and return the codes and C7 sub-lines it names; `scan` returns both at
once. The names come from `mailflow.reading.wsis`. This module does not decide which text to read
(`mailflow.reading.contribution`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Any

from mailflow.reading import wsis
from mailflow.reading.links import blank_out, without_links
from mailflow.reading.sections import match_key
from mailflow.reading.words import has_no_space_script

__all__ = ["find_action_lines", "find_c7_sublines", "scan"]

_LATIN = r"0-9A-Za-z\u00C0-\u024F\u1E00-\u1EFF"
# C3, c3, C 3, C-3, C.3, AL3, AL 3, AL-3; never inside a word (ABC1) or a number (C1000).
_CODE = re.compile(rf"(?<![{_LATIN}])(?:[Cc]|AL)[ \t]?[-.]?[ \t]?(1[01]|[1-9])(?![0-9A-Za-z])")
# A range "C3–C5" names C3, C4 and C5; "C1–C11" is how calls and templates refer to the whole
# list, so it names none.
_RANGE = re.compile(
    rf"(?<![{_LATIN}])[Cc][ \t]?(1[01]|[1-9])[ \t]*[-–—~][ \t]*"
    r"[Cc][ \t]?(1[01]|[1-9])(?![0-9A-Za-z])"
)
# "Action line 3", "lignes d'action 3 et 8", … with bare numbers; on folded text.
_NUMBERED = re.compile(
    r"(?:action\s+lines?|lignes?\s+d'action|lineas?\s+de\s+accion|"
    r"(?:dong|huong)\s+hanh\s+dong|направлени[еяй](?:\s+деятельности)?|行动方针|خطوط?\s+العمل)"
    r"\s*(?:no\.?|n°|nº|#)?\s*"
    r"((?<![0-9])(?:1[01]|[1-9])(?![0-9])"
    r"(?:\s*(?:,|/|&|\+|;|and|et|y|va|и|和|、|و)\s*(?:1[01]|[1-9])(?![0-9]))*)"
)
_NUMBER = re.compile(r"(?<![0-9])(?:1[01]|[1-9])(?![0-9])")


_ARABIC = re.compile(r"[\u0600-\u06FF]")
_END = ""


def _atoms(folded: str) -> list[str]:
    """Regex atoms of a folded name: spaces and hyphens interchangeable, apostrophes optional."""
    special = {" ": r"[\s-]+", "-": r"[-\s]?", "'": r"['\s]?"}
    return [special.get(char, re.escape(char)) for char in folded]


def _trie_regex(names: Iterable[str]) -> str:
    """One regex for many folded names, shared prefixes merged so each position is tried once.

    Greedy optional tails make the longest name win at a given start ("access to information
    and knowledge" over "access to information").
    """
    root: dict[str, Any] = {}
    for name in names:
        node = root
        for atom in _atoms(name):
            node = node.setdefault(atom, {})
        node[_END] = {}

    def render(node: dict[str, Any]) -> str:
        branches = [atom + render(child) for atom, child in sorted(node.items()) if atom != _END]
        if not branches:
            return ""
        if len(branches) == 1 and _END not in node:
            return branches[0]
        return f"(?:{'|'.join(branches)}){'?' if _END in node else ''}"

    return render(root)


def _first_chars(names: Iterable[str]) -> str:
    return "".join(sorted({re.escape(name[0]) for name in names}))


@cache
def _name_matcher(section: bool) -> tuple[re.Pattern[str], dict[str, tuple[str, str] | None]]:
    """One pattern for every name, and what each match means.

    A match maps to (code, sub-line or "") or to None for a stop phrase: a phrase that contains
    a name without meaning it ("social media"), consumed so the name inside it is not counted.
    Names in scripts written without spaces match anywhere; others only as whole words, Arabic
    ones also behind a joined conjunction or preposition (و ف ب ل ك).
    """
    meaning: dict[str, tuple[str, str] | None] = {}
    folded_names: list[str] = []

    def add(name: str, value: tuple[str, str] | None) -> None:
        folded = " ".join(wsis.fold(name).split())
        key = match_key(folded)
        if key and key not in meaning:
            meaning[key] = value
        if folded and folded not in folded_names:
            folded_names.append(folded)

    for phrase in wsis.STOP_PHRASES:
        add(phrase, None)
    for line in wsis.ACTION_LINES:
        ambiguous = {match_key(wsis.fold(name)) for name in line.section_only}
        for names in line.names.values():
            for name in names:
                if section or match_key(wsis.fold(name)) not in ambiguous:
                    add(name, (line.code, ""))
        if section:
            for name in line.section_only:
                add(name, (line.code, ""))
        for sub_line, names in line.sub_lines.items():
            for name in (sub_line, *names):
                add(name, (line.code, sub_line))
    unspaced = [name for name in folded_names if has_no_space_script(name)]
    arabic = [name for name in folded_names if name not in unspaced and _ARABIC.search(name)]
    spaced = [name for name in folded_names if name not in unspaced and name not in arabic]
    word = r"(?<![^\W_])(?=[{first}]){prefix}(?:{trie})(?![^\W_])"
    alternatives = []
    if spaced:
        alternatives.append(
            word.format(first=_first_chars(spaced), prefix="", trie=_trie_regex(spaced))
        )
    if arabic:
        first = "وفبلك" + _first_chars(arabic)
        alternatives.append(word.format(first=first, prefix="[وفبلك]?", trie=_trie_regex(arabic)))
    if unspaced:
        alternatives.append(f"(?=[{_first_chars(unspaced)}])(?:{_trie_regex(unspaced)})")
    return re.compile("|".join(alternatives) or r"(?!)"), meaning


def scan(text: str, *, section: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(action lines, C7 sub-lines) named in ``text``; see `find_action_lines`."""
    normal = unicodedata.normalize("NFKC", text)
    normal = without_links(normal)
    numbers: set[int] = set()
    for match in _RANGE.finditer(normal):
        first, last = int(match.group(1)), int(match.group(2))
        if (first, last) != (1, 11):
            numbers.update(range(first, last + 1) if first < last else (first, last))
    normal = blank_out(_RANGE, normal)
    numbers.update(int(match.group(1)) for match in _CODE.finditer(normal))
    folded = wsis.fold(normal)
    for match in _NUMBERED.finditer(folded):
        numbers.update(int(number) for number in _NUMBER.findall(match.group(1)))
    pattern, meaning = _name_matcher(section)
    sub_lines: set[str] = set()
    for match in pattern.finditer(folded):
        key = match_key(match.group())
        value = meaning.get(key, meaning.get(key[1:]))  # key[1:]: an attached Arabic prefix
        if value is None:
            continue
        code, sub_line = value
        numbers.add(int(code[1:]))
        if sub_line:
            sub_lines.add(sub_line)
    order = {key: index for index, key in enumerate(wsis.C7_SUBLINES)}
    return (
        tuple(f"C{number}" for number in sorted(numbers)),
        tuple(sorted(sub_lines, key=lambda key: order.get(key, len(order)))),
    )


def find_action_lines(text: str, *, section: bool = False) -> tuple[str, ...]:
    """Action lines named in ``text`` by code or by name, sorted by number ("C3", "C8").

    With ``section=True`` the text is an action-lines section, where also names too ambiguous
    for free text count ("Media" → C9). A C7 sub-line ("e-learning") implies C7.
    """
    return scan(text, section=section)[0]


def find_c7_sublines(text: str, *, section: bool = False) -> tuple[str, ...]:
    """The C7 sub-lines named in ``text`` ("e-learning", "e-health", …) in reference order."""
    return scan(text, section=section)[1]
