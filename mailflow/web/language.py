"""The console's language: the coordinator's pick, its catalog, and dates and numbers in it.

The pages speak the seven languages of the mail (`mailflow.answering.i18n.SUPPORTED_LANGUAGES`),
from the ``web`` domain of the same Babel catalogs (``templates/locale/<lang>/LC_MESSAGES/web.po``,
read at run time like the mail's). The language is the one the coordinator picked (kept in the
session), else the browser's best match, else English. `extract_messages` lists what the
catalogs must translate; a test compares them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import babel.dates
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from flask import Flask, g, request, session
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup

from mailflow.answering import i18n

DOMAIN = "web"
#: Each language named in itself, for the picker.
NAMES = {
    "en": "English",
    "vi": "Tiếng Việt",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "zh": "中文",
    "ru": "Русский",
}


def current() -> str:
    """The language of this request."""
    return str(g.get("language", i18n.DEFAULT_LANGUAGE))


def gettext(message: str, /, **values: Any) -> str:
    """``message`` in the page's language, its ``values`` filled in (isolated where RTL)."""
    text = i18n.translations(current(), DOMAIN).gettext(message)
    return text % isolated(values) if values else text


def ngettext(singular: str, plural: str, n: int, /, **values: Any) -> str:
    text = i18n.translations(current(), DOMAIN).ngettext(singular, plural, n)
    return text % {"num": n, **isolated(values)}


def isolated(values: dict[str, Any]) -> dict[str, Any]:
    """In a right-to-left page, each text value set apart (U+2068 … U+2069): an address, a
    file name or a server's English reply keeps its own direction and cannot reorder the
    sentence around it. Numbers need no isolate; left-to-right pages are left as they are."""
    if i18n.text_direction(current()) != "rtl":
        return values
    return {
        key: f"\u2068{value}\u2069" if isinstance(value, str) and value else value
        for key, value in values.items()
    }


_ = gettext


def _pick() -> None:
    chosen = i18n.normalize_language(session.get("language"))
    g.language = chosen or request.accept_languages.best_match(
        i18n.SUPPORTED_LANGUAGES, default=i18n.DEFAULT_LANGUAGE
    )


def format_when(value: datetime | str | None) -> str:
    """A moment as the coordinator reads it, in the campaign deadline's time zone."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    zone = g.get("zone")
    return str(babel.dates.format_datetime(value, "medium", tzinfo=zone, locale=current()))


def format_left(seconds: int) -> str:
    """``in 12 days`` / ``3 days ago`` in the page's language."""
    return str(
        babel.dates.format_timedelta(
            timedelta(seconds=seconds), add_direction=True, threshold=1.5, locale=current()
        )
    )


def install(flask_app: Flask) -> None:
    """Pick each request's language and give the templates gettext and the formatters."""
    flask_app.before_request(_pick)
    env = flask_app.jinja_env
    env.policies["ext.i18n.trimmed"] = True
    # Installed as globals, not through install_gettext_callables: those would wrap them in
    # Jinja2's own formatting, which cannot isolate the values of a right-to-left page.
    env.globals.update(gettext=_jinja_gettext, _=_jinja_gettext, ngettext=_jinja_ngettext)
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.filters["when"] = format_when
    env.filters["left"] = format_left

    @flask_app.context_processor
    def _language() -> dict[str, Any]:
        language = current()
        return {
            "language": language,
            "direction": i18n.text_direction(language),
            "language_names": NAMES,
        }


# Jinja2's newstyle callables, with one change: in a right-to-left page each text value is
# isolated, as in `gettext`. Under autoescape the values are escaped (a Markup one is kept).
@pass_context
def _jinja_gettext(context: Context, message: str, /, **variables: Any) -> str:
    text = i18n.translations(current(), DOMAIN).gettext(message)
    return _fill(context, text, variables)


@pass_context
def _jinja_ngettext(
    context: Context, singular: str, plural: str, n: int, /, **variables: Any
) -> str:
    text = i18n.translations(current(), DOMAIN).ngettext(singular, plural, n)
    return _fill(context, text, {"num": n, **variables})


def _fill(context: Context, text: str, variables: dict[str, Any]) -> str:
    if not context.eval_ctx.autoescape:
        return text % isolated(variables)
    if i18n.text_direction(current()) == "rtl":
        variables = {
            key: Markup("\u2068%s\u2069") % value if isinstance(value, str) and value else value
            for key, value in variables.items()
        }
    return Markup(text) % variables


def extract_messages() -> Catalog:
    """Every translatable message of ``templates/web`` and ``mailflow/web``."""
    catalog = Catalog(domain=DOMAIN)
    found = extract_from_dir(
        str(i18n.templates_dir() / "web"),
        method_map=[("**.html", "jinja2.ext:babel_extract")],
        options_map={"**.html": {"trimmed": "true", "extensions": "jinja2.ext.i18n"}},
    )
    for _file, _line, message, _comments, context in found:
        catalog.add(message, context=context)
    code = extract_from_dir(str(Path(__file__).parent), method_map=[("**.py", "python")])
    for _file, _line, message, _comments, context in code:
        catalog.add(message, context=context)
    return catalog
