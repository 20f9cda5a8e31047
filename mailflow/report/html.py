"""One contribution printed in full in the report's HTML, built in Python.

``report.html.j2`` calls `item_html` (the ``item_html`` filter) for each contribution printed in
full: the table of its fields is most of the report, and rendering it through Jinja2 took about
a third of a compile (10,000 contributions). The markup is the same the template wrote, byte for
byte; the rest of the report (cover note, overview, references, gathered sections) stays in the
template. Every value is escaped here as Jinja2's autoescape escaped it.
"""

from __future__ import annotations

from markupsafe import Markup

from mailflow.report.view import Field, Item, Link, Said, is_rtl

__all__ = ["bidi", "item_html", "reference_html", "said_html"]

_TH = '<tr><th align="left" valign="top" width="180">'
_TD = '</th><td valign="top">'


def _escape(text: str) -> str:
    """``text`` escaped as `markupsafe.escape` escapes a str, without building a `Markup` (the
    report escapes about 400,000 strings; this is three times as fast)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "'" in text:
        text = text.replace("'", "&#39;")
    if '"' in text:
        text = text.replace('"', "&#34;")
    return text


def _bidi(text: str) -> str:
    escaped = _escape(text)
    return f'<span dir="rtl">{escaped}</span>' if is_rtl(text) else escaped


def bidi(text: str) -> Markup:
    """``text`` escaped for HTML, in a right-to-left span when it reads right to left: the span
    isolates it, so "مكتبة الإسكندرية — Egypt" keeps the dash and the country where they belong."""
    return Markup(_bidi(text))


def _heading(item: Item) -> str:
    """ "12. Organisation — Country", as the full print's heading and a reference begin."""
    organisation = _bidi(item.organisation) if item.organisation else "Organisation not given"
    country_name = item.country_name
    return (
        f"{item.number}. {organisation} — {_bidi(country_name)}"
        if country_name
        else f"{item.number}. {organisation}"
    )


def reference_html(item: Item) -> Markup:
    """The line that refers to a contribution printed in full under another action line."""
    return Markup(f"<p>{_heading(item)}: printed in full under {_escape(str(item.home))}.</p>")


def said_html(said: Said) -> Markup:
    """One quotation of a gathered section (a list item), without the last newline."""
    f, item = said.field, said.item
    out = ["<li>\n"]
    rtl = ' dir="rtl"' if f.rtl else ""
    first = rtl if not f.english else ""
    out.extend(f"<p{first}>{_escape(p)}</p>\n" for p in f.english or f.original)
    if f.english and f.original:
        out.extend(f'<p class="note"{rtl}>{_escape(p)}</p>\n' for p in f.original)
    who = _bidi(item.organisation) if item.organisation else "Organisation not given"
    if item.country_name:
        who += f" ({_bidi(item.country_name)})"
    language = f"; in {_escape(f.language)}" if not f.english else ""
    codes = _escape(item.codes_label)
    out.append(f'<p class="note">— {who}; contribution {item.number}, {codes}{language}</p>\n</li>')
    return Markup("".join(out))


def _links(links: tuple[Link, ...], out: list[str]) -> None:
    out.append("<p>Links:</p>\n<ul>\n")
    for link in links:
        url = _escape(link.url)
        anchor = f'<a href="{url}">{url}</a>' if link.clickable else url
        out.append(f"<li>{anchor}</li>\n")
    out.append("</ul>\n")


def _field(item: Item, f: Field, lang: str, out: list[str]) -> None:
    out.append(f"{_TH}{_escape(f.label)}{_TD}\n")
    rtl = ' dir="rtl" align="right"' if f.rtl else ""
    outputs_links = f.key == "outputs" and bool(item.links)
    if f.english:
        out.extend(f"<p>{_escape(p)}</p>\n" for p in f.english)
        if f.original:
            out.append(f'<p class="note">Original ({_escape(f.language)}):</p>\n')
            out.extend(f'<p class="note"{rtl} lang="{lang}">{_escape(p)}</p>\n' for p in f.original)
    elif f.original:
        out.append(f'<p class="note">In {_escape(f.language)}; no English version:</p>\n')
        out.extend(f'<p{rtl} lang="{lang}">{_escape(p)}</p>\n' for p in f.original)
    elif not outputs_links:
        out.append('<p class="missing">Not given.</p>\n')
    if outputs_links:
        _links(item.links, out)
    out.append("</td></tr>\n")


def _free(item: Item, lang: str, out: list[str]) -> None:
    out.append(f"{_TH}Contribution{_TD}\n")
    unsplit = '<p class="note">Not divided into the call\'s sections'
    if item.free_english:
        out.append(f"{unsplit}:</p>\n")
    else:
        out.append(f"{unsplit}; in {_escape(item.language_name)}, no English version:</p>\n")
    out.extend(f"<p>{_escape(p)}</p>\n" for p in item.free_english)
    if item.free_english and item.free_original:
        out.append(f'<p class="note">Original ({_escape(item.language_name)}):</p>\n')
    attrs = (' dir="rtl" align="right"' if item.free_rtl else "") + f' lang="{lang}"'
    attrs += ' class="note"' if item.free_english else ""
    out.extend(f"<p{attrs}>{_escape(p)}</p>\n" for p in item.free_original)
    if item.links:
        _links(item.links, out)
    out.append("</td></tr>\n")


def item_html(item: Item) -> Markup:
    """The heading and table of a contribution printed in full, without the last newline."""
    organisation = _bidi(item.organisation) if item.organisation else None
    country_name = item.country_name
    out = [f"<h3>{_heading(item)}</h3>\n"]
    out.append('<table role="presentation" width="100%" cellpadding="0" cellspacing="0">\n')
    out.append(f"{_TH}Organisation{_TD}{organisation or 'Not given.'}</td></tr>\n")
    out.append(f"{_TH}Country{_TD}{_bidi(country_name) if country_name else 'Not given.'}")
    written = item.country_written
    if item.country and written and written != item.country.name:
        out.append(f' <span class="note">(written “{_bidi(written)}”)</span>')
    out.append("</td></tr>\n")
    address = _escape(item.member_address)
    if item.member_name:
        out.append(f"{_TH}Contact{_TD}{_bidi(item.member_name)} &lt;{address}&gt;</td></tr>\n")
    else:
        out.append(f"{_TH}Contact{_TD}{address}</td></tr>\n")
    lines = "<br>".join(f"{_escape(code)} {_escape(name)}" for code, name in item.lines)
    out.append(f"{_TH}Action lines{_TD}{lines or 'None recognised.'}</td></tr>\n")
    out.append(f"{_TH}Language{_TD}{_escape(item.note)}</td></tr>\n")
    lang = _escape(item.language)
    if item.free_english or item.free_original:
        _free(item, lang, out)
    else:
        for f in item.fields:
            _field(item, f, lang, out)
    completeness = _escape(item.completeness.capitalize())
    out.append(f"{_TH}Completeness{_TD}{completeness}.</td></tr>\n</table>")
    return Markup("".join(out))
