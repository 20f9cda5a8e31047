"""Labelled sections of a contribution's text: "Organisation:", "Obstacles:", … in seven languages.

`find_sections` splits a text at the lines that start with a known label (after quote marks,
numbering, bullets or bold markers, and followed by a colon, a question mark, a table bar, a wide
gap or the end of the line) and returns ``{field: text}`` for the fields of `mailflow.reading.wsis`,
plus whether any label was found. The labels themselves live in `mailflow.reading.wsis`
(``SECTION_LABELS``, ``OTHER_LABELS``); this module only builds the patterns that find them. It does
not choose which text to read (`mailflow.reading.contribution`), recognise action lines
(`mailflow.reading.action_lines`), collect links or count words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from mailflow.reading import wsis
from mailflow.reading.words import has_no_space_script

__all__ = ["find_sections", "match_key"]

_BOLD = r"(?:\*\*|__|\*|_)"
# Quote marks, table bars, bullets, numbering ("1.", "1)", "1 -", "Q1:", "I.", "a)", "一、",
# "（二）") and bold
# markers before a label. Possessive quantifiers keep long runs of spaces or bullets linear.
_PREFIX = (
    r"^[\s>#|]*+(?:[-*•·▪►●○◦‣⁃+¿¡]\s*+)*+"
    r"(?:(?:\(?(?:\d{1,2}(?:\.\d{1,2})*|[ivx]{1,4}|[a-h])[.)、:．]|\(\d{1,2}\)"
    r"|\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}[ \t]*[-/][ \t]*|(?:q|question)[ \t]*\d{1,2}[ \t]*[.):：-]?"
    r"|[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）])\s*+)?"
    rf"(?:[-*•·▪►●]\s*+)?{_BOLD}?\s*+"
)
_AFTER_LABEL = (
    rf"(?![^\W_])(?:\s*{_BOLD})?(?:\s*[(（][^)）\n]{{0,80}}[)）])?(?:\s*{_BOLD})?"
    r"(?:\s*[:：]|\s*[?？؟][:：]?|\s*\||[ \t]+-[ \t]+|\t|[ \t]{2,}|\s*$)"
    rf"(?:\s*{_BOLD}(?!\w))?\s*(?P<rest>.*)$"
)
# How far into a line a label and its separator can reach: numbering and bullets, the longest
# label, a parenthesis of up to 80 characters and the separator, or a heading's 60 more
# characters and its colon. What follows is the section's text, which needs no folding.
_LABEL_REACH = 400
_ONE_LINE = ("organisation", "country")  # fields whose value is the first line of the section
# Labels of these fields are names of things; a longer heading that starts with one is prose.
_NO_LONG_HEADING = ("organisation", "country")


def match_key(text: str) -> str:
    """A folded label or name without spaces, hyphens and apostrophes, for comparing spellings."""
    return re.sub(r"[\s\-']", "", text)


@cache
def _label_patterns() -> tuple[
    re.Pattern[str], re.Pattern[str], re.Pattern[str], dict[str, tuple[str, ...]]
]:
    fields_of: dict[str, list[str]] = {}  # match key of a label -> the fields it opens
    labels: dict[str, str] = {}  # folded label -> its match key
    for field_name in wsis.FIELDS:
        for label in wsis.SECTION_LABELS[field_name]:
            folded = " ".join(wsis.fold(label).split())
            key = match_key(folded)
            labels[folded] = key
            fields_of.setdefault(key, [])
            if field_name not in fields_of[key]:
                fields_of[key].append(field_name)
    for label in wsis.OTHER_LABELS:
        folded = " ".join(wsis.fold(label).split())
        labels.setdefault(folded, match_key(folded))
        fields_of.setdefault(match_key(folded), [])

    def alternation(folded_labels: Iterable[str]) -> str:
        ordered = sorted(folded_labels, key=lambda label: (-len(label), label))
        return "|".join(
            re.escape(label).replace(r"\ ", r"\s+").replace("'", r"['\s]?") for label in ordered
        )

    exact = re.compile(rf"{_PREFIX}(?P<label>{alternation(labels)}){_AFTER_LABEL}")
    long_labels = [
        label
        for label, key in labels.items()
        if fields_of[key] and not set(fields_of[key]) & set(_NO_LONG_HEADING)
    ]
    heading = re.compile(
        rf"{_PREFIX}(?P<label>{alternation(long_labels)})(?P<extra>\s[^:：\n]{{1,60}}?)"
        rf"\s*{_BOLD}?\s*[:：]\s*{_BOLD}?\s*$"
    )
    # Chinese and Japanese prose has no spaces, so one space (often an ideographic one) between a
    # label in those scripts and more such text is separator enough: "机构　国家图书馆" (but not
    # "图书馆 2025 年…", where the space only sets off a number).
    unspaced = [label for label in labels if has_no_space_script(label)]
    spaced_cjk = re.compile(
        rf"{_PREFIX}(?P<label>{alternation(unspaced)}){_BOLD}?\s+(?P<rest>[^\s\x00-\x7f].*)$"
    )
    return exact, heading, spaced_cjk, {key: tuple(value) for key, value in fields_of.items()}


def _match_label(line: str) -> tuple[tuple[str, ...], str] | None:
    """The fields a label line opens and the text after the label, or None for other lines."""
    line = line.strip()
    if not line:
        return None
    exact, heading, spaced_cjk, fields_of = _label_patterns()
    # Only the start of a line can hold a label and what sets it off: fold no more of it.
    folded, index = wsis.fold_with_map(line[:_LABEL_REACH])
    match = exact.match(folded) or spaced_cjk.match(folded)
    if match is None:
        if len(line) > _LABEL_REACH:
            return None  # a heading is a short line that ends with its colon
        match = heading.match(folded)
        if match is None or len(match.group("extra").split()) > 6:
            return None
        rest = ""
    else:
        rest = line[index[match.start("rest")] :].strip().strip("|").strip()
    found = fields_of.get(match_key(match.group("label")))
    if found is None:
        return None
    return found, rest


def find_sections(text: str) -> tuple[dict[str, str], bool]:
    """Labelled sections of ``text`` as {field: text}, and whether any label was found.

    A label opens a section when it starts a line (after numbering, bullets or bold markers) and
    is followed by a colon, a question mark, a table bar, a wide gap or the end of the line; the
    section runs to the next label. Sections left empty are not returned. A field labelled twice
    gets both texts. Organisation and country keep only their first line. Labels of other things
    (contact, e-mail, date…) end a section without opening one, and alone do not make a text
    labelled.
    """
    sections: list[tuple[tuple[str, ...], list[str]]] = []
    labelled = False
    for line in text.splitlines():
        found = _match_label(line)
        if found is not None:
            labelled = labelled or bool(found[0])  # contact or date lines alone are not sections
            sections.append((found[0], [found[1]] if found[1] else []))
        elif sections:
            sections[-1][1].append(line)
    fields: dict[str, str] = {}
    for names, lines in sections:
        body = "\n".join(lines).strip()
        if body and set(names) <= set(_ONE_LINE):
            body = body.splitlines()[0].strip()  # prose after "Country: X" is not the country
        if not body:
            continue
        for name in names:
            fields[name] = f"{fields[name]}\n\n{body}" if name in fields else body
    return {name: fields[name] for name in wsis.FIELDS if name in fields}, labelled
