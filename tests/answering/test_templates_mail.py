"""Tests for the mail templates and message catalogs (mailflow.answering.i18n, templates/mail)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import jinja2
import pytest

import mailflow
from mailflow.answering import i18n
from mailflow.answering.i18n import (
    SECTION_CONTEXT,
    SECTIONS,
    SUPPORTED_LANGUAGES,
    extract_messages,
    format_when,
    read_catalog,
    render,
    section_label,
    templates_dir,
    translations,
)
from mailflow.reading import wsis

TRANSLATED = tuple(language for language in SUPPORTED_LANGUAGES if language != "en")
PLACEHOLDER = re.compile(r"%\(\w+\)s")
TEMPLATES = (
    "confirmation.txt",
    "confirmation.html",
    "call.txt",
    "call.html",
    "reminder.txt",
    "reminder.html",
)
COMMON = {
    "name": "Ann",
    "association": "Example Library Association",
    "campaign": "WSIS 2025",
    "word_limit": 200,
    "deadline": "30 September 2025",
    "deadline_day": "30 September 2025",
}
SAMPLES: dict[str, dict[str, object]] = {
    "confirmation": {
        **COMMON,
        "subject": "Our contribution",
        "received": "10 September 2025",
        "attachments": ["report.docx"],
        "status": "needs_revision",
        "to_fix": ["Shorten it."],
        "suggestions": ["Add links."],
        "action_lines": [("C3", "Access to information and knowledge")],
        "links": ["https://library.example/"],
        "word_count": 243,
        "version": 2,
        "empty": False,
        "report_sent": "1 October 2025",
    },
    "call": {
        **COMMON,
        "action_lines": [("C4", "Capacity building")],
        "labels": ["Organisation", "Country"],
    },
    "reminder": {**COMMON, "time_left": "5 days"},
}


def _ids(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """A message's id or strings as a tuple (plural messages have several)."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def test_templates_dir_is_repository_folder_in_a_checkout() -> None:
    assert templates_dir() == Path(mailflow.__file__).parent.parent / "templates"
    assert (templates_dir() / "mail" / "confirmation.txt").is_file()


def test_templates_dir_prefers_packaged_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "mailflow"
    (package / "_templates").mkdir(parents=True)
    monkeypatch.setattr(mailflow, "__file__", str(package / "__init__.py"))

    assert templates_dir() == package / "_templates"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_template_renders_in_every_language(template: str, language: str) -> None:
    context = SAMPLES[template.split(".")[0]]

    rendered = render(f"mail/{template}", language, context)

    assert "Example Library Association" in rendered
    assert "{{" not in rendered
    assert "{%" not in rendered
    assert "%(" not in rendered
    if template.endswith(".html"):
        direction = "rtl" if language == "ar" else "ltr"
        assert f'<html lang="{language}" dir="{direction}">' in rendered


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_translations_compiled_in_render_what_jinja2s_i18n_extension_renders(
    template: str, language: str
) -> None:
    # Values that formatting and escaping treat specially: markup, "%" and format placeholders.
    tricky = "<b>100% & %(name)s</b>"
    context = {
        **SAMPLES[template.split(".")[0]],
        "name": tricky,
        "campaign": tricky,
        "subject": tricky,
        "word_count": 1,
    }
    reference = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    reference.policies["ext.i18n.trimmed"] = True
    reference.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    reference.globals.update(
        language=language,
        direction=i18n.text_direction(language),
        label_separator=translations(language).pgettext(i18n.SEPARATOR_CONTEXT, ":"),
        list_separator=translations(language).pgettext(i18n.LIST_SEPARATOR_CONTEXT, ", "),
        sentence_gap="" if language in i18n.UNSPACED_LANGUAGES else " ",
    )
    reference.filters.update(
        isolate=lambda text: i18n.isolate(text, language),
        ltr=lambda text: i18n.isolate(text, language, ltr=True),
    )

    rendered = render(f"mail/{template}", language, context)

    assert rendered == reference.get_template(f"mail/{template}").render(**context)


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_with_missing_value_fails_loudly(template: str) -> None:
    context = dict(SAMPLES[template.split(".")[0]])
    del context["association"]

    with pytest.raises(jinja2.UndefinedError):
        render(f"mail/{template}", "en", context)


def test_html_templates_autoescape_and_text_templates_do_not() -> None:
    context = {**SAMPLES["reminder"], "name": "<b>Ann</b>"}

    assert "Dear &lt;b&gt;Ann&lt;/b&gt;," in render("mail/reminder.html", "en", context)
    assert "Dear <b>Ann</b>," in render("mail/reminder.txt", "en", context)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_translates_exactly_the_extracted_messages(language: str) -> None:
    wanted = {(_ids(m.id), m.context) for m in extract_messages() if m.id}
    catalog = read_catalog(language)
    present = {(_ids(m.id), m.context) for m in catalog if m.id}

    assert present == wanted
    assert list(catalog.obsolete) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_has_no_empty_or_fuzzy_translation(language: str) -> None:
    catalog = read_catalog(language)

    for message in catalog:
        if not message.id:
            continue
        strings = _ids(message.string)
        assert not message.fuzzy, message.id
        assert all(strings), message.id
        if isinstance(message.id, tuple):
            assert len(strings) == catalog.num_plurals, message.id


#: Plural forms whose words name the number, so that the numeral is left out: Arabic says
#: "كلمة واحدة" (one word) and "كلمتان" (two words), never "1 كلمة" or "2 كلمتان".
NUMBER_IN_WORDS = {"ar": {1, 2}}


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_placeholders_match_msgid(language: str) -> None:
    for message in read_catalog(language):
        if not message.id:
            continue
        wanted = sorted(PLACEHOLDER.findall(_ids(message.id)[-1]))
        strings = _ids(message.string)
        for index, string in enumerate(strings):
            found = sorted(PLACEHOLDER.findall(string))
            if isinstance(message.id, tuple) and index in NUMBER_IN_WORDS.get(language, set()):
                # the counted number may be the one placeholder left out
                assert found == wanted or len(set(wanted) - set(found)) == 1, (message.id, string)
                assert set(found) <= set(wanted), (message.id, string)
            else:
                assert found == wanted, (message.id, string)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_declares_its_language_and_plural_forms(language: str) -> None:
    catalog = read_catalog(language)
    expected_plurals = {"vi": 1, "zh": 1, "fr": 2, "es": 2, "ru": 3, "ar": 6}

    assert str(catalog.locale) == language
    assert catalog.num_plurals == expected_plurals[language]


def test_english_uses_the_msgids() -> None:
    assert translations("en").gettext("Hello,") == "Hello,"
    assert translations("xx").gettext("Hello,") == "Hello,"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Hello,"),
        ("vi", "Kính gửi Quý vị,"),
        ("fr", "Bonjour,"),
        ("es", "Estimado/a colega:"),
        ("ar", "مرحبًا،"),
        ("zh", "您好："),
        ("ru", "Здравствуйте!"),
    ],
)
def test_translations_read_from_po_at_run_time(language: str, expected: str) -> None:
    assert translations(language).gettext("Hello,") == expected


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("section", SECTIONS)
def test_section_labels_are_labels_the_parser_knows(section: str, language: str) -> None:
    label = section_label(section, language)
    known = {wsis.fold(known_label) for known_label in wsis.SECTION_LABELS[section]}

    assert wsis.fold(label) in known


def test_section_labels_differ_per_language() -> None:
    labels = {language: section_label("obstacles", language) for language in SUPPORTED_LANGUAGES}

    assert labels == {
        "en": "Obstacles",
        "vi": "Trở ngại",
        "fr": "Obstacles",
        "es": "Obstáculos",
        "ar": "العقبات",
        "zh": "障碍",
        "ru": "Препятствия",
    }


def test_section_label_context_is_declared_in_catalogs() -> None:
    catalog = read_catalog("vi")

    assert catalog.get("Obstacles", context=SECTION_CONTEXT) is not None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "10 septembre 2025 à 08 h 30 (UTC+07:00)"),
        ("ru", "10 сентября 2025\u202fг., 08:30 (GMT+07:00)"),
        ("zh", "2025年9月10日 08:30（GMT+07:00）"),
        ("vi", "lúc 08:30 ngày 10 tháng 9 năm 2025 (GMT+07:00)"),
    ],
)
def test_format_when_uses_locale_and_zone(language: str, expected: str) -> None:
    moment = datetime(2025, 9, 10, 1, 30, tzinfo=UTC)

    assert format_when(moment, timezone(timedelta(hours=7)), language) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [("vi-VN", "vi"), ("FR", "fr"), ("zh_Hans_CN", "zh"), ("de", None), (None, None), ("", None)],
)
def test_normalize_language(code: str | None, expected: str | None) -> None:
    assert i18n.normalize_language(code) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "December 17, 2026, 7:48\u202fAM (UTC)"),
        ("fr", "17 décembre 2026 à 07 h 48 (UTC)"),
        ("vi", "lúc 07:48 ngày 17 tháng 12 năm 2026 (UTC)"),
        ("zh", "2026年12月17日 07:48（UTC）"),
    ],
)
def test_format_when_zero_offset_is_utc(language: str, expected: str) -> None:
    moment = datetime(2026, 12, 17, 7, 48, tzinfo=UTC)
    assert format_when(moment, UTC, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "1,234"), ("fr", "1\u202f234"), ("es", "1.234"), ("ru", "1\xa0234"), ("vi", "1.234")],
)
def test_number_reads_as_the_language_writes_it(language: str, expected: str) -> None:
    number = i18n.Number(1234, language)
    as_gettext_formats = "%(n)s" % {"n": number}  # noqa: UP031 (what gettext's strings do)
    assert (str(number), as_gettext_formats, number + 1) == (expected, expected, 1235)


def test_days_until_counts_calendar_days_in_the_deadline_zone() -> None:
    zone = timezone(timedelta(hours=7))
    deadline = datetime(2025, 9, 30, 23, 59, tzinfo=zone)
    late_evening = datetime(2025, 9, 28, 16, 0, tzinfo=UTC)  # 23:00 on the 28th in the zone
    assert i18n.days_until(deadline, late_evening, zone) == 2


@pytest.mark.parametrize("language", TRANSLATED)
def test_label_separator_is_translated(language: str) -> None:
    expected = {"fr": " :", "zh": "："}.get(language, ":")
    assert translations(language).pgettext(i18n.SEPARATOR_CONTEXT, ":") == expected
