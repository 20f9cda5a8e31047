"""Text of a message -> the fields of a WSIS contribution, its action lines, links and word count.

`extract` is a pure function of a `MessageText` (from `mailflow.reading.mime`): it chooses where the
contribution is (the body, a document attachment after a short cover note, or both), removes quoted
replies, signatures and disclaimers with `mailflow.reading.quotes.strip_reply`, takes the labelled
sections from `mailflow.reading.sections.find_sections` (re-exported here), recognises action lines
by code and by name (`find_action_lines`), collects http(s) links (`find_links`), counts words as a
word processor does (`count_words`) and detects the language with lingua (`detect_language`). It
never raises on odd text. It does not decode MIME (`mailflow.reading.mime`), parse labelled sections
(`mailflow.reading.sections`), judge the result (`mailflow.reading.validate`) or store anything
(`mailflow.ledger`); the names and labels it looks for live in `mailflow.reading.wsis`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mailflow.reading import wsis
from mailflow.reading.quotes import strip_reply
from mailflow.reading.sections import find_sections, match_key

if TYPE_CHECKING:
    from lingua import LanguageDetector

    from mailflow.reading.mime import AttachmentText, MessageText

WORD_COUNT_METHOD = "word-processor"
COVER_NOTE_WORDS = 40  # a body shorter than this, without labels, is a cover note
DOCUMENT_SUFFIXES = (".docx", ".odt", ".pdf", ".txt", ".html", ".htm")
# Formats members send that mailflow cannot read; worth telling them about.
UNREADABLE_SUFFIXES = (".doc", ".rtf", ".pages", ".wpd", ".wps", ".hwp")


@dataclass(frozen=True)
class Contribution:
    """What was understood from one message."""

    text: str  # the text as counted (reply quotes, signature, disclaimer removed)
    full_text: str  # everything that was read (body + attachment text)
    source: str  # "body", "attachment:<filename>" or "body+attachment:<filename>"
    fields: Mapping[str, str]  # sections found, keys from wsis.FIELDS
    action_lines: tuple[str, ...]  # sorted by number: ("C3", "C8")
    c7_sublines: tuple[str, ...]  # e.g. ("e-learning", "e-science")
    links: tuple[str, ...]  # http(s) URLs, de-duplicated, in order of first appearance
    word_count: int
    word_count_method: str
    language: str | None  # ISO 639-1 or None
    labelled: bool  # True when labelled sections were found
    unreadable: tuple[str, ...] = field(default=())  # document attachments that could not be read


# ---------------------------------------------------------------------------------------------
# Word count

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
_NO_SPACE_CHAR = re.compile(
    "[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in _NO_SPACE_RANGES) + "]"
)


def _no_space_script(char: str) -> bool:
    return _NO_SPACE_CHAR.match(char) is not None


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
        if not _NO_SPACE_CHAR.search(token):  # the common case: one word if it holds one
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


# ---------------------------------------------------------------------------------------------
# Links

# A URL may follow CJK text with no space ("网址https://…"); it ends at whitespace, brackets,
# quotes, CJK punctuation, full-width forms or a Han character.
_URL = re.compile(
    r"""(?i)(?<![A-Za-z0-9@])https?://"""
    r"""[^\s<>"'`\[\]{}|\\^\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+"""
)
_TRAILING = ".,;:!?'\"*_»”’›)]}>…"
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # lookbehind: linear time


def _clean_url(url: str) -> str:
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a balanced parenthesis belongs to the URL (Wikipedia style)
        url = url[:-1]
    return url


def _link_key(url: str) -> str:
    parts = urlsplit(url)
    rest = url[len(parts.scheme) + 3 + len(parts.netloc) :]
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{rest}".rstrip("/")


def _valid(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and "." in parts.netloc.strip(".")


def find_links(text: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """http(s) URLs in ``text``, then those in ``extra``, de-duplicated in order of appearance.

    Trailing punctuation and unbalanced closing brackets are not part of a URL; two URLs that
    differ only in the case of scheme and host or in a trailing slash are the same link.
    """
    found: dict[str, str] = {}
    candidates = [_clean_url(match.group()) for match in _URL.finditer(text)]
    candidates += [_clean_url(url.strip()) for url in extra]
    for url in candidates:
        if _valid(url):
            found.setdefault(_link_key(url), url)
    return tuple(found.values())


def _mask(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda match: " " * len(match.group()), text)


# ---------------------------------------------------------------------------------------------
# Action lines

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


def _has_no_space_script(text: str) -> bool:
    return _NO_SPACE_CHAR.search(text) is not None


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
    unspaced = [name for name in folded_names if _has_no_space_script(name)]
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


def _scan_action_lines(text: str, *, section: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    normal = unicodedata.normalize("NFKC", text)
    normal = _mask(_EMAIL, _mask(_URL, normal))
    numbers: set[int] = set()
    for match in _RANGE.finditer(normal):
        first, last = int(match.group(1)), int(match.group(2))
        if (first, last) != (1, 11):
            numbers.update(range(first, last + 1) if first < last else (first, last))
    normal = _mask(_RANGE, normal)
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
    return _scan_action_lines(text, section=section)[0]


def find_c7_sublines(text: str, *, section: bool = False) -> tuple[str, ...]:
    """The C7 sub-lines named in ``text`` ("e-learning", "e-health", …) in reference order."""
    return _scan_action_lines(text, section=section)[1]


# ---------------------------------------------------------------------------------------------
# Language

_MIN_LETTERS = 20  # shorter texts are guesses, and low-accuracy mode guesses worse
_MAX_DETECT_CHARS = 200  # lingua's time grows linearly with the text; its start is enough


@cache
def _detector() -> LanguageDetector:
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
    plain = _mask(_EMAIL, _mask(_URL, text[:_MAX_DETECT_CHARS]))
    alphabetic = sum(1 for char in plain if char.isalpha())
    # A Han or Kana character says about as much as a syllable of an alphabetic script.
    weight = alphabetic + 2 * sum(1 for char in _NO_SPACE_CHAR.findall(plain) if char.isalpha())
    if weight < _MIN_LETTERS:
        return None
    by_letters = _by_letters(plain, alphabetic)
    if by_letters is not None:
        return by_letters
    language = _detector().detect_language_of(plain)
    if language is None:
        return None
    return str(language.iso_code_639_1.name.lower())


# ---------------------------------------------------------------------------------------------
# Extraction


def _is_document(attachment: AttachmentText) -> bool:
    name = attachment.filename.lower()
    return name.endswith(DOCUMENT_SUFFIXES) or attachment.content_type.lower() in (
        "text/plain",
        "text/html",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
    )


def _strip(text: str) -> str:
    return strip_reply(text).text.strip()


def _choose(message: MessageText) -> tuple[str, str]:
    """(counted text, source): the body, a document after a cover note, or both."""
    body = _strip(message.body)
    documents = [a for a in message.attachments if a.text.strip() and _is_document(a)]
    if not documents:
        return body, "body"
    document = documents[0]
    attached = _strip(document.text)
    body_is_note = count_words(body) < COVER_NOTE_WORDS and not find_sections(body)[1]
    if body_is_note:
        return attached, f"attachment:{document.filename}"
    if count_words(attached) >= COVER_NOTE_WORDS or find_sections(attached)[1]:
        return f"{body}\n\n{attached}", f"body+attachment:{document.filename}"
    return body, "body"


def _unreadable(attachments: Iterable[AttachmentText]) -> tuple[str, ...]:
    return tuple(
        attachment.filename
        for attachment in attachments
        if attachment.problem is not None
        # Attachments skipped at the reading limit are covered by the one `too_large` warning.
        and attachment.problem != "skipped_limit"
        and not attachment.text.strip()
        and (
            attachment.problem != "unsupported_type"
            or attachment.filename.lower().endswith(UNREADABLE_SUFFIXES)
        )
    )


def _language(text: str, fields: Mapping[str, str]) -> str | None:
    """The language of what the member wrote: the prose of the sections when there are any, so
    that template labels in another language (English labels, Vietnamese text) do not decide."""
    prose = "\n".join(
        dict.fromkeys(  # a combined section fills several fields with the same text
            body
            for name, body in fields.items()
            if name not in ("organisation", "country", "action_lines")
        )
    )
    return detect_language(prose) or detect_language(text)


def extract(message: MessageText) -> Contribution:
    """Everything mailflow understands of one message; pure, and never raises on odd text."""
    text, source = _choose(message)
    full_text = "\n\n".join(
        part for part in (message.body, *(a.text for a in message.attachments)) if part.strip()
    )
    fields, labelled = find_sections(text)
    if "action_lines" in fields:
        # The member named the lines in their own section: only those count.
        action_lines, sub_lines = _scan_action_lines(fields["action_lines"], section=True)
    else:
        action_lines, sub_lines = _scan_action_lines(text, section=False)
    extra = [*message.links, *(link for a in message.attachments for link in a.links)]
    return Contribution(
        text=text,
        full_text=full_text,
        source=source,
        fields=fields,
        action_lines=action_lines,
        c7_sublines=sub_lines,
        links=find_links(text, extra),
        # Section labels are counted: the member's word processor counts them too, and the
        # limit members check against is the number their word processor shows.
        word_count=count_words(text),
        word_count_method=WORD_COUNT_METHOD,
        language=_language(text, fields),
        labelled=labelled,
        unreadable=_unreadable(message.attachments),
    )
