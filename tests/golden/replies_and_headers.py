# ruff: noqa: E501  (contribution texts are prose, one paragraph per line as members write)
"""Golden cases of issue 13: replies that are not contributions, duplicates, invisible marks,
headers and quotes as real mail writes them, and mail a program wrote.

Written by hand like the cases of `make_golden` (which imports `CASES` from here and writes the
files): invented members of invented libraries, each mail as its client would send it. Word
counts were made on the contribution text alone with the design's rule (whitespace-separated
tokens with a letter or digit, section labels included), independently of mailflow's counter.
Cases marked ``replying`` are replies to mailflow's confirmation from a member who already
contributed: what the member wrote there is a note when it is one.
"""

from __future__ import annotations

import base64

from make_golden import (
    DATE,
    DOCX,
    TO,
    Case,
    _missing,
    attachment_part,
    docx_bytes,
    mail,
    multipart,
    plain_mail,
    text_part,
)

CONFIRMATION_ID = "<confirm-77@association.example>"
REPLY = (f"In-Reply-To: {CONFIRMATION_ID}", f"References: {CONFIRMATION_ID}")

EN_CONFIRMATION_QUOTE = """
On Mon, 15 Sep 2025 at 09:12, WSIS coordinator <wsis@association.example> wrote:
> Dear Anna Lindqvist,
>
> Thank you for your contribution to WSIS 2025. It has been accepted.
> Action lines: C3, C4 - 111 words (limit 200).
"""


def _raw(lines: list[str], body: str, charset: str = "utf-8", lead: bytes = b"") -> bytes:
    """A plain-text mail written line by line, for headers no helper writes."""
    head = "\r\n".join(
        [*lines, f"Content-Type: text/plain; charset={charset}", "MIME-Version: 1.0"]
    )
    text = body.replace("\n", "\r\n")
    return lead + head.encode(charset) + b"\r\n\r\n" + text.encode(charset)


def _b64(text: str, label: str, codec: str) -> str:
    return f"=?{label}?B?{base64.b64encode(text.encode(codec)).decode()}?="


# --- member notes --------------------------------------------------------------------------

EN_THANKS = (
    "Thanks so much! Glad it arrived in time.\n\nBest regards,\nAnna\n" + EN_CONFIRMATION_QUOTE
)

FR_MERCI = """Merci beaucoup pour votre retour rapide !

Bien cordialement,
Marie Lefèvre
Médiathèque de Saint-Clair

De : Coordination SMSI <wsis@association.example>
Envoyé : lundi 15 septembre 2025 09:12
À : Marie Lefèvre <m.lefevre@mediatheque-stclair.example.fr>
Objet : Re: Contribution SMSI 2025

Madame,
Merci pour votre contribution à la campagne WSIS 2025. Elle a été acceptée.
"""

ZH_XIEXIE = """谢谢！已收到确认邮件。

王芳

在 2025年9月15日 09:12，WSIS coordinator <wsis@association.example> 写道：
> 王芳您好：
> 感谢您的投稿，您的投稿已通过审核。
"""

VI_CAM_ON = """Cảm ơn anh/chị đã xác nhận. Chúc anh/chị một tuần làm việc hiệu quả!

Trân trọng,
Nguyễn Thị Hoa

Vào Th 2, 15 thg 9, 2025 lúc 09:12 WSIS coordinator <wsis@association.example> đã viết:
> Kính gửi Ông/Bà Nguyễn Thị Hoa,
> Cảm ơn Ông/Bà đã gửi bài đóng góp. Bài đã được chấp nhận.
"""

RU_SPASIBO = """Спасибо, подтверждение получили.

С уважением,
Ирина Соколова

15 сентября 2025 г., в 9:12, пользователь WSIS coordinator написал:
> Уважаемая Ирина Соколова!
> Благодарим вас за материал. Он принят.
"""

AR_SHUKRAN = """شكرا جزيلا على التأكيد السريع.

مع خالص التحية،
ليلى حداد

في الاثنين، 15 سبتمبر 2025 09:12، كتب WSIS coordinator <wsis@association.example>:
> السيدة ليلى حداد،
> شكرا لمساهمتكم، وقد قبلت.
"""

ES_GRACIAS_HTML = """<html><body><div dir="ltr">¡Muchas gracias! Todo en orden por nuestra parte.<br><br>Un saludo cordial,<br>Ana García</div>
<div class="gmail_quote"><div dir="ltr" class="gmail_attr">El lun, 15 sept 2025 a las 9:12, WSIS coordinator (&lt;wsis@association.example&gt;) escribió:<br></div>
<blockquote class="gmail_quote">Estimada Ana García:<br>Gracias por su contribución. Ha sido aceptada.</blockquote></div></body></html>
"""


# --- invisible marks, bare links, duplicates, unreadable attachments, long lines -----------

AR_RLM_TEMPLATE = """\u200fالمؤسسة: مكتبة الواحة العامة
\u200fالبلد: الأردن
\u200fخطوط العمل: \u2066C3\u2069 الوصول إلى المعلومات والمعرفة
\u200fالسبب: نفتح المكتبة مساء كل يوم للطلاب والأسر التي لا تملك اتصالا بالإنترنت في البيت.
\u200fالنتائج: دليل الخدمات الرقمية على الموقع \u2066https://oasis-library.example.jo/guide\u2069 وقائمة الكتب الإلكترونية المفتوحة.
\u200fالإنجازات: زار المكتبة ألفا طالب في المساء خلال العام.
\u200fالاتجاهات: يزداد طلب الأسر على خدمات التعلم عن بعد.
\u200fالعقبات: انقطاع الكهرباء في الصيف.
\u200fالإجراءات المستقبلية: برنامج مشترك لمحو الأمية الرقمية مع مكتبات في لبنان في عام 2026.
"""

EN_WWW = """Organisation: Harbourside Public Library
Country: New Zealand
Action lines: C3 Access to information and knowledge
Why: Many residents of the harbour suburbs reach government services only through our free computers.
Outputs: Our guide to online services is at www.harbourside-library.example.nz/online-services and the recordings of our help sessions at www.harbourside-library.example.nz/help-videos.
Achievements: 900 people booked a help session this year.
Trends: Questions about digital identity have doubled.
Obstacles: Too few volunteers speak Samoan or Tongan.
Future actions: A Pacific library network for multilingual help guides.
"""

EN_PASTED = [
    "Organisation: Millbrook Community Library",
    "Country: Canada",
    "Action lines: C4 Capacity building",
    "Why: Newcomers to Millbrook need to learn digital skills quickly to find work and housing.",
    "Outputs: Weekly digital skills classes in English and Arabic; course notes at https://millbrook-library.example.ca/classes.",
    "Achievements: 320 newcomers finished the course and 60 found work they applied for online.",
    "Trends: More learners use only a phone, not a computer.",
    "Obstacles: We have no funding for interpreters after March.",
    "Future actions: Share the course with three libraries in Ontario.",
]

EN_PASTED_BODY = (
    "Dear coordinator,\n\nPlease find our contribution below and also attached.\n\n"
    + "\n".join(EN_PASTED)
    + "\n\nKind regards,\nSamir Haddad\n"
)

EN_PAGES_NOTE = "Hello,\n\nOur contribution for WSIS 2025 is attached as a Pages file, which is the word processor we use on our Mac computers.\n\nBest wishes,\nClaire Dubois\nRiverside Library\n"

ES_DOC_NOTE = (
    "Buenos días:\n\nAdjunto nuestra contribución para la CMSI 2025.\n\nAtentamente,\nAna García\n"
)

EN_LONG_TRENDS = (
    "Organisation: Eastfield Library Trust\nCountry: Kenya\nAction lines: C3\n"
    "Why: The trust runs reading rooms in eight market towns.\n"
    "Trends: "
    + " ".join(
        [
            "Every market town asked for longer opening hours, for more books in Kiswahili, for help with mobile money, and for quiet places where students can revise for their exams."
        ]
        * 12
    )
    + "\nObstacles: Power cuts.\n"
)


# --- headers as real mail writes them --------------------------------------------------------

DE_COMMA_NAME = """Organisation: Stadtbibliothek Lindenau
Country: Germany
Action lines: C8 Cultural diversity and identity, linguistic diversity and local content
Why: Our city has residents from more than 90 countries and we want all of them to find books in their languages.
Outputs: The multilingual shelf catalogue at https://stadtbibliothek-lindenau.example.de/mehrsprachig.
Achievements: 14 new languages in the collection, chosen with community groups.
Trends: Audiobooks in heritage languages are the most borrowed items.
Obstacles: Small publishers abroad rarely sell to libraries.
Future actions: A shared acquisition list with libraries in Austria and Switzerland.
"""

ES_BRACKETS = """Organización: Biblioteca Pública Municipal de Valdeluz
País: España
Líneas de acción: C4 Creación de capacidad
Por qué: Los mayores del municipio quieren usar la administración electrónica sin depender de sus hijos.
Resultados: Talleres semanales de competencias digitales; materiales en https://biblioteca-valdeluz.example.es/talleres.
Logros: 210 personas mayores completaron los talleres.
Tendencias: Crece la demanda de ayuda con la cita médica en línea.
Obstáculos: La conexión en los barrios rurales es lenta.
Acciones futuras: Un programa común con las bibliotecas de la comarca en 2026.
"""

ZH_GBK = """机构：东湖区图书馆
国家：中国
行动方针：C3 获取信息和知识
原因：东湖区有很多外来务工人员，他们需要免费上网和查找就业信息。
成果：开放了夜间自习室和就业信息角，网址 https://donghu-library.example.cn/jobs 。
成就：全年夜间服务读者一万二千人次。
趋势：读者越来越多地用手机查资料。
障碍：夜间开放的人手不足。
未来行动：与邻近城市的图书馆共建就业信息平台。
"""

RU_JUNK = """Организация: Центральная городская библиотека им. А. С. Пушкина, г. Светлогорск
Страна: Россия
Направления деятельности: C4 Укрепление потенциала
Почему: Жителям старшего возраста нужна помощь с государственными услугами в интернете.
Результаты: Курсы компьютерной грамотности, материалы на https://svetlogorsk-library.example.ru/kursy.
Достижения: Курсы окончили 180 человек.
Тенденции: Растёт спрос на консультации по мобильным приложениям.
Препятствия: Не хватает компьютеров в филиалах.
Будущие действия: Совместный курс с библиотеками Беларуси в 2026 году.
"""

EN_LEADING_BLANK = """Organisation: Westhaven Library
Country: Ireland
Action lines: C3 Access to information and knowledge
Why: Westhaven has no bookshop and the nearest town is 40 km away.
Outputs: A mobile library with Wi-Fi, timetable at https://westhaven-library.example.ie/mobile.
Achievements: The van visits 22 villages every fortnight.
Trends: More requests for large-print books.
Obstacles: Fuel costs.
Future actions: Share the route planning tool with other rural libraries.
"""


# --- quoted replies in more clients and languages ---------------------------------------------

NL_REPLY = """Organisation: Openbare Bibliotheek Zeewolde
Country: Netherlands
Action lines: C3 Access to information and knowledge
Why: Zeewolde has many young families who move here without knowing where to find public services.
Outputs: Our digital help desk at https://bibliotheek-zeewolde.example.nl/digitaal-loket.
Achievements: 1,100 visits to the help desk this year.
Trends: Questions about energy allowances increased.
Obstacles: Volunteers leave after one season.
Future actions: A regional training for help desk volunteers with libraries in Flevoland.

Met vriendelijke groet,
Eva de Vries

Op 1 sep. 2025 om 10:00 heeft WSIS coordinator het volgende geschreven:
> Dear members, please send your contribution to WSIS 2025 before 30 September.
> Name your action lines, your outputs with links, and your future actions.
"""

RU_REPLY = RU_JUNK.replace("Светлогорск", "Зеленоградск").replace("180", "150") + (
    "\nС уважением,\nИрина Соколова\n\n"
    "1 сентября 2025 г., в 10:00, пользователь WSIS coordinator написал:\n"
    "> Уважаемые коллеги! Просим прислать материалы до 30 сентября.\n"
    "> Укажите направления деятельности и ссылки на результаты.\n"
)

IT_OUTLOOK = """Organizzazione: Biblioteca Civica di Valdorno
Paese: Italia
Action lines: C3 Access to information and knowledge
Why: Our library is the only place in the valley with free public internet.
Outputs: The online local history archive at https://biblioteca-valdorno.example.it/archivio.
Achievements: 3,000 photographs digitised with the help of residents.
Trends: Schools ask for local history lessons.
Obstacles: Slow connection in the mountain villages.
Future actions: A shared archive with libraries across the border in Switzerland.

Cordiali saluti,
Giulia Rossi

Da: WSIS coordinator <wsis@association.example>
Inviato: lunedì 1 settembre 2025 10:00
A: Giulia Rossi <g.rossi@biblioteca-valdorno.example.it>
Oggetto: WSIS 2025 call for contributions

Dear members, please send your contribution to WSIS 2025 before 30 September.
"""

EN_ZOHO = """Organisation: Cape Hill Library
Country: South Africa
Action lines: C7 e-learning
Why: Learners in Cape Hill study at home without a computer.
Outputs: Free online study hours with tutors, timetable at https://capehill-library.example.za/study-hours.
Achievements: 450 learners joined the study hours.
Trends: More learners ask for help with mathematics.
Obstacles: Data costs for families.
Future actions: Zero-rated access to the library portal with a mobile operator.

---- On Mon, 01 Sep 2025 10:00:00 +0700 WSIS coordinator <wsis@association.example> wrote ----

Dear members, please send your contribution to WSIS 2025 before 30 September.
Name your action lines, your outputs with links, and your future actions.
"""

EN_ISO_DATED = """Action lines: C9 Media
Organisation: Lowmoor Library
Country: United Kingdom
Why: Local newspapers closed and the library keeps the town's news archive.
Outputs: The digitised Lowmoor Gazette at https://lowmoor-library.example.uk/gazette.
Achievements: 40 years of the paper are online.
Trends: Researchers and families use the archive equally.
Obstacles: Copyright questions for recent years.
Future actions: A shared regional news archive.

2025-09-01 10:00 GMT+07:00 WSIS coordinator <wsis@association.example>:
> Dear members, please send your contribution to WSIS 2025 before 30 September.
"""

EN_XML_HTML = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>WSIS</title></head><body><p>Organisation: Brookfield Library</p><p>Country: Australia</p><p>Action lines: C3 Access to information and knowledge</p><p>Why: Brookfield has no other public place with free internet.</p><p>Outputs: Our online help pages at <a href="https://brookfield-library.example.au/help">https://brookfield-library.example.au/help</a>.</p><p>Achievements: 2,000 help sessions.</p><p>Trends: More questions about scams.</p><p>Obstacles: Short opening hours.</p><p>Future actions: Evening sessions with the council.</p></body></html>
"""


# --- mail a program wrote -----------------------------------------------------------------

SURVEY_NOTICE = "Thank you. Your response to the WSIS 2025 library survey has been recorded.\n\nThis mailbox is not monitored.\n"
REDMINE_NOTICE = "Issue #481 has been updated by Samir Haddad.\n\nStatus changed from New to In Progress\n\nWSIS 2025 contribution: draft attached to the ticket.\n"
GENERATED_NOTICE = (
    "Daily circulation report for Lakeside County Library Service.\nLoans: 1,204\nReturns: 1,118\n"
)
FR_ABSENCE = "Bonjour,\nJe suis absente jusqu'au 22 septembre. Pour toute urgence, écrivez à accueil@mediatheque-stclair.example.fr.\nMarie Lefèvre\n"
IT_FUORI = (
    "Sono fuori ufficio fino al 20 settembre con accesso limitato alla posta.\nGiulia Rossi\n"
)


def _unreadable(note: str, filename: str, ctype: str, sender: str, subject: str, mid: str) -> bytes:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4  # an OLE2 header: Word 97
    return mail(
        sender,
        subject,
        mid,
        multipart("mixed", [text_part(note), attachment_part(data, ctype, filename)], "mix-" + mid),
    )


CASES: list[Case] = [
    Case(
        "en_note_thanks_reply",
        lambda: plain_mail(
            "Anna Lindqvist <a.lindqvist@lakeside-library.example.org>",
            "Re: Your contribution to WSIS 2025 (accepted)",
            "n1@lakeside.example.org",
            EN_THANKS,
            extra=REPLY,
        ),
        "none",
        [],
        [],
        8,
        [],
        "en",
        kind="member_note",
        replying=True,
    ),
    Case(
        "fr_note_merci_outlook",
        lambda: plain_mail(
            "Marie Lefèvre <m.lefevre@mediatheque-stclair.example.fr>",
            "RE: Contribution SMSI 2025",
            "n2@mediatheque-stclair.example.fr",
            FR_MERCI,
            charset="iso-8859-1",
            cte="quoted-printable",
            extra=REPLY,
        ),
        "none",
        [],
        [],
        6,
        [],
        "fr",
        kind="member_note",
        replying=True,
    ),
    Case(
        "zh_note_xiexie",
        lambda: plain_mail(
            "王芳 <wangfang@donghu-library.example.cn>",
            "回复：您的投稿已通过审核",
            "n3@donghu.example.cn",
            ZH_XIEXIE,
            cte="base64",
            extra=REPLY,
        ),
        "none",
        [],
        [],
        9,
        [],
        "zh",
        kind="member_note",
        replying=True,
    ),
    Case(
        "vi_note_cam_on",
        lambda: plain_mail(
            "Nguyễn Thị Hoa <hoa.nt@thuvien-hanoi.example.vn>",
            "Re: Bài đóng góp WSIS 2025 đã được chấp nhận",
            "n4@thuvien-hanoi.example.vn",
            VI_CAM_ON,
            extra=REPLY,
        ),
        "none",
        [],
        [],
        14,
        [],
        "vi",
        kind="member_note",
        replying=True,
    ),
    Case(
        "ru_note_spasibo",
        lambda: plain_mail(
            "Ирина Соколова <sokolova@svetlogorsk-library.example.ru>",
            "Re: Ваш материал для ВВУИО 2025 принят",
            "n5@svetlogorsk.example.ru",
            RU_SPASIBO,
            charset="koi8-r",
            extra=REPLY,
        ),
        "none",
        [],
        [],
        3,
        [],
        "ru",
        kind="member_note",
        replying=True,
    ),
    Case(
        "ar_note_shukran",
        lambda: plain_mail(
            "ليلى حداد <l.haddad@oasis-library.example.jo>",
            "رد: تم قبول مساهمتكم",
            "n6@oasis.example.jo",
            AR_SHUKRAN,
            charset="windows-1256",
            extra=REPLY,
        ),
        "none",
        [],
        [],
        5,
        [],
        "ar",
        kind="member_note",
        replying=True,
    ),
    Case(
        "es_note_gracias_html",
        lambda: mail(
            "Ana García <agarcia@biblioteca-valdeluz.example.es>",
            "Re: Su contribución a la CMSI 2025",
            "n7@valdeluz.example.es",
            text_part(ES_GRACIAS_HTML, "html"),
            extra=REPLY,
        ),
        "none",
        [],
        [],
        8,
        [],
        "es",
        kind="member_note",
        replying=True,
    ),
    Case(
        "ar_invisible_marks_before_labels",
        lambda: plain_mail(
            "ليلى حداد <l.haddad@oasis-library.example.jo>",
            "مساهمة المكتبة 2025",
            "m1@oasis.example.jo",
            AR_RLM_TEMPLATE,
        ),
        "accepted",
        ["C3"],
        ["https://oasis-library.example.jo/guide"],
        76,
        [],
        "ar",
    ),
    Case(
        "en_bare_www_links",
        lambda: plain_mail(
            "Mere Tuhiwai <mere@harbourside-library.example.nz>",
            "WSIS 2025 contribution",
            "m2@harbourside.example.nz",
            EN_WWW,
        ),
        "accepted",
        ["C3"],
        [
            "https://www.harbourside-library.example.nz/online-services",
            "https://www.harbourside-library.example.nz/help-videos",
        ],
        82,
        [],
        "en",
    ),
    Case(
        "en_body_and_docx_same_text",
        lambda: mail(
            "Samir Haddad <s.haddad@millbrook-library.example.ca>",
            "WSIS 2025 – Millbrook Community Library",
            "m3@millbrook.example.ca",
            multipart(
                "mixed",
                [
                    text_part(EN_PASTED_BODY),
                    attachment_part(docx_bytes(EN_PASTED), DOCX, "Millbrook_WSIS_2025.docx"),
                ],
                "mix-m3",
            ),
        ),
        "accepted",
        ["C4"],
        ["https://millbrook-library.example.ca/classes"],
        82,
        [],
        "en",
    ),
    Case(
        "en_unreadable_pages_attachment",
        lambda: _unreadable(
            EN_PAGES_NOTE,
            "Riverside WSIS 2025.pages",
            "application/x-iwork-pages-sffpages",
            "Claire Dubois <c.dubois@riverside-library.example.org>",
            "WSIS 2025 contribution",
            "m4@riverside.example.org",
        ),
        "needs_revision",
        [],
        [],
        23,
        ["unreadable_attachment"],
        "en",
    ),
    Case(
        "es_unreadable_doc_attachment",
        lambda: _unreadable(
            ES_DOC_NOTE,
            "Contribucion_CMSI_2025.doc",
            "application/msword",
            "Ana García <agarcia@biblioteca-valdeluz.example.es>",
            "Contribución CMSI 2025",
            "m5@valdeluz.example.es",
        ),
        "needs_revision",
        [],
        [],
        9,
        ["unreadable_attachment"],
        "es",
    ),
    Case(
        "en_long_trends_line",
        lambda: plain_mail(
            "Wanjiru Kamau <w.kamau@eastfield-trust.example.ke>",
            "WSIS contribution",
            "m6@eastfield.example.ke",
            EN_LONG_TRENDS,
        ),
        "needs_revision",
        ["C3"],
        [],
        371,
        ["word_limit", *_missing("outputs", "achievements", "future_actions")],
        "en",
    ),
    Case(
        "en_leading_blank_line",
        lambda: _raw(
            [
                "From: Aoife Byrne <a.byrne@westhaven-library.example.ie>",
                f"To: {TO}",
                "Subject: WSIS 2025",
                f"Date: {DATE}",
                "Message-ID: <h1@westhaven.example.ie>",
            ],
            EN_LEADING_BLANK,
            lead=b"\r\n",
        ),
        "accepted",
        ["C3"],
        ["https://westhaven-library.example.ie/mobile"],
        63,
        [],
        "en",
        sender="a.byrne@westhaven-library.example.ie",
    ),
    Case(
        "de_encoded_name_with_comma",
        lambda: _raw(
            [
                "From: =?iso-8859-1?Q?B=FCrling,=20Andreas?= <a.buerling@stadtbibliothek-lindenau.example.de>",
                f"To: {TO}",
                "Subject: =?iso-8859-1?Q?Beitrag_WSIS_2025_=96_Stadtbibliothek?=",
                f"Date: {DATE}",
                "Message-ID: <h2@lindenau.example.de>",
            ],
            DE_COMMA_NAME,
        ),
        "accepted",
        ["C8"],
        ["https://stadtbibliothek-lindenau.example.de/mehrsprachig"],
        87,
        [],
        "en",
        sender="a.buerling@stadtbibliothek-lindenau.example.de",
    ),
    Case(
        "es_brackets_in_display_name",
        lambda: _raw(
            [
                "From: Biblioteca Valdeluz [Sede Central] <sede@biblioteca-valdeluz.example.es>",
                f"To: {TO}",
                "Subject: =?utf-8?Q?Contribuci=C3=B3n_CMSI_2025?=",
                f"Date: {DATE}",
                "Message-ID: <h3@valdeluz.example.es>",
            ],
            ES_BRACKETS,
        ),
        "accepted",
        ["C4"],
        ["https://biblioteca-valdeluz.example.es/talleres"],
        81,
        [],
        "es",
        sender="sede@biblioteca-valdeluz.example.es",
    ),
    Case(
        "zh_gbk_subject_8bit_and_gb2312_name",
        lambda: _raw(
            [
                f"From: {_b64('李镕', 'gb2312', 'gb18030')} <lirong@donghu-library.example.cn>",
                f"To: {TO}",
                "Subject: 东湖区图书馆的投稿",
                f"Date: {DATE}",
                "Message-ID: <h4@donghu.example.cn>",
            ],
            ZH_GBK,
            charset="gbk",
        ),
        "accepted",
        ["C3"],
        ["https://donghu-library.example.cn/jobs"],
        135,
        [],
        "zh",
        sender="lirong@donghu-library.example.cn",
    ),
    Case(
        "ru_junk_line_and_unindented_subject",
        lambda: (
            b"junk line from an old archive tool\r\n"
            + _raw(
                [
                    "From: =?utf-8?B?0JjRgNC40L3QsCDQodC+0LrQvtC70L7QstCw?= <sokolova@svetlogorsk-library.example.ru>",
                    f"To: {TO}",
                    "Subject: =?utf-8?B?0JLQutC70LDQtCDQsdC40LHQu9C40L7RgtC10LrQuA==?=",
                    "2025 (Svetlogorsk)",
                    f"Date: {DATE}",
                    "Message-ID: <h5@svetlogorsk.example.ru>",
                ],
                RU_JUNK,
            )
        ),
        "accepted",
        ["C4"],
        ["https://svetlogorsk-library.example.ru/kursy"],
        64,
        [],
        "ru",
        sender="sokolova@svetlogorsk-library.example.ru",
    ),
    Case(
        "nl_reply_het_volgende",
        lambda: plain_mail(
            "Eva de Vries <e.devries@bibliotheek-zeewolde.example.nl>",
            "Re: WSIS 2025 call for contributions",
            "q1@zeewolde.example.nl",
            NL_REPLY,
            extra=("In-Reply-To: <call-2025@association.example>",),
        ),
        "accepted",
        ["C3"],
        ["https://bibliotheek-zeewolde.example.nl/digitaal-loket"],
        71,
        [],
        "en",
    ),
    Case(
        "ru_reply_polzovatel_napisal",
        lambda: plain_mail(
            "Ирина Соколова <sokolova@zelenogradsk-library.example.ru>",
            "Re: ВВУИО 2025: приглашение",
            "q2@zelenogradsk.example.ru",
            RU_REPLY,
            extra=("In-Reply-To: <call-2025@association.example>",),
        ),
        "accepted",
        ["C4"],
        ["https://svetlogorsk-library.example.ru/kursy"],
        64,
        [],
        "ru",
    ),
    Case(
        "it_outlook_reply_block",
        lambda: plain_mail(
            "Giulia Rossi <g.rossi@biblioteca-valdorno.example.it>",
            "R: WSIS 2025 call for contributions",
            "q3@valdorno.example.it",
            IT_OUTLOOK,
            charset="windows-1252",
            cte="quoted-printable",
        ),
        "accepted",
        ["C3"],
        ["https://biblioteca-valdorno.example.it/archivio"],
        72,
        [],
        "en",
    ),
    Case(
        "en_zoho_reply_separator",
        lambda: plain_mail(
            "Thandi Nkosi <t.nkosi@capehill-library.example.za>",
            "Re: WSIS 2025 call for contributions",
            "q4@capehill.example.za",
            EN_ZOHO,
        ),
        "accepted",
        ["C7"],
        ["https://capehill-library.example.za/study-hours"],
        64,
        [],
        "en",
    ),
    Case(
        "en_iso_dated_attribution",
        lambda: plain_mail(
            "Tom Hughes <t.hughes@lowmoor-library.example.uk>",
            "Re: WSIS 2025 call for contributions",
            "q5@lowmoor.example.uk",
            EN_ISO_DATED,
        ),
        "accepted",
        ["C9"],
        ["https://lowmoor-library.example.uk/gazette"],
        58,
        [],
        "en",
    ),
    Case(
        "en_xhtml_with_xml_declaration",
        lambda: mail(
            "Olivia Chen <o.chen@brookfield-library.example.au>",
            "WSIS 2025",
            "q6@brookfield.example.au",
            text_part(EN_XML_HTML, "html"),
        ),
        "accepted",
        ["C3"],
        ["https://brookfield-library.example.au/help"],
        52,
        [],
        "en",
    ),
    Case(
        "en_noreply_survey_receipt",
        lambda: plain_mail(
            "Library Survey <no-reply@survey.example.org>",
            "Your response has been recorded",
            "a1@survey.example.org",
            SURVEY_NOTICE,
        ),
        "needs_revision",
        [],
        [],
        18,
        ["no_action_line"],
        "en",
        kind="automated",
    ),
    Case(
        "en_redmine_notification",
        lambda: plain_mail(
            "Redmine <redmine@millbrook-library.example.ca>",
            "[WSIS - Task #481] (In Progress) Contribution 2025",
            "a2@millbrook.example.ca",
            REDMINE_NOTICE,
            extra=("X-Redmine-Project: wsis", "X-Redmine-Issue-Id: 481"),
        ),
        "needs_revision",
        [],
        [],
        23,
        ["no_action_line"],
        "en",
        kind="automated",
    ),
    Case(
        "en_auto_generated_subject",
        lambda: plain_mail(
            "Circulation <circulation@lakeside-library.example.org>",
            "[AUTO GENERATED] Daily circulation report",
            "a3@lakeside.example.org",
            GENERATED_NOTICE,
        ),
        "needs_revision",
        [],
        [],
        12,
        ["no_action_line"],
        "en",
        kind="automated",
    ),
    Case(
        "fr_absence_subject",
        lambda: plain_mail(
            "Marie Lefèvre <m.lefevre@mediatheque-stclair.example.fr>",
            "Absente du bureau : Contribution SMSI 2025",
            "a4@mediatheque-stclair.example.fr",
            FR_ABSENCE,
        ),
        "needs_revision",
        [],
        [],
        15,
        ["no_action_line"],
        "fr",
        kind="auto_reply",
    ),
    Case(
        "it_fuori_ufficio_subject",
        lambda: plain_mail(
            "Giulia Rossi <g.rossi@biblioteca-valdorno.example.it>",
            "Fuori ufficio: WSIS 2025 call for contributions",
            "a5@valdorno.example.it",
            IT_FUORI,
        ),
        "needs_revision",
        [],
        [],
        14,
        ["no_action_line"],
        "it",
        kind="auto_reply",
    ),
]
