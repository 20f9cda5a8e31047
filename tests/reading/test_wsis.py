"""The WSIS reference data: action lines, names per language, section labels, folding."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from mailflow.reading import wsis


def test_action_lines_are_c1_to_c11_in_order() -> None:
    assert tuple(line.code for line in wsis.ACTION_LINES) == tuple(f"C{n}" for n in range(1, 12))


@pytest.mark.parametrize("language", wsis.LANGUAGES)
def test_every_action_line_has_names_in_each_language(language: str) -> None:
    missing = [line.code for line in wsis.ACTION_LINES if not line.names.get(language)]
    assert missing == []


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [
        ("C3", "en", "Access to information and knowledge"),
        ("C4", "vi", "Xây dựng năng lực"),
        ("C3", "fr", "L'accès à l'information et au savoir"),
        ("C8", "ar", "التنوع الثقافي والهوية الثقافية والتنوع اللغوي والمحتوى المحلي"),
        ("C11", "zh", "国际和区域合作"),
        ("C4", "ru", "Создание потенциала"),
        ("C9", "es", "Medios de comunicación"),
    ],
)
def test_action_line_name_in_language(code: str, language: str, name: str) -> None:
    assert wsis.action_line(code).name(language) == name


def test_action_line_name_falls_back_to_english_for_unknown_language() -> None:
    assert wsis.action_line("C4").name("de") == "Capacity building"


def test_action_line_name_accepts_region_subtag() -> None:
    assert wsis.action_line("C4").name("vi-VN") == "Xây dựng năng lực"


def test_action_line_lookup_is_case_insensitive() -> None:
    assert wsis.action_line("c10").code == "C10"


@pytest.mark.parametrize("code", ["C0", "C12", "AL3", ""])
def test_action_line_unknown_code_raises_key_error(code: str) -> None:
    with pytest.raises(KeyError):
        wsis.action_line(code)


def test_c7_sublines_are_the_eight_applications() -> None:
    assert wsis.C7_SUBLINES == (
        "e-government",
        "e-business",
        "e-learning",
        "e-health",
        "e-employment",
        "e-environment",
        "e-agriculture",
        "e-science",
    )


def test_only_c7_has_sublines() -> None:
    assert [line.code for line in wsis.ACTION_LINES if line.sub_lines] == ["C7"]


def test_section_labels_cover_every_field() -> None:
    assert tuple(wsis.SECTION_LABELS) == wsis.FIELDS


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("organisation", "Name of library"),
        ("organisation", "Tên thư viện"),
        ("action_lines", "Các dòng hành động WSIS"),
        ("action_lines", "Направления деятельности ВВУИО"),
        ("future_actions", "Perspectives futures"),
        ("future_actions", "Próximos pasos"),
    ],
)
def test_section_labels_include_extensions(field: str, label: str) -> None:
    assert label in wsis.SECTION_LABELS[field]


def test_other_labels_are_not_field_labels() -> None:
    field_labels = {wsis.fold(label) for labels in wsis.SECTION_LABELS.values() for label in labels}
    assert [label for label in wsis.OTHER_LABELS if wsis.fold(label) in field_labels] == []


def test_data_file_extends_the_reference_names() -> None:
    data = json.loads(
        (files("mailflow") / "data" / "wsis_action_lines.json").read_text(encoding="utf-8")
    )
    c3 = data["action_lines"][2]
    assert (c3["code"], c3["vi"]["working"][0]) == ("C3", "Tiếp cận thông tin và tri thức")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Xây dựng NĂNG LỰC", "xay dung nang luc"),
        ("Đa dạng", "da dang"),
        ("Ｃ３", "c3"),
        ("L’accès", "l'acces"),
        ("e‑learning", "e-learning"),
        ("إلى", "الي"),
        ("Ёлка", "елка"),
    ],
)
def test_fold_removes_case_accents_and_width(text: str, folded: str) -> None:
    assert wsis.fold(text) == folded


def test_fold_with_map_points_back_to_original_characters() -> None:
    folded, index = wsis.fold_with_map("ﬁÉa")
    assert (folded, index) == ("fiea", [0, 0, 1, 2, 3])
