"""The report IFLA reads, end to end over real servers: seven members write in seven languages
(with greetings, sign-offs, an English version, countries typed in their own language) through
Postfix into Dovecot; mailflow polls, the coordinator edits one contribution and translates
another, compiles, and sends; the report is read back from the recipient's mailbox.

Needs root and Debian's postfix, dovecot-imapd and dovecot-lmtpd (skipped otherwise); wrap runs in
``flock /tmp/postfix.lock``.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import time
import uuid
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner
from imap_tools import MailBoxUnencrypted
from support.postfix import Postfix
from support.servers import SHARED_PASSWORD, Dovecot

from mailflow.cli import main

pytestmark = pytest.mark.servers

T = TypeVar("T")

EN = """\
Dear coordinator,

I am sending this from my personal address, please keep it between us.

Organisation: Lakeside County Library Service
Country: Ireland
Action lines: C3 Access to information and knowledge; C4 Capacity building
Why: Our 14 branches give free internet access to people who have no connection at home.
Outputs: The "Connected Communities" programme https://lakeside.example.org/connected
Achievements: Loans of laptops doubled.
Trends: More older adults ask for help with online public services.
Obstacles: Rural broadband remains slow.
Future actions: A shared digital skills curriculum with libraries in Wales in 2026.

Best regards,
The digital services team
"""
FR = """\
Bonjour,

Voici notre contribution, avec un peu de retard.

Organisme : Bibliothèque municipale de Saint-Clair
Pays : France
Lignes d'action : C8 Diversité et identité culturelles, diversité linguistique et contenus locaux
Pourquoi : Nos habitants parlent plus de trente langues.
Réalisations : Le portail « Mémoires de quartier » https://bm-saintclair.example.fr/memoires
Réussites : 1 200 nouveaux inscrits en 2025.
Tendances : Les usagers demandent de l'aide pour les démarches en ligne.
Obstacles : Le manque de personnel formé le week-end.
Actions futures : Un échange avec des bibliothèques du Québec sur la mémoire orale.

Cordialement,
Hélène Dubois
"""
ES = """\
Estimados colegas:

Les envío nuestra contribución.

Organización: Red de Bibliotecas Valle Alto
País: Perú
Líneas de acción: C3 Acceso a la información y al conocimiento
Por qué: Muchas familias no tienen internet en casa.
Resultados: Talleres de alfabetización digital https://vallealto.example.pe/talleres
Logros: 1.500 personas participaron en los talleres.
Tendencias: Los adultos mayores buscan ayuda con los trámites en línea.
Obstáculos: La conexión es lenta.
Acciones futuras: Compartiremos los materiales con bibliotecas de Bolivia.

Versión en inglés:
Why: Many families have no internet at home.
Outputs: Digital literacy workshops https://vallealto.example.pe/talleres
Achievements: 1,500 people took part in the workshops.
Trends: Older adults look for help with online procedures.
Obstacles: The connection is slow.
Future actions: We will share the materials with libraries in Bolivia.

Saludos cordiales,
Jorge Mamani
"""
VI = """\
Kính gửi Ban điều phối,

Tổ chức: Thư viện tỉnh Sông Hồng
Quốc gia: Việt Nam
Hướng hành động: C3 Tiếp cận thông tin và tri thức; C4 Xây dựng năng lực
Lý do: Nhiều người dân ở vùng nông thôn chưa biết cách tìm kiếm thông tin trên mạng.
Kết quả: Chương trình "Thư viện số cho mọi người": https://songhong.example.vn/thu-vien-so
Thành tựu: Hơn 2.000 người dân đã tham gia các lớp tập huấn.
Xu hướng: Người cao tuổi quan tâm đến dịch vụ công trực tuyến.
Khó khăn: Thiếu máy tính.
Kế hoạch tương lai: Hợp tác với các thư viện ở Lào và Campuchia.

Trân trọng,
Minh
"""
AR = """\
الزملاء الأعزاء،

المؤسسة: مكتبة مدينة الواحة العامة
البلد: الأردن
خطوط العمل: C3 النفاذ إلى المعلومات والمعرفة
السبب: كثير من سكان الأحياء الطرفية لا يملكون اتصالاً بالإنترنت.
النتائج: برنامج "المكتبة الرقمية للجميع": https://oasis.example.jo/digital
الإنجازات: تدرب 900 شاب وشابة خلال عام 2025.
الاتجاهات: يزداد الطلب على الخدمات الحكومية الإلكترونية.
العقبات: نقص الأجهزة وضعف التمويل.
الإجراءات المستقبلية: التعاون مع مكتبات في لبنان لتبادل المواد التدريبية.

مع أطيب التحيات،
ليلى
"""
ZH = """\
尊敬的协调员：

机构：东海市图书馆
国家：中国
行动方针： C4 能力建设
原因：许多老年读者不会使用智能手机获取公共服务。
成果：“银龄数字课堂”项目，课程资料见 https://donghai.example.cn/silver
成就：二零二五年共举办一百二十场培训。
趋势：老年人对网上挂号和缴费的需求增加。
障碍：志愿者不足。
未来行动：与日本和韩国的公共图书馆交流经验。

此致
敬礼
李娜
"""
RU = """\
Уважаемые коллеги!

Организация: Центральная городская библиотека Заречья
Страна: Россия
Направления деятельности: C4 Создание потенциала
Обоснование: Многие жители пригородов не умеют пользоваться онлайн-услугами.
Результаты: Курсы цифровой грамотности: https://zarechye.example.ru/kursy
Достижения: В 2025 году курсы окончили 1 300 человек.
Тенденции: Растёт спрос на помощь с электронными документами.
Препятствия: Не хватает компьютеров.
Дальнейшие действия: Обмен опытом с библиотеками Казахстана.

С уважением,
Айгуль
"""
ZH_ENGLISH = """\
Why: Many older readers cannot use smartphones to reach public services.
Outputs: The "Silver Digital Classroom" programme https://donghai.example.cn/silver
Achievements: 120 training sessions in 2025.
Trends: Older people increasingly book and pay online.
Obstacles: Not enough volunteers.
Future actions: Exchanges with public libraries in Japan and Korea.
"""
GREETINGS_AND_SIGN_OFFS = (
    "Dear coordinator",
    "personal address",
    "Best regards",
    "digital services team",
    "Bonjour",
    "avec un peu de retard",
    "Cordialement",
    "Estimados",
    "Les envío",
    "Saludos",
    "Kính gửi",
    "Trân trọng",
    "الزملاء الأعزاء",
    "مع أطيب التحيات",
    "尊敬的",
    "此致",
    "敬礼",
    "Уважаемые",
    "С уважением",
)
LABELS = (
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
)


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def inbox(postfix: Postfix, dovecot: Dovecot, user: str) -> list[EmailMessage]:
    with MailBoxUnencrypted(postfix.host, dovecot.imap_port).login(
        user, SHARED_PASSWORD, initial_folder="INBOX"
    ) as box:
        uids = box.uids()
        if not uids:
            return []
        _, data = box.client.uid("FETCH", ",".join(uids), "(BODY.PEEK[])")
        found = []
        for item in data:
            if isinstance(item, tuple):
                message = message_from_bytes(item[1], policy=policy.default)
                assert isinstance(message, EmailMessage)
                found.append(message)
        return found


def test_report_read_back_from_the_recipients_mailbox_is_the_proofread_one(
    tmp_path: Path, dovecot: Dovecot, postfix_mta: Postfix, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]
    association, ifla = f"wsis-{tag}@association.test", f"ifla-{tag}@members.test"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mailflow.toml").write_text(
        f"""
[ledger]
url = "sqlite:///ledger.sqlite3"
[imap]
host = "127.0.0.1"
port = {dovecot.imap_port}
security = "none"
user = "{association}"
[smtp]
host = "127.0.0.1"
port = {postfix_mta.smtp_port}
security = "none"
user = ""
from = "WSIS coordinator <{association}>"
[campaign]
name = "WSIS 2025"
association = "Test Library Association"
deadline = "2099-09-30T23:59:59+07:00"
recipient = "{ifla}"
coordinator = "Lan Nguyen <{association}>"
signature = "WSIS coordinator"
""",
        encoding="utf-8",
    )
    members = {
        "en": (EN, "Siobhan Kelly", "Ireland"),
        "fr": (FR, "Hélène Dubois", "France"),
        "es": (ES, "Jorge Mamani", ""),
        "vi": (VI, "Trần Văn Minh", ""),
        "ar": (AR, "Layla Haddad", "Jordan"),
        "zh": (ZH, "Li Na", "China"),
        "ru": (RU, "Aigul Serikova", ""),
    }
    address = {language: f"{language}-{tag}@members.test" for language in members}
    roster = ["email,name,organisation,country,language"]
    roster += [
        f"{address[lang]},{name},,{country},{lang}" for lang, (_, name, country) in members.items()
    ]
    roster.append(f"silent-{tag}@members.test,Sam Silent,Quiet Library,Kenya,en")
    (tmp_path / "members.csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    env = {"MAILFLOW_IMAP_PASSWORD": SHARED_PASSWORD}
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    cli("init")
    cli("members", "import", "members.csv")
    with smtplib.SMTP(postfix_mta.host, postfix_mta.smtp_port, timeout=30) as smtp:
        for language, (body, name, _) in members.items():
            message = EmailMessage()
            message["From"] = f"{name} <{address[language]}>"
            message["To"] = association
            message["Subject"] = "WSIS contribution"
            message["Message-ID"] = make_msgid(domain="members.test")
            message.set_content(body)
            smtp.send_message(message)

    def accepted() -> list[dict[str, object]] | None:
        cli("poll")
        rows = json.loads(cli("submissions", "list", "--json", "--status", "accepted"))
        return rows if len(rows) == len(members) else None

    rows = eventually(accepted, "seven accepted contributions")
    ids = {str(row["language"]): int(str(row["id"])) for row in rows}
    edit = tmp_path / "edit.txt"
    edit.write_text(
        EN.split("\n\n")[2].replace(
            "Why: Our 14 branches",
            "Why: Our fourteen branches (figures checked by the coordinator)",
        ),
        encoding="utf-8",
    )
    cli("submissions", "edit", str(ids["en"]), "--file", str(edit))
    translation = tmp_path / "zh-en.txt"
    translation.write_text(ZH_ENGLISH, encoding="utf-8")
    cli("submissions", "translate", str(ids["zh"]), "--file", str(translation))
    cli("compile", "--out", "report")
    folder = tmp_path / "report"
    cli("send-report")

    [mail] = eventually(lambda: inbox(postfix_mta, dovecot, ifla), "the report in IFLA's mailbox")

    alternative = next(mail.iter_parts())
    text, html = (part.get_content().replace("\r\n", "\n") for part in alternative.iter_parts())
    assert text == (folder / "report.txt").read_text(encoding="utf-8")
    assert html == (folder / "report.html").read_text(encoding="utf-8")
    attached = {p.get_filename(): p.get_payload(decode=True) for p in mail.iter_attachments()}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert {name: hashlib.sha256(data).hexdigest() for name, data in attached.items()} == {
        name: manifest["files"][name]
        for name in ("report.docx", "contributions.csv", "contributions.json")
    }
    assert mail["Subject"] == "WSIS 2025: contributions from Test Library Association (7)"
    # The cover note, signed by the coordinator.
    assert text.startswith(
        "Dear colleagues,\n\nPlease find below the contributions of Test Library Association’s "
        "members to the WSIS 2025 report on the implementation of the WSIS outcomes: "
        "7 contributions from 7 members in 7 countries, under action lines C3, C4, C8."
    )
    assert f"Kind regards,\nLan Nguyen\nWSIS coordinator\n{association}\n" in text
    # Countries in English, sorted; the members' spelling is in the data files.
    assert (
        "By country:\n  China: 1\n  France: 1\n  Ireland: 1\n  Jordan: 1\n  Peru: 1\n"
        "  Russia: 1\n  Vietnam: 1\n"
    ) in text
    assert "Members who did not answer:\n  Quiet Library (Sam Silent), Kenya\n" in text
    data = json.loads(attached["contributions.json"] or b"")
    written = {c["country_code"]: c["country_as_written"] for c in data["contributions"]}
    assert written == {
        "IE": "Ireland",
        "FR": "France",
        "PE": "Perú",
        "VN": "Việt Nam",
        "JO": "الأردن",
        "CN": "中国",
        "RU": "Россия",
    }
    # Every contribution under the English labels, in the call's order, once.
    blocks = text.split("\nOrganisation: ")[1:]
    assert len(blocks) == 7
    for block in blocks:
        block = "Organisation: " + block.split("\nCompleteness: ")[0] + "\nCompleteness: "
        positions = [
            block.index(f"\n{label}") if label != "Organisation" else 0 for label in LABELS
        ]
        assert positions == sorted(positions), block
    for phrase in GREETINGS_AND_SIGN_OFFS:
        assert phrase not in text, phrase
        assert phrase not in html, phrase
    # English first, the original beneath, its language named.
    assert (
        "Why:\n  Many families have no internet at home.\n  Original (Spanish):\n"
        "  Muchas familias no tienen internet en casa.\n"
    ) in text
    assert (
        "Why:\n  Many older readers cannot use smartphones to reach public services.\n"
        "  Original (Chinese):\n  许多老年读者不会使用智能手机获取公共服务。\n"
    ) in text
    assert "Language: Chinese; English version by the coordinator\n" in text
    assert "Why (in Russian; no English version):\n" in text
    assert "Why:\n  Our fourteen branches (figures checked by the coordinator)" in text
    assert "Language: English; edited by the coordinator\n" in text
    # What IFLA asked to learn, gathered with who said it and under which lines.
    trends = text[text.index("Trends reported\n") : text.index("Obstacles reported\n")]
    assert trends.count("\n- ") == 7
    assert (
        "- Older adults look for help with online procedures.\n"
        "  Original (Spanish): Los adultos mayores buscan ayuda con los trámites en línea.\n"
        "  — Red de Bibliotecas Valle Alto (Peru); contribution "
    ) in trends
    assert "Future actions\n--------------\n" in text
    obstacles = text[text.index("Obstacles reported\n") : text.index("Future actions\n------")]
    assert obstacles.count("\n- ") == 7
    # The HTML says the same: labels, English countries, the gathered sections.
    for label in LABELS[:-1]:
        assert html.count(f'<th align="left" valign="top" width="180">{label}</th>') == 7, label
    assert '<span dir="rtl">مكتبة مدينة الواحة العامة</span> — Jordan' in html
    assert "<h2>Trends reported</h2>" in html
    assert 'href="#' not in html
