"""Countries as ISO 3166 codes: what a member or the roster typed ("Perú", "Россия", "الأردن",
"Viet Nam", "VN") matched against Babel's territory names in every language mailflow reads.

`find_country` returns a `Country` (code, English name, the spelling as written) or None when
nothing matches; the report shows the English name and sorts by it, and the data files keep the
spelling as written beside the code. Matching compares folded names (case, accents, punctuation
and spaces ignored), so "cote d'ivoire" finds "Côte d’Ivoire"; a few official long forms the UN
and IFLA use ("Russian Federation", "United Republic of Tanzania") that CLDR lists under a
shorter name are added by hand. This module guesses nothing from partial names.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from babel import Locale

__all__ = ["Country", "english_name", "find_country"]

# The languages a member writes in (`mailflow.reading.wsis.LANGUAGES`) and their variants whose
# country names differ (traditional Chinese, Portuguese and German for members abroad).
_LOCALES = ("en", "fr", "es", "vi", "ar", "zh", "zh_Hant", "ru", "pt", "de")
# Long or older forms in common use that CLDR does not list as the name (keys are ISO codes).
_ALIASES: dict[str, tuple[str, ...]] = {
    "VN": ("Viet Nam", "Vietnam", "Việt Nam", "Viêt-Nam"),
    "RU": ("Russian Federation", "Российская Федерация", "Fédération de Russie"),
    "TZ": ("United Republic of Tanzania", "Tanzania, United Republic of"),
    "IR": ("Iran (Islamic Republic of)", "Islamic Republic of Iran"),
    "KR": ("Republic of Korea", "Korea", "Korea, Republic of", "South Korea"),
    "KP": ("Democratic People's Republic of Korea", "North Korea"),
    "BO": ("Bolivia (Plurinational State of)", "Plurinational State of Bolivia"),
    "VE": ("Venezuela (Bolivarian Republic of)", "Bolivarian Republic of Venezuela"),
    "LA": ("Lao People's Democratic Republic", "Lao PDR"),
    "SY": ("Syrian Arab Republic",),
    "MD": ("Republic of Moldova",),
    "US": ("United States of America", "USA", "U.S.A.", "US", "U.S."),
    "GB": ("UK", "U.K.", "Great Britain", "England", "Scotland", "Wales"),
    "CN": ("People's Republic of China", "PRC", "中华人民共和国", "中國"),
    "PS": ("State of Palestine", "Palestine", "فلسطين"),
    "CZ": ("Czech Republic",),
    "TR": ("Turkey", "Türkiye"),
    "NL": ("The Netherlands", "Holland"),
    "CD": ("Democratic Republic of the Congo", "DR Congo", "DRC"),
    "CI": ("Ivory Coast",),
    "MK": ("North Macedonia", "Macedonia"),
    "SZ": ("Eswatini", "Swaziland"),
    "CV": ("Cabo Verde", "Cape Verde"),
    "MM": ("Burma",),
    "TL": ("Timor-Leste", "East Timor"),
}
# Territories that are not countries: world regions (three digits), the EU, the UN, "unknown".
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "XK"})
_IGNORED = re.compile(r"[\s\-'’.,()（）]+")


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str  # the English name
    written: str  # as the member or the roster wrote it


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Vietnamese đ and Arabic's alif forms are letters, not marks: fold them by hand.
    bare = bare.replace("đ", "d").translate(str.maketrans("أإآٱ", "اااا"))
    return _IGNORED.sub("", bare)


def _is_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES


@functools.cache
def _names() -> dict[str, str]:
    """Folded name -> ISO code, over every locale's names, the aliases and the codes."""
    index: dict[str, str] = {}
    for code, aliases in _ALIASES.items():
        for alias in aliases:
            index.setdefault(_fold(alias), code)
    for name in _LOCALES:
        for key, territory in Locale.parse(name).territories.items():
            if _is_country(str(key)):
                index.setdefault(_fold(str(territory)), str(key))
    for key in Locale.parse("en").territories:
        if _is_country(str(key)):
            index.setdefault(str(key).casefold(), str(key))
    return index


@functools.lru_cache(maxsize=1024)
def find_country(*written: str) -> Country | None:
    """The first of ``written`` that names a country (the roster's entry before the member's)."""
    for value in written:
        value = " ".join(value.split())
        if not value:
            continue
        code = _names().get(_fold(value))
        if code is not None:
            return Country(code, english_name(code), value)
    return None


def english_name(code: str) -> str:
    """The English name of an ISO 3166 code ("VN" -> "Vietnam")."""
    return str(Locale.parse("en").territories.get(code, code))
