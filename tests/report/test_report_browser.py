"""The report's HTML as a reader sees it: rendered by real headless Chromium (Debian's chromium and
chromium-driver, from ``.ci/install-servers``; skipped without them), its layout measured and its
right-to-left text checked in screenshots."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.browser import chromium

from mailflow.reading.sections import find_sections
from mailflow.report import ReportEntry, ReportMeta, compile_report

AR_WHY = "كثير من سكان الأحياء الطرفية لا يملكون اتصالاً بالإنترنت في منازلهم."


def entry(number: int, language: str, text: str, **changes: Any) -> ReportEntry:
    values: dict[str, Any] = {
        "submission_id": number,
        "organisation": "",
        "country": "",
        "member_name": f"Member {number}",
        "member_address": f"m{number}@members.test",
        "language": language,
        "action_lines": ("C3",),
        "text": text,
        "fields": {},
        "links": (f"https://library{number}.test/programme",),
        "word_count": 40,
        "received_at": datetime(2025, 9, 10, 8, 30, tzinfo=UTC),
    }
    values.update(changes)
    values["fields"] = find_sections(text)[0]  # as intake does
    return ReportEntry(**values)


ENTRIES = [
    entry(
        1,
        "en",
        "Organisation: Lakeside County Library\nCountry: Ireland\nWhy: Free internet access.\n"
        "Trends: More older adults ask for help.\nObstacles: Slow broadband.",
        action_lines=("C3", "C4"),
    ),
    entry(
        2,
        "ar",
        "المؤسسة: مكتبة مدينة الواحة العامة\nالبلد: الأردن\n"
        f"السبب: {AR_WHY}\nالاتجاهات: يزداد الطلب على الخدمات الحكومية الإلكترونية.",
        member_name="ليلى حداد",
    ),
    entry(
        3,
        "es",
        "Organización: Biblioteca Nacional\nPaís: Perú\nPor qué: Muchas familias no tienen "
        "internet.\n\nVersión en inglés:\nWhy: Many families have no internet.",
        action_lines=("C4", "C8"),
    ),
    entry(4, "zh", "机构：东海市图书馆\n国家：中国\n原因：许多老年读者不会使用智能手机。"),
]
META = ReportMeta(
    association="Example Library Association",
    campaign="WSIS 2025",
    deadline=datetime(2025, 9, 30, 16, 59, 59, tzinfo=UTC),
    word_limit=200,
    recipient="maria.debrasdefer@ifla.org",
    compiled_at=datetime(2025, 10, 1, 9, 0, tzinfo=UTC),
    coordinator="Lan Nguyen <wsis@association.test>",
    roster_size=5,
    silent_members=("Quiet Library, Kenya",),
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the module's tests (they only read pages)."""
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(compile_report(ENTRIES, META).html, encoding="utf-8")
    return path


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) bytes of an 8-bit, non-interlaced PNG (as Chromium's)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, header = 8, [], b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        header = body if kind == b"IHDR" else header
        if kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, header[12]) == (8, 0)
    size = {2: 3, 6: 4}[colour]
    raw = zlib.decompress(b"".join(chunks))
    stride = width * size
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for x in range(stride):
            left = line[x - size] if x >= size else 0
            up, corner = previous[x], previous[x - size] if x >= size else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (
                    line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)
                ) & 255
        rows.append(bytes(line))
        previous = line
    return width, size, rows


def ink_columns(browser: Any, element: Any) -> tuple[int, int, int, int]:
    """The element's left and right edges and the first and last columns holding ink (dark
    pixels) inside it, from a screenshot of the viewport with the element scrolled into view."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    rect = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return [Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)]",
        element,
    )
    _width, size, rows = png_pixels(browser.get_screenshot_as_png())
    left, top, right, bottom = rect
    inked = [
        x
        for y in range(top + 1, bottom - 1)
        for x in range(left, right)
        if sum(rows[y][x * size : x * size + 3]) < 3 * 128
    ]
    assert inked, "no text drawn in the element"
    return left, right, min(inked), max(inked)


def test_browser_report_lays_out_fields_in_one_column_without_overflow(
    browser: Any, report_page: Path
) -> None:
    browser.set_window_size(1280, 900)
    browser.get(report_page.as_uri())

    layout = browser.execute_script(
        "const ths = [...document.querySelectorAll('th')];"
        "return {scroll: document.documentElement.scrollWidth, width: window.innerWidth,"
        " lefts: [...new Set(ths.map(t => Math.round(t.getBoundingClientRect().left)))],"
        " labels: ths.map(t => t.textContent),"
        " gaps: ths.map(t => Math.round(t.nextElementSibling.getBoundingClientRect().left"
        "   - t.getBoundingClientRect().right))}"
    )
    browser.set_window_size(600, 900)
    narrow = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    browser.set_window_size(1280, 900)

    assert layout["scroll"] <= layout["width"]
    assert len(layout["lefts"]) == 1  # every label in one column
    assert min(layout["gaps"]) >= 0  # and every value to its right
    assert layout["labels"][6:18] == [
        "Organisation",
        "Country",
        "Contact",
        "Action lines",
        "Language",
        "Why",
        "Outputs and services",
        "Achievements",
        "Trends",
        "Obstacles",
        "Future actions",
        "Completeness",
    ]
    assert narrow[0] <= narrow[1]  # a webmail reading pane of 600 pixels scrolls no sideways


def test_browser_report_shows_arabic_right_aligned_and_english_left_aligned(
    browser: Any, report_page: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(report_page.as_uri())
    arabic = next(p for p in browser.find_elements(By.TAG_NAME, "p") if p.text == AR_WHY)
    english = next(
        p for p in browser.find_elements(By.TAG_NAME, "p") if p.text == "Free internet access."
    )

    arabic_left, arabic_right, arabic_first, arabic_last = ink_columns(browser, arabic)
    english_left, english_right, english_first, english_last = ink_columns(browser, english)

    assert arabic.get_attribute("dir") == "rtl"
    assert arabic_right - arabic_last <= 6  # the Arabic line starts at the right edge
    assert arabic_first - arabic_left >= 100  # and leaves the left of the column empty
    assert english_first - english_left <= 6  # the English line starts at the left edge
    assert english_right - english_last >= 100


def test_browser_report_keeps_a_right_to_left_name_before_its_country(
    browser: Any, report_page: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(report_page.as_uri())
    heading = next(h for h in browser.find_elements(By.TAG_NAME, "h3") if "Jordan" in h.text)
    name = heading.find_element(By.CSS_SELECTOR, "span[dir=rtl]")

    order = browser.execute_script(
        "const h = arguments[0], name = arguments[1];"
        "const range = document.createRange();"
        "const number = h.firstChild, country = h.lastChild;"
        "range.selectNodeContents(number); const n = range.getBoundingClientRect();"
        "range.selectNodeContents(country); const c = range.getBoundingClientRect();"
        "const a = name.getBoundingClientRect();"
        "return [n.right <= a.left + 1, a.right <= c.left + 1, h.textContent]",
        heading,
        name,
    )
    left, right, first, last = ink_columns(browser, name)

    assert order == [True, True, "2. مكتبة مدينة الواحة العامة — Jordan"]
    assert first - left <= 3  # the name's ink fills its own box
    assert right - last <= 3
