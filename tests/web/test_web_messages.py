"""What the core tells the coordinator, read on a page in French and in Arabic.

Each kind of message the core produces reaches the page in the page's language: a submission's
issues, refusals of an action, the results of actions (the report sent, mail not sent, the
compile's warnings), the roster import's problems and warning, the configuration's warnings and
the to-do list's reasons, why a compiled report can no longer be sent, and the words for the
kinds of mail and where a text was read. In Arabic every value set in a sentence is isolated
(U+2068 … U+2069) so that an address or a file name cannot reorder it.
"""

from __future__ import annotations

import ast
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.web import COORDINATOR, Workspace, csrf_token, error_message, flashes, log_in

import mailflow
from mailflow.answering.explain import explain_issue
from mailflow.answering.model import IssueNote
from mailflow.app import App
from mailflow.browse import Filters
from mailflow.errors import StateError
from mailflow.intake import campaign_info
from mailflow.web import create_app, messages

STRANGER = "someone@elsewhere.example.net"
DUBOIS = "h.dubois@bm-saintclair.example.fr"
FSI, PDI = "\u2068", "\u2069"
NBSP, NNBSP = "\u00a0", "\u202f"


def _speaking(client: FlaskClient, language: str) -> str:
    """Log in, pick ``language``; the CSRF token of the session."""
    log_in(client, *COORDINATOR)
    token = csrf_token(client.get("/").text)
    client.post("/language", data={"language": language, "next": "/", "csrf_token": token})
    return token


def _sid(workspace: Workspace, sender: str) -> int:
    return int(workspace.app.submission_page(Filters(query=sender)).rows[0]["id"])


def _items(html: str, list_class: str) -> list[str]:
    found = re.search(rf'<ul class="{list_class}">(.*?)</ul>', html, re.S)
    assert found is not None, list_class
    items = re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", item).replace("&#39;", "'").strip() for item in items]


# -- a submission's issues ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "label"), [("fr", "adresse d’un non-membre"), ("ar", "ليس عنوان عضو")]
)
def test_issue_is_named_and_explained_in_the_page_language(
    client: FlaskClient, workspace: Workspace, language: str, label: str
) -> None:
    _speaking(client, language)
    page = client.get(f"/submissions/{_sid(workspace, STRANGER)}").text
    explained = explain_issue(
        IssueNote("not_member", "hold"), language, campaign_info(workspace.app.settings)
    )

    [first, *_others] = _items(page, "issues")

    assert first == f"{label} (not_member){explained}"
    assert "registered member address" not in page  # the stored English message


# -- refusals -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", f"Le texte pour le rapport n’a pas changé{NNBSP}; rien n’a été enregistré."),
        ("ar", "لم يتغير النص المخصص للتقرير؛ لم يُحفظ شيء."),
    ],
)
def test_refused_edit_says_why_in_the_page_language(
    client: FlaskClient, workspace: Workspace, language: str, expected: str
) -> None:
    token = _speaking(client, language)
    sid = _sid(workspace, DUBOIS)
    data = {"text": "Why: a text.", "csrf_token": token}
    client.post(f"/submissions/{sid}/text/edit", data=data)

    again = client.post(f"/submissions/{sid}/text/edit", data=data)

    assert again.status_code == 409
    assert error_message(again.text) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "La contribution {sid} est acceptée{NBSP}: seule une contribution en attente peut "
            "être acceptée ou refusée.",
        ),
        (
            "ar",
            "حالة المساهمة {sid}: {FSI}مقبولة{PDI}؛ ولا تُقبل أو تُرفض إلا المساهمة المحتجزة.",
        ),
    ],
)
def test_review_of_a_submission_not_held_is_refused_in_the_page_language(
    client: FlaskClient, workspace: Workspace, language: str, expected: str
) -> None:
    token = _speaking(client, language)
    sid = _sid(workspace, DUBOIS)

    response = client.post(
        f"/submissions/{sid}/review", data={"decision": "accept", "csrf_token": token}
    )

    assert response.status_code == 409
    assert error_message(response.text) == expected.format(sid=sid, NBSP=NBSP, FSI=FSI, PDI=PDI)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            f"bad.csv{NBSP}: 1 ligne ne peut pas être importée, donc rien n’a été importé{NBSP}: "
            f"ligne 2{NBSP}: «{NNBSP}not-an-address{NNBSP}» n’est pas une adresse électronique.",
        ),
        (
            "ar",
            f"الملف {FSI}bad.csv{PDI}: لا يمكن استيراد سطر واحد، لذا لم يُستورد شيء: "
            f"{FSI}السطر 2: {FSI}«{FSI}not-an-address{PDI}» ليس عنوان بريد{PDI}{PDI}.",
        ),
    ],
)
def test_import_of_a_bad_roster_names_the_line_in_the_page_language(
    client: FlaskClient, language: str, expected: str
) -> None:
    token = _speaking(client, language)

    response = client.post(
        "/members/import",
        data={
            "file": (io.BytesIO(b"email,name\nnot-an-address,Someone\n"), "bad.csv"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 409
    assert error_message(response.text) == expected


# -- the results of actions ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Le rapport est parti à report@ifla.test avec 10 contributions ({id})."),
        ("ar", f"أُرسل التقرير إلى {FSI}report@ifla.test{PDI} وفيه 10 مساهمات ({FSI}{{id}}{PDI})."),
    ],
)
def test_report_sent_is_said_in_the_page_language(
    client: FlaskClient, workspace: Workspace, language: str, expected: str
) -> None:
    token = _speaking(client, language)
    client.post("/report/compile", data={"csrf_token": token}, follow_redirects=True)

    sent = client.post(
        "/report/send", data={"confirm": "yes", "csrf_token": token}, follow_redirects=True
    )

    message_id = workspace.app.report_state()["sent"]["message_id"]
    assert flashes(sent.text) == [expected.format(id=message_id)]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "Contribution {sid} (Lighthouse Library){NBSP}: le pays «{NNBSP}Atlantide{NNBSP}» "
            "n’est pas reconnu.",
        ),
        (
            "ar",
            "المساهمة {sid} ({FSI}Lighthouse Library{PDI}): البلد «{FSI}Atlantide{PDI}» غير معروف.",
        ),
    ],
)
def test_compile_warning_is_said_in_the_page_language(
    client: FlaskClient, workspace: Workspace, language: str, expected: str
) -> None:
    token = _speaking(client, language)
    sid = _sid(workspace, STRANGER)  # no roster entry: the country is the one written
    client.post(f"/submissions/{sid}/review", data={"decision": "accept", "csrf_token": token})
    text = "Organisation: Lighthouse Library\nCountry: Atlantide\nAction lines: C3\nWhy: open."
    client.post(f"/submissions/{sid}/text/edit", data={"text": text, "csrf_token": token})
    client.get("/")  # the flashes of the review and the edit

    compiled = client.post("/report/compile", data={"csrf_token": token}, follow_redirects=True)

    assert flashes(compiled.text)[1:] == [
        expected.format(sid=sid, NBSP=NBSP, NNBSP=NNBSP, FSI=FSI, PDI=PDI)
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", f"1 courriel n’est pas parti{NBSP}: 5.1.1 no such mailbox"),
        ("ar", f"لم تُرسل رسالة واحدة: {FSI}5.1.1 no such mailbox{PDI}"),
    ],
)
def test_mail_not_sent_after_a_review_is_said_in_the_page_language(
    client: FlaskClient, workspace: Workspace, language: str, expected: str
) -> None:
    token = _speaking(client, language)
    workspace.smtp.fail("RCPT", 550, "5.1.1 no such mailbox")
    sid = _sid(workspace, STRANGER)

    reviewed = client.post(
        f"/submissions/{sid}/review",
        data={"decision": "accept", "csrf_token": token},
        follow_redirects=True,
    )

    assert flashes(reviewed.text)[1:] == [expected]


# -- the roster import's warning ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            f"latin1.csv n’est pas en UTF-8 et a été lu comme du Windows-1252{NBSP}: vérifiez les "
            f"noms accentués, ou enregistrez-le au format «{NNBSP}CSV UTF-8{NNBSP}».",
        ),
        (
            "ar",
            f"الملف {FSI}latin1.csv{PDI} ليس بترميز {FSI}UTF-8{PDI} وقد قُرئ بترميز "
            f"{FSI}Windows-1252{PDI}: تحقق من الأسماء ذات الحروف المشكولة، أو احفظه بصيغة "
            f"«{FSI}CSV UTF-8{PDI}».",
        ),
    ],
)
def test_import_preview_warns_in_the_page_language(
    client: FlaskClient, language: str, expected: str
) -> None:
    token = _speaking(client, language)
    roster = "email,name\nnew.member@library.example.org,Ren\u00e9e\n".encode("cp1252")

    preview = client.post(
        "/members/import",
        data={"file": (io.BytesIO(roster), "latin1.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )

    warnings = re.findall(r'<p class="warn">(.*?)</p>', preview.text, re.S)
    assert [w.replace("&#39;", "'") for w in warnings] == [expected]


# -- the dashboard: the configuration and the to-do list ----------------------------------------
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            [
                f"L’association est encore celle de l’exemple («{NNBSP}Example Library "
                f"Association{NNBSP}»){NBSP}: les appels et les rappels ne partiront pas tant "
                "que campaign.association, dans mailflow.toml, ne nommera pas votre association.",
                "Aucun authserv-id de confiance n’est défini "
                f"(security.trusted_authserv_ids){NBSP}: l’adresse d’un membre usurpée par un "
                "inconnu n’est donc pas reconnue. Lancez "
                f"«{NNBSP}mailflow init{NNBSP}» après la première relève du courrier pour trouver "
                "celui qu’appose votre serveur de messagerie, ou indiquez-le dans mailflow.toml.",
            ],
        ),
        (
            "ar",
            [
                f"ما زالت الجمعية هي جمعية المثال («{FSI}Example Library Association{PDI}»): لن "
                f"تُرسل الدعوات والتذكيرات حتى يحمل الإعداد {FSI}campaign.association{PDI} في "
                f"{FSI}mailflow.toml{PDI} اسم جمعيتك.",
                f"لم يُضبط أي {FSI}authserv-id{PDI} موثوق "
                f"({FSI}security.trusted_authserv_ids{PDI})، لذا لا يُكتشف عنوان عضو زوّره غريب. "
                f"شغّل «{FSI}mailflow init{PDI}» بعد أول جلب "
                "للبريد لمعرفة المعرّف الذي يختم به خادم بريدك، أو اضبطه في "
                f"{FSI}mailflow.toml{PDI}.",
            ],
        ),
    ],
)
def test_dashboard_lists_the_configuration_warnings_in_the_page_language(
    client: FlaskClient, language: str, expected: list[str]
) -> None:
    _speaking(client, language)

    todo = _items(client.get("/").text, "todo")

    assert todo[:2] == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "#{sid} someone@elsewhere.example.net acceptée après l’envoi du rapport"),
        ("ar", "#{sid} someone@elsewhere.example.net قُبلت بعد إرسال التقرير"),
    ],
)
def test_dashboard_says_what_changed_since_the_report_in_the_page_language(
    client: FlaskClient, workspace: Workspace, language: str, expected: str
) -> None:
    token = _speaking(client, language)
    client.post("/report/compile", data={"csrf_token": token})
    client.post("/report/send", data={"confirm": "yes", "csrf_token": token})
    sid = _sid(workspace, STRANGER)
    client.post(f"/submissions/{sid}/review", data={"decision": "accept", "csrf_token": token})

    page = client.get("/").text

    heading = {"fr": "Modifié depuis l’envoi du rapport", "ar": "ما تغيّر منذ إرسال التقرير"}
    section = page.split(f"<h3>{heading[language]}</h3>", 1)[1]
    assert _items(section, "plain")[0] == expected.format(sid=sid)


# -- why a compiled report can no longer be sent ------------------------------------------------
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "1 contribution a changé dans le registre depuis la compilation (Bibliothèque "
            f"municipale de Saint-Clair (#{{sid}}){NBSP}: modifiée ou traduite par un "
            "coordinateur)",
        ),
        (
            "ar",
            f"تغيّرت مساهمة واحدة في السجل منذ التجميع ({FSI}{FSI}Bibliothèque municipale de "
            f"Saint-Clair (#{{sid}}){PDI}: {FSI}عدّلها منسق أو ترجمها{PDI}{PDI})",
        ),
    ],
)
def test_report_page_says_why_it_cannot_be_sent_in_the_page_language(
    client: FlaskClient, workspace: Workspace, language: str, expected: str
) -> None:
    token = _speaking(client, language)
    client.post("/report/compile", data={"csrf_token": token})
    sid = _sid(workspace, DUBOIS)
    client.post(f"/submissions/{sid}/text/edit", data={"text": "Why: new.", "csrf_token": token})

    page = client.get("/report").text

    problems = re.search(r'<div class="error" id="report-problems">(.*?)</div>', page, re.S)
    assert problems is not None
    assert re.findall(r"<li>(.*?)</li>", problems.group(1)) == [expected.format(sid=sid)]


# -- the words for codes ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "source", "kind"),
    [("fr", "le corps du courriel", "confirmation"), ("ar", "نص الرسالة", "تأكيد")],
)
def test_submission_page_names_the_source_and_the_mail_kind_in_the_page_language(
    client: FlaskClient, workspace: Workspace, language: str, source: str, kind: str
) -> None:
    _speaking(client, language)

    page = client.get(f"/submissions/{_sid(workspace, DUBOIS)}").text

    assert re.findall(r"<dd>([^<]*)</dd>", page)[5] == source
    [summary] = re.findall(r"<summary>(.*?)</summary>", page, re.S)
    assert summary.split(" · ")[1] == kind


def _notice_codes() -> set[str]:
    """Every code the package gives a `Notice` (its second argument)."""
    codes = set()
    for path in Path(mailflow.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Notice"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                codes.add(str(node.args[1].value))
    return codes


def test_every_notice_of_the_core_is_worded_by_the_console() -> None:
    codes = _notice_codes()

    assert len(codes) > 40
    assert codes - set(messages.WORDINGS) == set()


def test_template_values_are_isolated_in_arabic_only(client: FlaskClient) -> None:
    _speaking(client, "ar")
    arabic = client.get("/").text
    _speaking(client, "en")
    english = client.get("/").text

    assert f"يُرسَل التقرير إلى {FSI}report@ifla.test{PDI}؛" in arabic
    assert "The report goes to report@ifla.test; a contribution has at most 200 words." in english
    assert FSI not in english


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            f"1 courriel n’est pas parti{NBSP}: smtp.from est encore l’adresse de l’exemple, "
            f"wsis@example.org{NBSP}: indiquez l’adresse de votre association dans mailflow.toml.",
        ),
        (
            "ar",
            f"لم تُرسل رسالة واحدة: {FSI}ما زال {FSI}smtp.from{PDI} هو عنوان المثال "
            f"{FSI}wsis@example.org{PDI}: اضبط عنوان جمعيتك في {FSI}mailflow.toml{PDI}.{PDI}",
        ),
    ],
)
def test_mail_refused_by_the_configuration_says_why_in_the_page_language(
    workspace: Workspace, language: str, expected: str
) -> None:
    settings = replace(
        workspace.app.settings, smtp=replace(workspace.app.settings.smtp, from_="wsis@example.org")
    )
    app = App(settings)
    try:
        client = create_app(app, report_dir=workspace.path / "report").test_client()
        token = _speaking(client, language)
        sid = _sid(workspace, STRANGER)

        refused = client.post(
            f"/submissions/{sid}/review", data={"decision": "accept", "csrf_token": token}
        )
    finally:
        app.close()

    assert error_message(refused.text) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "Il n’y a pas de contribution 999."), ("ar", "لا توجد مساهمة رقمها 999.")],
)
def test_unknown_submission_is_said_in_the_page_language(
    client: FlaskClient, language: str, expected: str
) -> None:
    _speaking(client, language)

    missing = client.get("/submissions/999")

    assert missing.status_code == 404
    assert error_message(missing.text) == expected


@pytest.mark.parametrize(
    ("language", "vietnamese"), [("fr", "vietnamien"), ("ar", "الفيتنامية"), ("en", "Vietnamese")]
)
def test_languages_are_named_in_the_page_language(
    client: FlaskClient, language: str, vietnamese: str
) -> None:
    _speaking(client, language)

    page = client.get("/submissions?language=vi").text

    assert '<option value="vi" selected>' + vietnamese + "</option>" in page
    assert re.findall(r"<td>([^<]*)</td>\s*<td>[^<]*</td>\s*</tr>", page) == [vietnamese] * 2


@pytest.mark.parametrize(
    ("language", "lead"),
    [("fr", f"mailflow ne donne la raison qu’en anglais{NBSP}:"), ("en", None)],
)
def test_a_refusal_without_a_code_is_marked_as_english(
    flask_app: Flask, language: str, lead: str | None
) -> None:
    @flask_app.route("/refused")
    def refused() -> str:
        raise StateError("the ledger is busy; try again in a minute")

    client = flask_app.test_client()
    _speaking(client, language)

    page = client.get("/refused").text

    english = '<p class="error" id="error-message" lang="en" dir="ltr">'
    message = "the ledger is busy; try again in a minute</p>"
    if lead is None:
        assert error_message(page) == "the ledger is busy; try again in a minute"
    else:
        assert f"<p>{lead}</p>\n  {english}{message}" in page
