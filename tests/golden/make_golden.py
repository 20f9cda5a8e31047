# ruff: noqa: E501  (contribution texts are prose, one paragraph per line as members write)
"""Writes the golden corpus: invented but realistic member contributions as .eml files.

Each case below is one mail a member might send: its text, how it is packed (plain text in some
charset, HTML, an Outlook table, a .docx/.odt/.pdf/.txt attachment, a reply or a forward) and the
expected result, written by hand from design.md §4–§5 (never taken from mailflow's output). Word
counts were made on the contribution text alone, independently of mailflow's counter:
whitespace-separated tokens with a letter or digit, each CJK character one word, section labels
included; quoted replies, signatures, disclaimers, cover notes and forward headers excluded. Run ``python tests/golden/make_golden.py``
to rewrite every ``NAME.eml`` and ``NAME.json`` beside this script; `tests/test_golden.py` reads
them. The .docx/.odt files are built with python-docx and odfpy; the PDF is written by hand (one
page, Helvetica, WinAnsiEncoding), which is all a text-only contribution needs.
"""

from __future__ import annotations

import base64
import io
import json
import quopri
import textwrap
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, parseaddr
from pathlib import Path

HERE = Path(__file__).resolve().parent
TO = "WSIS coordinator <wsis@association.example>"
DATE = "Mon, 15 Sep 2025 09:30:00 +0700"


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], bytes]
    status: str
    action_lines: list[str]
    links: list[str]
    word_count: int
    issues: list[str]
    language: str | None
    kind: str = "contribution"
    # A reply to mailflow's confirmation from a member who already contributed: a short text
    # without a contribution in it is then a member note (status "none": never judged).
    replying: bool = False
    sender: str | None = None  # the author's address, checked when given

    def expected(self) -> dict[str, object]:
        found: dict[str, object] = {
            "status": self.status,
            "action_lines": self.action_lines,
            "links": self.links,
            "word_count": self.word_count,
            "issues": self.issues,
            "language": self.language,
            "kind": self.kind,
        }
        if self.replying:
            found["replying"] = True
        if self.sender is not None:
            found["sender"] = self.sender
        return found


# --- building blocks -------------------------------------------------------------------------


def _headers(sender: str, subject: str, message_id: str, extra: tuple[str, ...] = ()) -> list[str]:
    encoded_subject = subject if subject.isascii() else Header(subject, "utf-8").encode()
    name, address = parseaddr(sender)
    return [
        f"From: {formataddr((name, address), charset='utf-8')}",
        f"To: {TO}",
        f"Subject: {encoded_subject}",
        f"Date: {DATE}",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        *extra,
    ]


def _encode_body(text: str, charset: str, cte: str) -> bytes:
    data = text.replace("\n", "\r\n").encode(charset)
    if cte == "base64":
        return base64.encodebytes(data).replace(b"\n", b"\r\n")
    if cte == "quoted-printable":
        return quopri.encodestring(data).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data


def text_part(
    text: str, subtype: str = "plain", charset: str = "utf-8", cte: str = "8bit"
) -> bytes:
    head = f"Content-Type: text/{subtype}; charset={charset}\r\nContent-Transfer-Encoding: {cte}"
    return head.encode() + b"\r\n\r\n" + _encode_body(text, charset, cte)


def attachment_part(data: bytes, content_type: str, filename: str) -> bytes:
    head = (
        f'Content-Type: {content_type}; name="{filename}"\r\n'
        f'Content-Disposition: attachment; filename="{filename}"\r\n'
        "Content-Transfer-Encoding: base64"
    )
    return head.encode() + b"\r\n\r\n" + base64.encodebytes(data).replace(b"\n", b"\r\n")


def multipart(subtype: str, parts: list[bytes], boundary: str) -> bytes:
    out = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
    for part in parts:
        out += f"--{boundary}\r\n".encode() + part + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def mail(
    sender: str, subject: str, message_id: str, body: bytes, extra: tuple[str, ...] = ()
) -> bytes:
    """A whole message: headers, then ``body`` (a part with its own Content-* headers)."""
    return "\r\n".join(_headers(sender, subject, message_id, extra)).encode() + b"\r\n" + body


def plain_mail(
    sender: str,
    subject: str,
    message_id: str,
    text: str,
    charset: str = "utf-8",
    cte: str = "8bit",
    extra: tuple[str, ...] = (),
) -> bytes:
    return mail(sender, subject, message_id, text_part(text, "plain", charset, cte), extra)


def docx_bytes(paragraphs: list[str]) -> bytes:
    """A .docx whose paragraphs are ``paragraphs``; a leading ``Label:`` is set in bold."""
    import docx

    document = docx.Document()
    document.core_properties.author = "Library"
    for paragraph in paragraphs:
        p = document.add_paragraph()
        label, sep, rest = paragraph.partition(":")
        if sep and len(label) < 40 and "//" not in label:
            p.add_run(label + ":").bold = True
            p.add_run(rest)
        else:
            p.add_run(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def odt_bytes(paragraphs: list[str]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    for paragraph in paragraphs:
        document.text.addElement(P(text=paragraph))
    buffer = io.BytesIO()
    document.write(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The same zip with fixed member times, so that regenerating gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 9, 15, 9, 0, 0))
            fixed.compress_type = (
                zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            )
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def pdf_bytes(paragraphs: list[str]) -> bytes:
    """A one-page PDF with the paragraphs as lines of Helvetica text (WinAnsiEncoding)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(
            textwrap.wrap(paragraph, 88, break_long_words=False, break_on_hyphens=False) or [""]
        )
        lines.append("")

    def escape(line: str) -> str:
        raw = line.encode("cp1252")
        out = ""
        for byte in raw:
            char = chr(byte)
            if char in "\\()":
                out += "\\" + char
            elif byte < 32 or byte > 126:
                out += f"\\{byte:03o}"
            else:
                out += char
        return out

    stream = "BT /F1 10 Tf 13 TL 56 790 Td\n"
    stream += "".join(f"({escape(line)}) Tj T*\n" for line in lines) + "ET"
    content = stream.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R"
        b" >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def cp1258_decomposed(text: str) -> bytes:
    """Vietnamese in windows-1258 as Vietnamese keyboards write it: base letter + tone mark."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        marks = [c for c in decomposed if c in tones]
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out.append(base + "".join(marks))
    return "".join(out).replace("\n", "\r\n").encode("cp1258")


SIGNATURE_EN = "\n-- \nAnna Lindqvist\nHead of Digital Services\nLakeside County Library Service\n+353 1 555 0142\n"
DISCLAIMER_EN = (
    "\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended "
    "solely for the addressee. If you have received it in error, please notify the sender "
    "immediately and delete it from your system.\n"
)


# --- the contributions -----------------------------------------------------------------------

EN_TEMPLATE = """Organisation: Lakeside County Library Service
Country: Ireland
Action lines: C3 Access to information and knowledge; C4 Capacity building
Why: Our 14 branches give free internet access and digital skills training to people who have no connection at home.
Outputs: The "Connected Communities" programme trained 2,300 adults in 2025 (https://lakeside-library.example.org/connected-communities). Our open e-book collection is at https://ebooks.lakeside-library.example.org/collection.
Achievements: Loans of laptops and Wi-Fi hotspots doubled, and 40 volunteers now run weekly help desks.
Trends: More older adults ask for help with online public services.
Obstacles: Rural broadband remains slow and volunteer turnover is high.
Future actions: With libraries in Wales and Scotland we will publish a shared digital skills curriculum in 2026.
"""
EN_TEMPLATE_LINKS = [
    "https://lakeside-library.example.org/connected-communities",
    "https://ebooks.lakeside-library.example.org/collection",
]

EN_FREE = """Dear colleagues,

The Northgate University Library contributed this year mainly to C3 and to capacity building. We opened our repository of theses to the public and ran twelve workshops on research data management for staff of smaller colleges in the region. The repository now holds 4,100 open theses (https://repository.northgate.example.edu/theses) and the workshop materials are online at https://northgate.example.edu/library/rdm-workshops.

Demand for open access grew faster than we expected, but many authors still fear that publishing their thesis online will harm later journal publication. Next year we will work with two partner universities abroad on a common open access policy and a joint training course for librarians.
"""

EN_NO_ACTION = """Hello,

Westbrook Community Library had a busy year. We extended our opening hours to Sunday afternoons, started a homework club for teenagers and moved the local history archive to a new reading room with better shelving and climate control. Visitor numbers rose by eighteen percent compared with last year, and the homework club now meets three times a week with help from retired teachers. Our main difficulty is the budget: the council cut our book fund again, so we rely more on donations. Next year we hope to open a small makerspace with a 3D printer.
"""

EN_OVER_LIMIT = """Organisation: Greenfield Regional Library Consortium
Country: Canada
Action lines: C3 Access to information and knowledge; C4 Capacity building; C8 Cultural diversity and identity, linguistic diversity and local content
Why: The consortium links 37 public libraries in rural and northern communities, many of them serving Indigenous nations whose languages are under threat. Libraries are often the only place in these communities with reliable internet, public computers and staff who can help people use them. We see access, skills and local content as one task.
Outputs: In 2025 we digitised 1,200 hours of oral history recordings with community elders and published them with transcripts in three Indigenous languages at https://greenfield-libraries.example.ca/oral-histories. We also ran a travelling digital skills programme that visited 22 communities and trained more than 900 people, documented at https://greenfield-libraries.example.ca/digital-skills-tour.
Achievements: Four communities now host their own language archive stations maintained by local youth, and requests for language learning materials have tripled since the archive went online.
Trends: Younger people increasingly use phones rather than computers, so we are redesigning services for mobile use first.
Obstacles: Satellite internet is expensive and unreliable in winter, and recruiting staff for remote branches remains very difficult for the consortium and its partners.
Future actions: Together with library networks in Alaska, Greenland and northern Scandinavia we are preparing a circumpolar project on Indigenous language content, with a first joint meeting planned for spring 2026.
"""

EN_UNDER_LIMIT = """Organisation: Harbour Town Public Library
Country: New Zealand
Action lines: C3, C9
Why: We help residents find trustworthy local news after our town newspaper closed in 2024.
Outputs: A weekly community news bulletin written by volunteers and library staff: https://harbourtown-library.example.nz/bulletin
Achievements: The bulletin reaches 3,000 subscribers, about a third of all households.
Trends: Residents rely on the library more for checking rumours and scams.
Obstacles: Volunteers need training in basic journalism and fact checking.
Future actions: We will share our bulletin model with Pacific island libraries through the regional library association in 2026.
"""

EN_DECOY = """Organisation: Millbrook Library and Archives
Country: Australia
Action lines: C8 Cultural diversity and identity, linguistic diversity and local content
Why: Millbrook is home to speakers of more than forty languages, and our archive holds the memories of many migrant families. Our staff also do some capacity building and we support access to information and knowledge in general, but this year our work was about local content.
Outputs: The "Many Voices" collection of family letters, photographs and recipes in 12 languages: https://millbrook-archives.example.org.au/many-voices
Achievements: 260 families contributed items, and local media covered the launch in five languages.
Trends: Second-generation families ask for help reading documents in their parents' languages.
Obstacles: Describing items in languages our staff do not speak; our e-learning module for volunteers (see our C4 report) only helps a little.
Future actions: We will exchange cataloguing practice for multilingual collections with two libraries in New Zealand.
"""

EN_MISSING = """Organisation: Stonebridge School Library Network
Country: United Kingdom
Action lines: C4 Capacity building
Why: School librarians in our network teach pupils to search, evaluate and cite sources, skills that most curricula leave out.
Outputs: An open information literacy toolkit for secondary schools: https://stonebridge-schools.example.org.uk/info-literacy-toolkit
"""

EN_NO_LINK = """Organisation: Eastfield Prison Library Service
Country: South Africa
Action lines: C3 Access to information and knowledge; C10 Ethical dimensions of the Information Society
Why: People in prison have a right to information, and the library is often their only source of legal and educational material.
Outputs: A printed legal information guide for inmates, updated in 2025, and a reading programme run with volunteers from the local university.
Achievements: Over 600 inmates used the legal guide, and 45 completed the reading programme.
Trends: Requests for study material for distance learning are increasing.
Obstacles: Inmates have no internet access, so all material must be printed and checked by prison staff.
Future actions: We plan to share the legal guide with prison libraries in Namibia and Botswana.
"""

EN_CODES = """Organisation: Valley Public Libraries Cooperative
Country: Ghana
Action lines: C 3; C-7 e-learning; AL11; Action Line C10
Why: Our cooperative brings online courses to towns without a college and works with partners abroad on shared ethical guidelines for public internet use.
Outputs: Guidelines for fair and safe public internet use: https://valley-libraries.example.org/guidelines
Achievements: 1,100 learners finished an online course in one of our libraries.
Trends: Employers increasingly accept online certificates.
Obstacles: Power cuts interrupt classes and exams.
Future actions: We will translate the guidelines for library networks in Togo and Burkina Faso.
"""

EN_LINKS_DEDUPE = """Organisation: Coastal Libraries Partnership
Country: Jamaica
Action lines: C2 Information and communication infrastructure; C11 International and regional cooperation
Why: Hurricanes regularly cut connectivity, and libraries become emergency information points when they reopen.
Outputs: Our resilience plan (https://coastal-libraries.example.org/resilience-plan) and the emergency Wi-Fi kits described at https://coastal-libraries.example.org/wifi-kits, both shared with Caribbean partners. The plan is also mirrored at https://coastal-libraries.example.org/resilience-plan.
Achievements: Eight libraries reopened within 48 hours after the July storm and offered charging, Wi-Fi and printing.
Trends: Government agencies now ask libraries to distribute official information after disasters.
Obstacles: Solar equipment is costly to import.
Future actions: A Caribbean workshop on library disaster planning in Kingston in 2026, see https://coastal-libraries.example.org/wifi-kits!
"""
EN_LINKS_DEDUPE_LINKS = [
    "https://coastal-libraries.example.org/resilience-plan",
    "https://coastal-libraries.example.org/wifi-kits",
]

EN_RESUBMISSION = """Organisation: Lakeside County Library Service
Country: Ireland
Action lines: C3 Access to information and knowledge; C4 Capacity building
Why: Our 14 branches give free internet access and digital skills training to people with no connection at home.
Outputs: The Connected Communities programme: https://lakeside-library.example.org/connected-communities
Achievements: Laptop loans doubled, and 40 volunteers run weekly help desks.
Obstacles: Rural broadband is slow.
Future actions: A shared digital skills curriculum with libraries in Wales and Scotland in 2026.
"""
RESUBMISSION_QUOTE = """
On Tue, 16 Sep 2025 at 10:02, WSIS coordinator <wsis@association.example> wrote:
> Dear Anna Lindqvist,
>
> Thank you for your contribution. We received 243 words; the limit is 200.
> Please shorten your text and reply to this message with the full corrected
> text: the new version replaces the earlier one.
>
> Action lines understood: C3, C4
> Links: https://lakeside-library.example.org/connected-communities
>
> WSIS coordinator
"""

EN_OUTLOOK_REPLY = """Organisation: Riverside Polytechnic Library
Country: Nigeria
Action lines: C7 e-learning; C4 Capacity building
Why: Most of our students study part-time and depend on the library's online courses and e-books outside working hours.
Outputs: The open course "Finding and using information" on our learning platform: https://riverside-poly.example.edu.ng/library/course
Achievements: 2,800 students completed the course in 2025.
Trends: Students use phones for almost all their study.
Obstacles: Data bundles are expensive for students.
Future actions: We will offer the course to polytechnics in Ghana and Sierra Leone through the West African library network.
"""
OUTLOOK_QUOTE = """
________________________________
From: WSIS coordinator <wsis@association.example>
Sent: Tuesday, 16 September 2025 10:02
To: Ngozi Okafor <n.okafor@riverside-poly.example.edu.ng>
Subject: Re: WSIS 2025 contribution

Dear Ngozi Okafor,

Thank you for your contribution. No WSIS action line was recognised; please name at least one, for example C3 Access to information and knowledge, and reply with the full corrected text.

WSIS coordinator
"""

EN_FORWARD = """Organisation: Hillcrest Public Library
Country: India
Action lines: C3 Access to information and knowledge; C8 Cultural diversity and identity, linguistic diversity and local content
Why: We serve readers in Hindi, Marathi and English, and many of them read only in their mother tongue.
Outputs: A bilingual children's story collection recorded by local parents: https://hillcrest-library.example.in/stories
Achievements: 150 stories recorded, and children's loans grew by a quarter.
Trends: Parents ask for audio books in local languages.
Obstacles: Few publishers produce children's books in Marathi.
Future actions: A story exchange with libraries in Nepal and Sri Lanka in 2026.
"""
FORWARD_HEAD = """---------- Forwarded message ---------
From: Priya Deshmukh <director@hillcrest-library.example.in>
Date: Fri, 12 Sep 2025 at 16:40
Subject: WSIS contribution 2025
To: Ravi Kulkarni <ravi@hillcrest-library.example.in>

"""

EN_HTML = """<html><body>
<p><b>Organisation:</b> Oakridge Public Library</p>
<p><b>Country:</b> United States</p>
<p><b>Action lines:</b> C5 Building confidence and security in the use of ICTs</p>
<p><b>Why:</b> Older adults in our town lose money to online scams every month, and many come to the library for advice.</p>
<p><b>Outputs:</b> Our <a href="https://oakridge-library.example.org/scam-smart">Scam Smart workshops</a> and a printed
guide in English and Spanish (<a href="https://oakridge-library.example.org/scam-smart/guide.pdf">download</a>).</p>
<p><b>Achievements:</b> 520 people attended the workshops, and the police now refer victims to us.</p>
<p><b>Trends:</b> Scams move from e-mail to text messages and voice calls.</p>
<p><b>Obstacles:</b> People are ashamed to admit they were deceived.</p>
<p><b>Future actions:</b> We will share the workshop kit with libraries in Mexico through our sister city partnership.</p>
</body></html>
"""

OUTLOOK_HTML = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
a:link, span.MsoHyperlink {mso-style-priority:99; color:#0563C1; text-decoration:underline;}
.MsoChpDefault {mso-style-type:export-only;}
@page WordSection1 {size:612.0pt 792.0pt; margin:72.0pt 72.0pt 72.0pt 72.0pt;}
div.WordSection1 {page:WordSection1;}
--></style><!--[if gte mso 9]><xml><o:shapedefaults v:ext="edit" spidmax="1026" /></xml><![endif]-->
</head>
<body lang="EN-GB" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
<p class="MsoNormal">Dear colleagues,<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;border:none">
<tr><td width="160" valign="top" style="width:120.0pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt">
<p class="MsoNormal"><b>Organisation<o:p></o:p></b></p></td>
<td width="441" valign="top" style="width:330.8pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt">
<p class="MsoNormal">Kingsbury Public Library<o:p></o:p></p></td></tr>
<tr><td width="160" valign="top"><p class="MsoNormal"><b>Country<o:p></o:p></b></p></td>
<td width="441" valign="top"><p class="MsoNormal">Malta<o:p></o:p></p></td></tr>
<tr><td width="160" valign="top"><p class="MsoNormal"><b>Action lines<o:p></o:p></b></p></td>
<td width="441" valign="top"><p class="MsoNormal">C1 The role of governments and all stakeholders in the promotion of ICTs for development; C6 Enabling environment<o:p></o:p></p></td></tr>
<tr><td width="160" valign="top"><p class="MsoNormal"><b>Why<o:p></o:p></b></p></td>
<td width="441" valign="top"><p class="MsoNormal">We advised the national government on the new public library law, which now recognises libraries as digital access points.<o:p></o:p></p></td></tr>
<tr><td width="160" valign="top"><p class="MsoNormal"><b>Outputs<o:p></o:p></b></p></td>
<td width="441" valign="top"><p class="MsoNormal">Our policy brief: <a href="https://kingsbury-library.example.org.mt/policy-brief-2025">https://kingsbury-library.example.org.mt/policy-brief-2025</a><o:p></o:p></p></td></tr>
<tr><td width="160" valign="top"><p class="MsoNormal"><b>Achievements<o:p></o:p></b></p></td>
<td width="441" valign="top"><p class="MsoNormal">The law was adopted in June 2025 with a budget line for library connectivity.<o:p></o:p></p></td></tr>
<tr><td width="160" valign="top"><p class="MsoNormal"><b>Obstacles<o:p></o:p></b></p></td>
<td width="441" valign="top"><p class="MsoNormal">Local councils still lack staff to apply the law.<o:p></o:p></p></td></tr>
<tr><td width="160" valign="top"><p class="MsoNormal"><b>Future actions<o:p></o:p></b></p></td>
<td width="441" valign="top"><p class="MsoNormal">We will present the law to Mediterranean library associations at a regional meeting in 2026.<o:p></o:p></p></td></tr>
</table>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Kind regards,<o:p></o:p></p>
<p class="MsoNormal"><b>Joseph Camilleri</b><o:p></o:p></p>
<p class="MsoNormal">Chief Librarian | Kingsbury Public Library<o:p></o:p></p>
</div>
</body>
</html>
"""

FR_TEMPLATE = """Organisme : Bibliothèque municipale de Saint-Clair
Pays : France
Lignes d'action : C3 L'accès à l'information et au savoir ; C8 Diversité et identité culturelles, diversité linguistique et contenus locaux
Pourquoi : Nos habitants parlent plus de trente langues et beaucoup n'ont pas d'accès à internet chez eux.
Réalisations : Le portail « Mémoires de quartier » rassemble 900 témoignages d'habitants : https://bm-saintclair.example.fr/memoires
Réussites : 1 200 nouveaux inscrits en 2025, dont la moitié ont moins de vingt-cinq ans.
Tendances : Les usagers demandent davantage d'aide pour les démarches administratives en ligne.
Obstacles : Le manque de personnel formé le week-end.
Actions futures : Un projet d'échange avec des bibliothèques de Belgique et du Québec sur la collecte de la mémoire orale.
"""

FR_PDF = """Organisme : Réseau des bibliothèques universitaires de Lorraine-Sud
Pays : France
Lignes d'action : C4 Le renforcement des capacités ; C7 Apprentissage en ligne
Pourquoi : Les étudiants de première année ne savent pas chercher ni évaluer l'information scientifique.
Réalisations : Un cours en ligne ouvert de formation documentaire, disponible sur https://bu-lorraine-sud.example.fr/formation
Réussites : 3 400 étudiants ont suivi le cours et le taux de réussite au premier semestre a progressé.
Tendances : Les étudiants utilisent de plus en plus les outils d'intelligence artificielle pour leurs recherches.
Obstacles : Les enseignants intègrent rarement la formation documentaire dans leurs cours.
Actions futures : Nous adapterons le cours avec des universités du Maroc et du Sénégal en 2026.
"""
FR_COVER = """Bonjour,

Veuillez trouver ci-joint la contribution de notre réseau pour le rapport SMSI 2025.

Bien cordialement,
Claire Martin
"""

FR_HTML = """<html><head><meta charset="utf-8"></head><body>
<div dir="ltr"><p>Bonjour,</p>
<p>La Bibliothèque départementale du Haut-Verdon contribue cette année à la grande orientation C3, l'accès à l'information et au savoir, et au renforcement des capacités.</p>
<p>Nos bibliobus desservent 48 villages sans bibliothèque. En 2025, nous avons équipé chaque bibliobus d'un accès satellite et formé 35 bénévoles à l'accompagnement numérique. Le programme est présenté sur <a href="https://bd-hautverdon.example.fr/bibliobus-numerique">notre site</a>.</p>
<p>La principale difficulté reste le coût de la connexion satellite. Nous souhaitons partager notre expérience avec des bibliothèques rurales d'Italie et d'Espagne.</p>
</div></body></html>
"""

FR_LATIN1 = """Organisme : Médiathèque de Villeneuve-les-Prés
Pays : Belgique
Lignes d'action : C9 Médias
Pourquoi : Nous aidons les habitants à distinguer les informations fiables des rumeurs.
Réalisations : Des ateliers d'éducation aux médias pour les écoles : https://mediatheque-villeneuve.example.be/ateliers-medias
Réussites : 64 classes ont participé aux ateliers.
Tendances : Les élèves s'informent surtout par les vidéos courtes.
Obstacles : Les enseignants manquent de temps pour préparer les séances.
Actions futures : Un échange de pratiques avec des médiathèques du Luxembourg et de Suisse.
"""

ES_TEMPLATE = """Organización: Biblioteca Pública Municipal de San Isidro
País: Argentina
Líneas de acción: C3 Acceso a la información y al conocimiento; C4 Creación de capacidad
Por qué: Muchas familias de nuestro barrio no tienen computadora ni conexión a internet en casa.
Resultados: El programa «Biblioteca Conectada» ofrece talleres de alfabetización digital: https://biblioteca-sanisidro.example.ar/conectada
Logros: 1.500 personas participaron en los talleres y 300 obtuvieron su primer correo electrónico.
Tendencias: Los adultos mayores buscan ayuda para los trámites en línea.
Obstáculos: La conexión es lenta y faltan equipos.
Acciones futuras: Compartiremos los materiales con bibliotecas de Uruguay y Paraguay en 2026.
"""

ES_FREE = """Estimados colegas:

La Red de Bibliotecas Escolares de Valle Alto trabajó este año en el acceso a la información y al conocimiento para estudiantes de zonas rurales. Creamos una colección digital de 2.000 libros de texto y lecturas en español y quechua, disponible en https://bibliotecas-vallealto.example.bo/coleccion, y capacitamos a 120 docentes para usarla en clase.

El mayor obstáculo es la falta de electricidad estable en varias escuelas. El próximo año queremos ampliar la colección con escuelas del Perú y del Ecuador.
"""

ES_ODT = """Organización: Biblioteca Nacional de Costa Verde
País: Costa Rica
Líneas de acción: C8 Diversidad e identidad culturales, diversidad lingüística y contenido local; C11 Cooperación internacional y regional
Por qué: Conservamos la memoria escrita del país y de sus pueblos indígenas.
Resultados: Digitalizamos 5.000 periódicos históricos, consultables en https://bncv.example.cr/hemeroteca
Logros: Las consultas en línea se triplicaron en un año.
Tendencias: Los investigadores extranjeros usan cada vez más la hemeroteca digital.
Obstáculos: El deterioro de los originales en papel.
Acciones futuras: Un proyecto regional de digitalización con las bibliotecas nacionales de Panamá y Nicaragua.
"""

VI_TEMPLATE = """Tổ chức: Thư viện tỉnh Sông Hồng
Quốc gia: Việt Nam
Hướng hành động: C3 Tiếp cận thông tin và tri thức; C4 Xây dựng năng lực
Lý do: Nhiều người dân ở vùng nông thôn chưa biết cách tìm kiếm thông tin trên mạng.
Kết quả: Chương trình "Thư viện số cho mọi người" với 60 lớp tập huấn kỹ năng số: https://thuvien-songhong.example.vn/thu-vien-so
Thành tựu: Hơn 2.000 người dân đã tham gia các lớp tập huấn trong năm 2025.
Xu hướng: Người cao tuổi ngày càng quan tâm đến dịch vụ công trực tuyến.
Khó khăn: Thiếu máy tính và đường truyền internet còn chậm.
Kế hoạch tương lai: Hợp tác với các thư viện ở Lào và Campuchia để chia sẻ tài liệu tập huấn.
"""

VI_1258 = """Tổ chức: Thư viện Đại học Sư phạm Miền Trung
Quốc gia: Việt Nam
Hướng hành động: C4 Xây dựng năng lực; C8 Đa dạng văn hóa và bản sắc, đa dạng ngôn ngữ và nội dung địa phương
Lý do: Sinh viên sư phạm cần kỹ năng tìm kiếm và đánh giá tài liệu để dạy học tốt hơn.
Kết quả: Bộ sưu tập số về văn hóa các dân tộc miền Trung: https://thuvien-supham.example.vn/van-hoa
Thành tựu: Hơn 800 tài liệu quý đã được số hóa và mở cho bạn đọc.
Khó khăn: Kinh phí số hóa còn hạn chế.
Kế hoạch tương lai: Trao đổi kinh nghiệm với các thư viện đại học ở Thái Lan.
"""

VI_FREE = """Kính gửi Ban điều phối,

Năm nay Thư viện huyện Tam Đảo tập trung vào việc nâng cao năng lực cho cán bộ thư viện xã và xây dựng tủ sách điện tử cho học sinh. Chúng tôi đã tổ chức 12 khóa học và giới thiệu tủ sách tại https://thuvien-tamdao.example.vn/tu-sach. Khó khăn lớn nhất là thiếu thiết bị. Năm tới chúng tôi mong được hợp tác với các thư viện trong khu vực.
"""

VI_ODT = """Tổ chức: Thư viện Khoa học Tổng hợp Cửu Long
Quốc gia: Việt Nam
Hướng hành động: C7 Học tập điện tử; C11 Hợp tác quốc tế và khu vực
Lý do: Nông dân vùng đồng bằng cần thông tin về kỹ thuật canh tác và biến đổi khí hậu.
Kết quả: Các khóa học trực tuyến miễn phí cho nông dân: https://thuvien-cuulong.example.vn/hoc-truc-tuyen
Thành tựu: 1.200 nông dân đã hoàn thành ít nhất một khóa học.
Xu hướng: Nông dân trẻ sử dụng điện thoại thông minh để học.
Khó khăn: Sóng di động yếu ở nhiều xã.
Kế hoạch tương lai: Chia sẻ các khóa học với thư viện ở Campuchia.
"""

AR_TEMPLATE = """المؤسسة: مكتبة مدينة الواحة العامة
البلد: الأردن
خطوط العمل: C3 النفاذ إلى المعلومات والمعرفة؛ C4 بناء القدرات
السبب: كثير من سكان الأحياء الطرفية لا يملكون اتصالاً بالإنترنت في منازلهم.
النتائج: برنامج "المكتبة الرقمية للجميع" لتدريب الشباب على المهارات الرقمية: https://oasis-library.example.jo/digital
الإنجازات: تدرب 900 شاب وشابة خلال عام 2025.
الاتجاهات: يزداد الطلب على الخدمات الحكومية الإلكترونية.
العقبات: نقص الأجهزة وضعف التمويل.
الإجراءات المستقبلية: التعاون مع مكتبات في لبنان وفلسطين لتبادل المواد التدريبية.
"""

AR_FREE = """تحية طيبة،

تعمل مكتبة جامعة النيل الأزرق هذا العام على بناء القدرات لدى أمناء المكتبات في المدارس الثانوية، فقد نظمنا عشر ورش عمل حول البحث في قواعد البيانات وتقييم المصادر. المواد متاحة على https://bluenile-univ.example.sd/library/workshops ونسعى في العام القادم إلى التعاون مع جامعات في إثيوبيا وجنوب السودان.
"""

AR_HTML = """<html dir="rtl"><head><meta charset="utf-8"></head><body>
<p><b>المؤسسة:</b> المكتبة الوطنية لجزر المرجان</p>
<p><b>البلد:</b> جزر القمر</p>
<p><b>خطوط العمل:</b> C8 التنوع الثقافي والهوية الثقافية والتنوع اللغوي والمحتوى المحلي</p>
<p><b>السبب:</b> نحفظ المخطوطات العربية والسواحلية المهددة بالتلف.</p>
<p><b>النتائج:</b> <a href="https://marjan-library.example.km/manuscripts">مجموعة المخطوطات الرقمية</a></p>
<p><b>الإنجازات:</b> رقمنة 350 مخطوطة.</p>
<p><b>العقبات:</b> الرطوبة العالية ونقص المختصين.</p>
<p><b>الإجراءات المستقبلية:</b> مشروع مشترك مع مكتبات في زنجبار ومدغشقر.</p>
</body></html>
"""

ZH_TEMPLATE = """机构：东海市图书馆
国家：中国
行动方针： C3 获取信息和知识； C4 能力建设
原因：许多老年读者不会使用智能手机获取公共服务。
成果：“银龄数字课堂”项目，课程资料见 https://donghai-library.example.cn/silver
成就：二零二五年共举办一百二十场培训。
趋势：老年人对网上挂号和缴费的需求增加。
障碍：志愿者不足。
未来行动：与日本和韩国的公共图书馆交流老年人数字技能培训经验。
"""

ZH_GB2312 = """机构：西山大学图书馆
国家：中国
行动方针： C7 信通技术应用； C11 国际和区域合作
原因：我校学生需要便捷地获取国外学术资源。
成果：开放获取资源导航平台 https://xishan-univ.example.cn/library/oa
成就：平台访问量超过十万次。
障碍：部分数据库订阅费用过高。
未来行动：与东南亚大学图书馆共建共享联盟。
"""

ZH_FREE = """各位同事：

今年南湖区图书馆主要开展了地方文献数字化工作，保护本地方言和民间故事，共整理了三百多个故事，网址是 https://nanhu-library.example.cn/stories 。明年我们计划与台湾和香港的图书馆合作。
"""

RU_TEMPLATE = """Организация: Центральная городская библиотека Заречья
Страна: Казахстан
Направления деятельности: C3 Доступ к информации и знаниям; C4 Создание потенциала
Обоснование: Многие жители пригородов не умеют пользоваться государственными онлайн-услугами.
Результаты: Курсы цифровой грамотности для взрослых: https://zarechye-library.example.kz/kursy
Достижения: В 2025 году курсы окончили 1 300 человек.
Тенденции: Растёт спрос на помощь с электронными документами.
Препятствия: Не хватает компьютеров и преподавателей.
Дальнейшие действия: Обмен опытом с библиотеками Кыргызстана и Узбекистана.
"""

RU_KOI8 = """Организация: Областная научная библиотека имени Горького
Страна: Россия
Направления деятельности: C8 Культурное разнообразие и самобытность, языковое разнообразие и местный контент
Обоснование: В области живут народы, языки которых исчезают.
Результаты: Электронная коллекция книг на языках народов области: https://oblbiblioteka.example.ru/kollekciya
Достижения: Оцифровано 700 редких изданий.
Препятствия: Мало специалистов, знающих эти языки.
Дальнейшие действия: Совместный проект с библиотеками Финляндии и Эстонии.
"""

RU_DOCX = """Организация: Библиотека Технического университета Приречья
Страна: Беларусь
Направления деятельности: C7 Приложения ИКТ; C4 Создание потенциала
Обоснование: Студенты и преподаватели нуждаются в навыках работы с научными базами данных.
Результаты: Онлайн-курс по информационной грамотности: https://prirechye-tech.example.by/library/kurs
Достижения: Курс прошли 2 100 студентов.
Тенденции: Растёт интерес к открытому доступу.
Препятствия: Ограниченный доступ к зарубежным базам данных.
Дальнейшие действия: Совместные вебинары с университетскими библиотеками Армении.
"""

EN_DOCX = [
    "Organisation: Pinewood Medical Library",
    "Country: Kenya",
    "Action lines: C7 e-health; C3 Access to information and knowledge",
    "Why: Nurses and clinical officers in district hospitals need current treatment guidelines but rarely have internet access at work.",
    "Outputs: An offline health library on low-cost tablets, with guidelines updated every quarter: https://pinewood-medlib.example.org/offline-library",
    "Achievements: 75 tablets are in use in 30 district hospitals.",
    "Trends: Health workers increasingly search for information on their own phones.",
    "Obstacles: Updating content on tablets in remote hospitals takes a lot of travel.",
    "Future actions: We will share the offline library with medical libraries in Uganda and Tanzania in 2026.",
]

EN_TXT = """Organisation: Sunridge Braille and Talking Book Library
Country: Philippines
Action lines: C3 Access to information and knowledge
Why: Blind and partially sighted readers have access to less than five percent of published books.
Outputs: 400 new accessible books under the Marrakesh Treaty, listed at https://sunridge-braille.example.ph/catalogue
Achievements: Readers in 15 provinces borrowed 9,000 talking books.
Trends: Readers prefer downloads to CDs.
Obstacles: Many readers lack a smartphone.
Future actions: Cross-border exchange of accessible books with libraries in Indonesia and Malaysia.
"""

EN_BASE64 = """Organisation: Meadowvale Community Library
Country: Uganda
Action lines: C3 Access to information and knowledge; C9 Media
Why: Our community radio partnership brings library news and book readings to villages far from the library.
Outputs: A weekly radio programme with recordings at https://meadowvale-library.example.ug/radio
Achievements: The programme has an estimated 40,000 listeners.
Trends: Listeners send questions by text message.
Obstacles: Airtime costs are rising.
Future actions: We will exchange programmes with community libraries in Rwanda.
"""

EN_DISCLAIMER = """Organisation: Bayside City Libraries
Country: Singapore
Action lines: C6 Enabling environment; C3 Access to information and knowledge
Why: We worked with the city on open data rules so that residents can use public data through the libraries.
Outputs: The city open data guide for residents: https://bayside-libraries.example.sg/open-data-guide
Achievements: 25 community groups used city data for local projects with library support.
Trends: Schools ask for data literacy lessons.
Obstacles: Data sets are often published without clear licences.
Future actions: A regional exchange on open data in libraries with partners in Malaysia and Thailand.
"""


# --- the cases -------------------------------------------------------------------------------

EN_SENDER = "Anna Lindqvist <a.lindqvist@lakeside-library.example.org>"


def _alt(plain: str, html: str, boundary: str) -> bytes:
    return multipart("alternative", [text_part(plain), text_part(html, "html")], boundary)


def _with_attachment(cover: str, data: bytes, ctype: str, filename: str, boundary: str) -> bytes:
    return multipart("mixed", [text_part(cover), attachment_part(data, ctype, filename)], boundary)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


def _missing(*names: str) -> list[str]:
    return [f"missing_section:{name}" for name in names]


CASES: list[Case] = [
    Case(
        "en_template_plain",
        lambda: plain_mail(
            EN_SENDER, "WSIS 2025 contribution", "en1@lakeside.example.org", EN_TEMPLATE
        ),
        "accepted",
        ["C3", "C4"],
        EN_TEMPLATE_LINKS,
        111,
        [],
        "en",
    ),
    Case(
        "en_free_text",
        lambda: plain_mail(
            "Tom Becker <t.becker@northgate.example.edu>",
            "Our WSIS contribution",
            "en2@northgate.example.edu",
            EN_FREE,
        ),
        "accepted",
        ["C3", "C4"],
        [
            "https://repository.northgate.example.edu/theses",
            "https://northgate.example.edu/library/rdm-workshops",
        ],
        104,
        [],
        "en",
    ),
    Case(
        "en_no_action_line",
        lambda: plain_mail(
            "Maggie Doyle <maggie@westbrook-library.example.org>",
            "Westbrook library report",
            "en3@westbrook.example.org",
            EN_NO_ACTION,
        ),
        "needs_revision",
        [],
        [],
        96,
        ["no_action_line"],
        "en",
    ),
    Case(
        "en_over_limit",
        lambda: plain_mail(
            "Louise Tremblay <l.tremblay@greenfield-libraries.example.ca>",
            "WSIS contribution – Greenfield",
            "en4@greenfield.example.ca",
            EN_OVER_LIMIT,
        ),
        "needs_revision",
        ["C3", "C4", "C8"],
        [
            "https://greenfield-libraries.example.ca/oral-histories",
            "https://greenfield-libraries.example.ca/digital-skills-tour",
        ],
        229,
        ["word_limit"],
        "en",
    ),
    Case(
        "en_under_limit_short",
        lambda: plain_mail(
            "Mere Parata <mere@harbourtown-library.example.nz>",
            "WSIS 2025",
            "en5@harbourtown.example.nz",
            EN_UNDER_LIMIT,
        ),
        "accepted",
        ["C3", "C9"],
        ["https://harbourtown-library.example.nz/bulletin"],
        93,
        [],
        "en",
    ),
    Case(
        "en_decoy_action_words",
        lambda: plain_mail(
            "Sofia Rossi <s.rossi@millbrook-archives.example.org.au>",
            "Contribution WSIS 2025",
            "en6@millbrook.example.org.au",
            EN_DECOY,
        ),
        "accepted",
        ["C8"],
        ["https://millbrook-archives.example.org.au/many-voices"],
        146,
        [],
        "en",
    ),
    Case(
        "en_missing_sections",
        lambda: plain_mail(
            "Ruth Evans <r.evans@stonebridge-schools.example.org.uk>",
            "WSIS contribution",
            "en7@stonebridge.example.org.uk",
            EN_MISSING,
        ),
        "accepted",
        ["C4"],
        ["https://stonebridge-schools.example.org.uk/info-literacy-toolkit"],
        43,
        _missing("achievements", "obstacles", "future_actions", "trends"),
        "en",
    ),
    Case(
        "en_outputs_no_link",
        lambda: plain_mail(
            "Thabo Nkosi <t.nkosi@eastfield-prisonlib.example.org.za>",
            "WSIS 2025 contribution",
            "en8@eastfield.example.org.za",
            EN_NO_LINK,
        ),
        "accepted",
        ["C3", "C10"],
        [],
        124,
        ["no_link"],
        "en",
    ),
    Case(
        "en_action_line_code_variants",
        lambda: plain_mail(
            "Kwame Mensah <k.mensah@valley-libraries.example.org>",
            "WSIS",
            "en9@valley.example.org",
            EN_CODES,
        ),
        "accepted",
        ["C3", "C7", "C10", "C11"],
        ["https://valley-libraries.example.org/guidelines"],
        91,
        [],
        "en",
    ),
    Case(
        "en_links_dedupe_punctuation",
        lambda: plain_mail(
            "Marcia Campbell <m.campbell@coastal-libraries.example.org>",
            "WSIS contribution 2025",
            "en10@coastal.example.org",
            EN_LINKS_DEDUPE,
        ),
        "accepted",
        ["C2", "C11"],
        EN_LINKS_DEDUPE_LINKS,
        108,
        [],
        "en",
    ),
    Case(
        "en_signature_disclaimer",
        lambda: plain_mail(
            "Wei Ling Tan <weiling.tan@bayside-libraries.example.sg>",
            "WSIS 2025 contribution",
            "en11@bayside.example.sg",
            EN_DISCLAIMER
            + "\nBest regards,\nWei Ling Tan\nSenior Librarian, Bayside City Libraries\n"
            + DISCLAIMER_EN,
        ),
        "accepted",
        ["C3", "C6"],
        ["https://bayside-libraries.example.sg/open-data-guide"],
        91,
        [],
        "en",
    ),
    Case(
        "en_resubmission_reply",
        lambda: plain_mail(
            EN_SENDER,
            "Re: WSIS 2025 contribution",
            "en12@lakeside.example.org",
            EN_RESUBMISSION + SIGNATURE_EN + RESUBMISSION_QUOTE,
            extra=(
                "In-Reply-To: <confirm-17@association.example>",
                "References: <en1@lakeside.example.org> <confirm-17@association.example>",
            ),
        ),
        "accepted",
        ["C3", "C4"],
        ["https://lakeside-library.example.org/connected-communities"],
        74,
        _missing("trends"),
        "en",
    ),
    Case(
        "en_outlook_reply_resubmission",
        lambda: plain_mail(
            "Ngozi Okafor <n.okafor@riverside-poly.example.edu.ng>",
            "RE: WSIS 2025 contribution",
            "en13@riverside.example.edu.ng",
            EN_OUTLOOK_REPLY + OUTLOOK_QUOTE,
            charset="windows-1252",
            cte="quoted-printable",
            extra=(
                "In-Reply-To: <confirm-21@association.example>",
                "Thread-Topic: WSIS 2025 contribution",
            ),
        ),
        "accepted",
        ["C4", "C7"],
        ["https://riverside-poly.example.edu.ng/library/course"],
        89,
        [],
        "en",
    ),
    Case(
        "en_forwarded",
        lambda: plain_mail(
            "Ravi Kulkarni <ravi@hillcrest-library.example.in>",
            "Fwd: WSIS contribution 2025",
            "en14@hillcrest.example.in",
            FORWARD_HEAD + EN_FORWARD,
        ),
        "accepted",
        ["C3", "C8"],
        ["https://hillcrest-library.example.in/stories"],
        96,
        [],
        "en",
    ),
    Case(
        "en_html_only",
        lambda: mail(
            "Dana Whitfield <dwhitfield@oakridge-library.example.org>",
            "WSIS contribution from Oakridge",
            "en15@oakridge.example.org",
            text_part(EN_HTML, "html"),
        ),
        "accepted",
        ["C5"],
        [
            "https://oakridge-library.example.org/scam-smart",
            "https://oakridge-library.example.org/scam-smart/guide.pdf",
        ],
        105,
        [],
        "en",
    ),
    Case(
        "en_outlook_html_table",
        lambda: mail(
            "Joseph Camilleri <j.camilleri@kingsbury-library.example.org.mt>",
            "WSIS 2025 – Kingsbury Public Library",
            "en16@kingsbury.example.org.mt",
            text_part(OUTLOOK_HTML, "html", cte="quoted-printable"),
            extra=(
                "Thread-Topic: WSIS 2025 - Kingsbury Public Library",
                "Thread-Index: AdwmQ1VbT0RBQkNERUZHSElKS0xNTk9Q",
                "X-Auto-Response-Suppress: All",
                "X-MS-Has-Attach:",
                "Content-Language: en-GB",
            ),
        ),
        "accepted",
        ["C1", "C6"],
        ["https://kingsbury-library.example.org.mt/policy-brief-2025"],
        95,
        _missing("trends"),
        "en",
    ),
    Case(
        "en_alternative_plain_preferred",
        lambda: mail(
            "Samuel Otieno <s.otieno@meadowvale-library.example.ug>",
            "WSIS 2025",
            "en17@meadowvale.example.ug",
            _alt(
                EN_BASE64,
                "<html><body><p>" + EN_BASE64.replace("\n", "<br>\n") + "</p></body></html>",
                "alt-17",
            ),
        ),
        "accepted",
        ["C3", "C9"],
        ["https://meadowvale-library.example.ug/radio"],
        73,
        [],
        "en",
    ),
    Case(
        "en_base64_body",
        lambda: plain_mail(
            "Samuel Otieno <s.otieno@meadowvale-library.example.ug>",
            "WSIS 2025 (resent)",
            "en18@meadowvale.example.ug",
            EN_BASE64,
            cte="base64",
        ),
        "accepted",
        ["C3", "C9"],
        ["https://meadowvale-library.example.ug/radio"],
        73,
        [],
        "en",
    ),
    Case(
        "en_docx_attachment",
        lambda: mail(
            "Grace Wanjiru <g.wanjiru@pinewood-medlib.example.org>",
            "WSIS contribution",
            "en19@pinewood.example.org",
            _with_attachment(
                "Contribution attached.\n",
                docx_bytes(EN_DOCX),
                DOCX,
                "WSIS_2025_Pinewood.docx",
                "mix-19",
            ),
        ),
        "accepted",
        ["C3", "C7"],
        ["https://pinewood-medlib.example.org/offline-library"],
        100,
        [],
        "en",
    ),
    Case(
        "en_docx_only",
        lambda: mail(
            "Grace Wanjiru <g.wanjiru@pinewood-medlib.example.org>",
            "WSIS contribution (docx)",
            "en20@pinewood.example.org",
            multipart(
                "mixed", [attachment_part(docx_bytes(EN_DOCX), DOCX, "contribution.docx")], "mix-20"
            ),
        ),
        "accepted",
        ["C3", "C7"],
        ["https://pinewood-medlib.example.org/offline-library"],
        100,
        [],
        "en",
    ),
    Case(
        "en_txt_attachment",
        lambda: mail(
            "Maria Santos <m.santos@sunridge-braille.example.ph>",
            "WSIS 2025 contribution",
            "en21@sunridge.example.ph",
            _with_attachment(
                "See attachment.\n\n-- \nMaria Santos\nSunridge Braille and Talking Book Library\n",
                EN_TXT.encode("utf-8"),
                "text/plain; charset=utf-8",
                "wsis-2025.txt",
                "mix-21",
            ),
        ),
        "accepted",
        ["C3"],
        ["https://sunridge-braille.example.ph/catalogue"],
        79,
        [],
        "en",
    ),
    Case(
        "en_empty",
        lambda: plain_mail(
            EN_SENDER, "WSIS 2025 contribution", "en22@lakeside.example.org", "\n\n"
        ),
        "needs_revision",
        [],
        [],
        0,
        ["empty"],
        None,
    ),
    Case(
        "en_empty_signature_only",
        lambda: plain_mail(
            EN_SENDER, "WSIS 2025", "en23@lakeside.example.org", "\n" + SIGNATURE_EN
        ),
        "needs_revision",
        [],
        [],
        0,
        ["empty"],
        None,
    ),
    Case(
        "fr_template_plain",
        lambda: plain_mail(
            "Hélène Dubois <h.dubois@bm-saintclair.example.fr>",
            "Contribution SMSI 2025",
            "fr1@saintclair.example.fr",
            FR_TEMPLATE,
            cte="quoted-printable",
        ),
        "accepted",
        ["C3", "C8"],
        ["https://bm-saintclair.example.fr/memoires"],
        109,
        [],
        "fr",
    ),
    Case(
        "fr_iso8859_1",
        lambda: plain_mail(
            "Luc Lambert <luc.lambert@mediatheque-villeneuve.example.be>",
            "Contribution SMSI – médiathèque",
            "fr2@villeneuve.example.be",
            FR_LATIN1,
            charset="iso-8859-1",
            cte="8bit",
        ),
        "accepted",
        ["C9"],
        ["https://mediatheque-villeneuve.example.be/ateliers-medias"],
        72,
        [],
        "fr",
    ),
    Case(
        "fr_pdf_attachment",
        lambda: mail(
            "Claire Martin <claire.martin@bu-lorraine-sud.example.fr>",
            "Contribution SMSI 2025",
            "fr3@lorraine.example.fr",
            _with_attachment(
                FR_COVER,
                pdf_bytes(FR_PDF.strip().split("\n")),
                "application/pdf",
                "contribution_SMSI_2025.pdf",
                "mix-f3",
            ),
        ),
        "accepted",
        ["C4", "C7"],
        ["https://bu-lorraine-sud.example.fr/formation"],
        106,
        [],
        "fr",
    ),
    Case(
        "fr_html_free_text",
        lambda: mail(
            "Marc Girard <m.girard@bd-hautverdon.example.fr>",
            "SMSI 2025 : notre contribution",
            "fr4@hautverdon.example.fr",
            text_part(FR_HTML, "html"),
        ),
        "accepted",
        ["C3", "C4"],
        ["https://bd-hautverdon.example.fr/bibliobus-numerique"],
        78,
        [],
        "fr",
    ),
    Case(
        "es_template_plain",
        lambda: plain_mail(
            "Lucía Fernández <lfernandez@biblioteca-sanisidro.example.ar>",
            "Contribución CMSI 2025",
            "es1@sanisidro.example.ar",
            ES_TEMPLATE,
        ),
        "accepted",
        ["C3", "C4"],
        ["https://biblioteca-sanisidro.example.ar/conectada"],
        97,
        [],
        "es",
    ),
    Case(
        "es_free_text",
        lambda: plain_mail(
            "Jorge Mamani <jmamani@bibliotecas-vallealto.example.bo>",
            "Contribución de la Red Valle Alto",
            "es2@vallealto.example.bo",
            ES_FREE,
            charset="iso-8859-1",
            cte="quoted-printable",
        ),
        "accepted",
        ["C3"],
        ["https://bibliotecas-vallealto.example.bo/coleccion"],
        80,
        [],
        "es",
    ),
    Case(
        "es_odt_attachment",
        lambda: mail(
            "Andrea Solís <asolis@bncv.example.cr>",
            "Contribución CMSI 2025 - Biblioteca Nacional",
            "es3@bncv.example.cr",
            _with_attachment(
                "Adjunto.\n",
                odt_bytes(ES_ODT.strip().split("\n")),
                ODT,
                "contribucion_CMSI.odt",
                "mix-e3",
            ),
        ),
        "accepted",
        ["C8", "C11"],
        ["https://bncv.example.cr/hemeroteca"],
        92,
        [],
        "es",
    ),
    Case(
        "vi_template_utf8",
        lambda: plain_mail(
            "Nguyễn Thị Hoa <hoa.nt@thuvien-songhong.example.vn>",
            "Đóng góp WSIS 2025",
            "vi1@songhong.example.vn",
            VI_TEMPLATE,
        ),
        "accepted",
        ["C3", "C4"],
        ["https://thuvien-songhong.example.vn/thu-vien-so"],
        127,
        [],
        "vi",
    ),
    Case(
        "vi_windows1258",
        lambda: mail(
            "Trần Văn Minh <minh.tv@thuvien-supham.example.vn>",
            "Đóng góp WSIS 2025",
            "vi2@supham.example.vn",
            b"Content-Type: text/plain; charset=windows-1258\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + cp1258_decomposed(VI_1258),
        ),
        "accepted",
        ["C4", "C8"],
        ["https://thuvien-supham.example.vn/van-hoa"],
        117,
        _missing("trends"),
        "vi",
    ),
    Case(
        "vi_free_text",
        lambda: plain_mail(
            "Lê Thu Trang <trang.lt@thuvien-tamdao.example.vn>",
            "Báo cáo WSIS",
            "vi3@tamdao.example.vn",
            VI_FREE,
        ),
        "accepted",
        ["C4"],
        ["https://thuvien-tamdao.example.vn/tu-sach"],
        74,
        [],
        "vi",
    ),
    Case(
        "vi_odt_attachment",
        lambda: mail(
            "Phạm Quốc Bảo <bao.pq@thuvien-cuulong.example.vn>",
            "Đóng góp WSIS 2025 (tệp đính kèm)",
            "vi4@cuulong.example.vn",
            multipart(
                "mixed",
                [attachment_part(odt_bytes(VI_ODT.strip().split("\n")), ODT, "dong-gop-wsis.odt")],
                "mix-v4",
            ),
        ),
        "accepted",
        ["C7", "C11"],
        ["https://thuvien-cuulong.example.vn/hoc-truc-tuyen"],
        112,
        [],
        "vi",
    ),
    Case(
        "ar_template_plain",
        lambda: plain_mail(
            "Layla Haddad <l.haddad@oasis-library.example.jo>",
            "مساهمة القمة العالمية لمجتمع المعلومات 2025",
            "ar1@oasis.example.jo",
            AR_TEMPLATE,
            cte="base64",
        ),
        "accepted",
        ["C3", "C4"],
        ["https://oasis-library.example.jo/digital"],
        71,
        [],
        "ar",
    ),
    Case(
        "ar_free_text",
        lambda: plain_mail(
            "Omar Abdelrahman <o.abdelrahman@bluenile-univ.example.sd>",
            "مساهمة مكتبة الجامعة",
            "ar2@bluenile.example.sd",
            AR_FREE,
        ),
        "accepted",
        ["C4"],
        ["https://bluenile-univ.example.sd/library/workshops"],
        46,
        [],
        "ar",
    ),
    Case(
        "ar_html",
        lambda: mail(
            "Said Mohamed <s.mohamed@marjan-library.example.km>",
            "مساهمة المكتبة الوطنية",
            "ar3@marjan.example.km",
            text_part(AR_HTML, "html"),
        ),
        "accepted",
        ["C8"],
        ["https://marjan-library.example.km/manuscripts"],
        48,
        _missing("trends"),
        "ar",
    ),
    Case(
        "zh_template_utf8",
        lambda: plain_mail(
            "Li Na <lina@donghai-library.example.cn>",
            "WSIS 2025 贡献",
            "zh1@donghai.example.cn",
            ZH_TEMPLATE,
        ),
        "accepted",
        ["C3", "C4"],
        ["https://donghai-library.example.cn/silver"],
        138,
        [],
        "zh",
    ),
    Case(
        "zh_gb2312",
        lambda: plain_mail(
            "Wang Fang <wangfang@xishan-univ.example.cn>",
            "信息社会世界峰会贡献",
            "zh2@xishan.example.cn",
            ZH_GB2312,
            charset="gb2312",
            cte="base64",
        ),
        "accepted",
        ["C7", "C11"],
        ["https://xishan-univ.example.cn/library/oa"],
        108,
        _missing("trends"),
        "zh",
    ),
    Case(
        "zh_free_text_no_action_line",
        lambda: plain_mail(
            "Chen Jie <chenjie@nanhu-library.example.cn>",
            "南湖区图书馆",
            "zh3@nanhu.example.cn",
            ZH_FREE,
        ),
        "needs_revision",
        [],
        ["https://nanhu-library.example.cn/stories"],
        69,
        ["no_action_line"],
        "zh",
    ),
    Case(
        "ru_template_utf8",
        lambda: plain_mail(
            "Айгуль Серикова <a.serikova@zarechye-library.example.kz>",
            "Вклад ВВУИО 2025",
            "ru1@zarechye.example.kz",
            RU_TEMPLATE,
        ),
        "accepted",
        ["C3", "C4"],
        ["https://zarechye-library.example.kz/kursy"],
        66,
        [],
        "ru",
    ),
    Case(
        "ru_koi8r",
        lambda: plain_mail(
            "Ирина Волкова <volkova@oblbiblioteka.example.ru>",
            "Вклад библиотеки",
            "ru2@oblbiblioteka.example.ru",
            RU_KOI8,
            charset="koi8-r",
            cte="8bit",
        ),
        "accepted",
        ["C8"],
        ["https://oblbiblioteka.example.ru/kollekciya"],
        57,
        _missing("trends"),
        "ru",
    ),
    Case(
        "ru_docx_attachment",
        lambda: mail(
            "Сергей Ковалёв <kovalev@prirechye-tech.example.by>",
            "Вклад ВВУИО 2025",
            "ru3@prirechye.example.by",
            _with_attachment(
                "Во вложении.\n",
                docx_bytes(RU_DOCX.strip().split("\n")),
                DOCX,
                "vklad_2025.docx",
                "mix-r3",
            ),
        ),
        "accepted",
        ["C4", "C7"],
        ["https://prirechye-tech.example.by/library/kurs"],
        60,
        [],
        "ru",
    ),
]


# --- harder cases: reply and forward styles, charsets, label styles, links, the exact limit ---

EN_EXACT_200 = """Organisation: Elmwood Public Library
Country: Botswana
Action lines: C3 Access to information and knowledge; C4 Capacity building; C11 International and regional cooperation
Why: Elmwood is a growing town where many young people finish school without the skills they need to find work, study further or use public services online. The library is the only public place with free computers and internet, so we decided to focus our work on access and on digital skills for young adults and small traders.
Outputs: The Elmwood Youth Digital Hub opened in March 2025 and offers daily drop-in help, weekly courses and a job search corner, see https://elmwood-library.example.org.bw/youth-hub for the programme and course materials.
Achievements: More than 700 young people used the hub, 210 completed a full course and 38 found jobs or internships with skills learned at the library.
Trends: Young people now ask for help with online job applications, mobile money and small business marketing on social networks.
Obstacles: Our internet connection is slow and expensive, and we have only twelve computers for the whole town.
Future actions: We will share our course materials with public libraries in Namibia and Zambia and seek regional funding for better connectivity for all rural libraries.
"""

EN_NUMBERED_BOLD = """1. **Organisation:** Brookside Public Library
2. **Country:** Fiji
3. **Action lines:** C10, C11
4. **Why:** We helped write a code of ethics for library staff handling personal data and shared it across the Pacific.
- **Outputs**: The code of ethics: https://brookside-library.example.org.fj/ethics-code
- **Achievements**: Nine library services in four countries adopted it.
- **Obstacles**: Few staff have time for training.
- **Future actions**: A Pacific webinar series on privacy in libraries in 2026.
"""

EN_NAMES_ONLY = """Organisation: Ashford Public Libraries
Country: Pakistan
Action lines: Capacity building; Cultural diversity and identity, linguistic diversity and local content
Why: Our readers speak Urdu, Punjabi and Pashto, and our staff needed skills to build collections in all three.
Outputs: A staff training course and a catalogue of local-language books: https://ashford-libraries.example.pk/local-languages
Achievements: 60 staff trained and 3,000 titles catalogued.
Obstacles: Few publishers produce books in Pashto.
Future actions: An exchange with libraries in Afghanistan and India on local-language collections.
"""

EN_OWA_REPLY_HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body><div dir="ltr" style="font-family:Aptos,sans-serif;font-size:12pt">
<div>Organisation: Fairhaven Library Trust</div>
<div>Country: Zambia</div>
<div>Action lines: C3 Access to information and knowledge</div>
<div>Why: Our mobile library reaches schools that have no library of their own.</div>
<div>Outputs: The mobile library timetable and reading lists: <a href="https://fairhaven-trust.example.org.zm/mobile-library">https://fairhaven-trust.example.org.zm/mobile-library</a></div>
<div>Achievements: 14,000 pupils borrowed books this year.</div>
<div>Obstacles: The van is old and often breaks down.</div>
<div>Future actions: We will share our route planning with mobile libraries in Malawi.</div>
</div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> WSIS coordinator &lt;wsis@association.example&gt;<br>
<b>Sent:</b> Tuesday, September 16, 2025 10:02 AM<br>
<b>To:</b> Chanda Mwila &lt;c.mwila@fairhaven-trust.example.org.zm&gt;<br>
<b>Subject:</b> Re: WSIS 2025</font>
<div>&nbsp;</div></div>
<div><p>Dear Chanda Mwila,</p>
<p>Thank you for your contribution. No links were found for your outputs; please add links to the documents, projects or campaigns and reply with the full corrected text.</p>
<p>WSIS coordinator</p></div>
</body></html>
"""

EN_ORIGINAL_MESSAGE = """Organisation: Silverlake Community Library
Country: Sri Lanka
Action lines: C9 Media; C3 Access to information and knowledge
Why: After the floods, false news spread fast and people came to the library to check what was true.
Outputs: A fact-checking corner and a weekly notice board of verified local news, described at https://silverlake-library.example.lk/verified-news
Achievements: The district office now sends its notices to the library first.
Obstacles: Staff have no training in fact checking.
Future actions: Training with library associations in the Maldives and Bangladesh.
"""
ORIGINAL_MESSAGE_QUOTE = """
-----Original Message-----
From: WSIS coordinator <wsis@association.example>
Sent: Tuesday, September 16, 2025 10:02 AM
To: Nimal Perera <nimal@silverlake-library.example.lk>
Subject: Re: WSIS 2025

Dear Nimal Perera,

We received 214 words; the limit is 200. Please shorten your text and reply with the full corrected text.

WSIS coordinator
"""

EN_APPLE_FORWARD = """Organisation: Redwood Valley Library
Country: Chile
Action lines: C4 Capacity building
Why: Small libraries in our valley have volunteers but no trained librarians.
Outputs: A free online course for volunteer librarians: https://redwood-valley-library.example.cl/volunteer-course
Achievements: 85 volunteers from 30 libraries finished the course.
Obstacles: Slow internet in mountain villages.
Future actions: We will offer the course to library networks in Bolivia and Peru.
"""
APPLE_FORWARD_HEAD = """Begin forwarded message:

From: Camila Rojas <camila@redwood-valley-library.example.cl>
Subject: WSIS contribution 2025
Date: 12 September 2025 at 16:40:12 GMT-3
To: Pablo Fuentes <pablo@redwood-valley-library.example.cl>

"""

EN_DISCLAIMER_KEEPS_UNDER = """Organisation: Northbay Institute of Technology Library
Country: Malaysia
Action lines: C7 e-science; C3 Access to information and knowledge; C11 International and regional cooperation
Why: Researchers at our institute produce large amounts of data, but most of it stayed on personal computers where nobody else could find or reuse it. The library took on the task of making research data findable and open, and of teaching researchers how to share it responsibly.
Outputs: Our research data repository, https://data.northbay-tech.example.edu.my, and a data management planning guide for researchers at https://northbay-tech.example.edu.my/library/data-guide.
Achievements: 340 data sets were published in the first year, and the repository was certified by the national research council. Twelve departments now require a data management plan for new projects.
Trends: Funders increasingly ask for open data, and researchers ask the library for help with licences and formats.
Obstacles: Storage costs grow quickly, and some researchers still fear that others will use their data before they publish.
Future actions: We will build a shared regional repository service with university libraries in Indonesia, Brunei and the Philippines.
"""
DISCLAIMER_LONG = """
Regards,
Dr. Farah Aziz
University Librarian

DISCLAIMER: This e-mail and any files transmitted with it are confidential and intended solely for the use of the individual or entity to whom they are addressed. If you are not the intended recipient, you must not copy, distribute or take any action in reliance on it. The views expressed in this message are those of the sender and do not necessarily represent those of Northbay Institute of Technology.
"""

EN_LINK_VARIANTS = """Organisation: Cedar Hill Public Library
Country: Lebanon
Action lines: C3 Access to information and knowledge
Why: Refugee families need information about schools, health care and legal aid in Arabic and English.
Outputs: An information guide (http://cedarhill-library.example.org.lb/guide), a searchable directory at <https://cedarhill-library.example.org.lb/directory?lang=ar&type=services#health>, and our page on www.cedarhill-library.example.org.lb/refugees for partners.
Achievements: 4,000 copies of the guide were handed out.
Obstacles: Information changes faster than we can print it.
Future actions: A shared online directory with libraries in Jordan.
"""
EN_LINK_VARIANTS_LINKS = [
    "http://cedarhill-library.example.org.lb/guide",
    "https://cedarhill-library.example.org.lb/directory?lang=ar&type=services#health",
    "https://www.cedarhill-library.example.org.lb/refugees",  # written bare: www.…/refugees
]

FR_REPLY = """Organisme : Bibliothèque municipale de Saint-Clair
Pays : France
Lignes d'action : C3 L'accès à l'information et au savoir
Pourquoi : Beaucoup d'habitants n'ont pas d'accès à internet chez eux.
Réalisations : Le portail « Mémoires de quartier » : https://bm-saintclair.example.fr/memoires
Réussites : 1 200 nouveaux inscrits en 2025.
Obstacles : Le manque de personnel formé.
Actions futures : Un échange avec des bibliothèques de Belgique et du Québec.
"""
FR_REPLY_TAIL = """
--\x20
Hélène Dubois
Responsable numérique, Bibliothèque municipale de Saint-Clair

AVERTISSEMENT : Ce message et ses pièces jointes sont confidentiels et destinés exclusivement à leurs destinataires. Si vous avez reçu ce message par erreur, merci de le supprimer et d'en avertir l'expéditeur.

Le mar. 16 sept. 2025 à 10:02, Coordinateur SMSI <wsis@association.example> a écrit :
> Madame,
>
> Nous avons bien reçu votre contribution : 243 mots ; la limite est de 200.
> Merci de raccourcir votre texte et de répondre à ce message avec le texte complet corrigé.
>
> Le coordinateur SMSI
"""

ES_MOBILE = """Organización: Biblioteca Comunitaria Los Pinos
País: México
Líneas de acción: C4 Creación de capacidad
Por qué: Capacitamos a jóvenes de la comunidad para que enseñen a sus vecinos a usar el teléfono y los servicios en línea.
Resultados: Guía del programa «Vecinos Digitales»: https://biblioteca-lospinos.example.mx/vecinos-digitales
Logros: 45 jóvenes formados y más de 600 vecinos atendidos.
Obstáculos: Pocos equipos y conexión inestable.
Acciones futuras: Compartir la guía con bibliotecas comunitarias de Guatemala.
"""

VI_REPLY = """Tổ chức: Thư viện tỉnh Sông Hồng
Quốc gia: Việt Nam
Hướng hành động: C3 Tiếp cận thông tin và tri thức
Lý do: Nhiều người dân ở vùng nông thôn chưa biết cách tìm kiếm thông tin trên mạng.
Kết quả: Chương trình "Thư viện số cho mọi người": https://thuvien-songhong.example.vn/thu-vien-so
Thành tựu: Hơn 2.000 người dân đã tham gia tập huấn.
Khó khăn: Thiếu máy tính.
Kế hoạch tương lai: Hợp tác với các thư viện ở Lào.
"""
VI_REPLY_QUOTE = """
Vào Th 3, 16 thg 9, 2025 vào lúc 10:02 WSIS coordinator <wsis@association.example> đã viết:
> Kính gửi chị Nguyễn Thị Hoa,
>
> Chúng tôi đã nhận được đóng góp của chị: 243 từ; giới hạn là 200 từ.
> Xin vui lòng rút gọn và trả lời thư này với toàn bộ nội dung đã sửa.
>
> Điều phối viên WSIS
"""

VI_NO_CHARSET = """Tổ chức: Thư viện thành phố Hải Cảng
Quốc gia: Việt Nam
Hướng hành động: C9 Truyền thông; C3 Tiếp cận thông tin và tri thức
Lý do: Người dân cần nguồn tin đáng tin cậy về thiên tai và dịch bệnh.
Kết quả: Bản tin cộng đồng hằng tuần: https://thuvien-haicang.example.vn/ban-tin
Thành tựu: Bản tin có hơn 5.000 người đọc.
Khó khăn: Thiếu cộng tác viên.
Kế hoạch tương lai: Trao đổi kinh nghiệm với thư viện ở Philippines.
"""

RU_REPLY = """Организация: Центральная городская библиотека Заречья
Страна: Казахстан
Направления деятельности: C3 Доступ к информации и знаниям
Обоснование: Многие жители пригородов не умеют пользоваться онлайн-услугами.
Результаты: Курсы цифровой грамотности: https://zarechye-library.example.kz/kursy
Достижения: Курсы окончили 1 300 человек.
Препятствия: Не хватает компьютеров.
Дальнейшие действия: Обмен опытом с библиотеками Кыргызстана.
"""
RU_REPLY_QUOTE = """
--
С уважением,
Айгуль Серикова

вт, 16 сент. 2025 г. в 10:02, WSIS coordinator <wsis@association.example>:
> Уважаемая Айгуль Серикова!
>
> Мы получили 243 слова; предел составляет 200.
> Пожалуйста, сократите текст и ответьте на это письмо полным исправленным текстом.
"""

AR_1256 = """المؤسسة: مكتبة جامعة الساحل
البلد: تونس
خطوط العمل: بناء القدرات؛ التعاون الدولي والإقليمي
السبب: يحتاج طلبة الدراسات العليا إلى مهارات البحث في المصادر الإلكترونية.
النتائج: دليل البحث العلمي للطلبة: https://sahel-univ.example.tn/bibliotheque/guide
الإنجازات: استفاد 1500 طالب من الدورات.
العقبات: ضعف الاشتراكات في قواعد البيانات.
الإجراءات المستقبلية: شراكة مع مكتبات جامعية في الجزائر والمغرب.
"""

ZH_BIG5 = """機構：北港大學圖書館
地區：台灣
行動方針： C3 獲取資訊和知識； C8 文化多樣性
原因：保存本地客家與原住民族的文獻。
成果：數位典藏平台 https://beigang-univ.example.tw/library/archive
成就：已數位化兩千件文獻。
障礙：經費不足。
未來行動：與日本和菲律賓的大學圖書館合作。
"""


def _owa_reply() -> bytes:
    return mail(
        "Chanda Mwila <c.mwila@fairhaven-trust.example.org.zm>",
        "Re: WSIS 2025",
        "h3@fairhaven.example.org.zm",
        text_part(EN_OWA_REPLY_HTML, "html", cte="quoted-printable"),
        extra=("In-Reply-To: <confirm-31@association.example>",),
    )


CASES += [
    Case(
        "en_exactly_200_words",
        lambda: plain_mail(
            "Kagiso Molefe <k.molefe@elmwood-library.example.org.bw>",
            "WSIS 2025 contribution",
            "h1@elmwood.example.org.bw",
            EN_EXACT_200,
        ),
        "accepted",
        ["C3", "C4", "C11"],
        ["https://elmwood-library.example.org.bw/youth-hub"],
        200,
        [],
        "en",
    ),
    Case(
        "en_numbered_bold_labels",
        lambda: plain_mail(
            "Litia Vuniwaqa <litia@brookside-library.example.org.fj>",
            "WSIS contribution",
            "h2@brookside.example.org.fj",
            EN_NUMBERED_BOLD,
        ),
        "accepted",
        ["C10", "C11"],
        ["https://brookside-library.example.org.fj/ethics-code"],
        68,
        _missing("trends"),
        "en",
    ),
    Case(
        "en_action_line_names_only",
        lambda: plain_mail(
            "Ayesha Khan <a.khan@ashford-libraries.example.pk>",
            "WSIS contribution 2025",
            "h4@ashford.example.pk",
            EN_NAMES_ONLY,
        ),
        "accepted",
        ["C4", "C8"],
        ["https://ashford-libraries.example.pk/local-languages"],
        78,
        _missing("trends"),
        "en",
    ),
    Case(
        "en_owa_html_reply",
        _owa_reply,
        "accepted",
        ["C3"],
        ["https://fairhaven-trust.example.org.zm/mobile-library"],
        65,
        _missing("trends"),
        "en",
    ),
    Case(
        "en_original_message_reply",
        lambda: plain_mail(
            "Nimal Perera <nimal@silverlake-library.example.lk>",
            "RE: WSIS 2025",
            "h5@silverlake.example.lk",
            EN_ORIGINAL_MESSAGE + ORIGINAL_MESSAGE_QUOTE,
            extra=("In-Reply-To: <confirm-32@association.example>",),
        ),
        "accepted",
        ["C3", "C9"],
        ["https://silverlake-library.example.lk/verified-news"],
        83,
        _missing("trends"),
        "en",
    ),
    Case(
        "en_apple_mail_forward",
        lambda: plain_mail(
            "Pablo Fuentes <pablo@redwood-valley-library.example.cl>",
            "Fwd: WSIS contribution 2025",
            "h6@redwood.example.cl",
            APPLE_FORWARD_HEAD + EN_APPLE_FORWARD,
        ),
        "accepted",
        ["C4"],
        ["https://redwood-valley-library.example.cl/volunteer-course"],
        61,
        _missing("trends"),
        "en",
    ),
    Case(
        "en_disclaimer_keeps_under_limit",
        lambda: plain_mail(
            "Farah Aziz <farah.aziz@northbay-tech.example.edu.my>",
            "WSIS 2025 contribution",
            "h7@northbay.example.edu.my",
            EN_DISCLAIMER_KEEPS_UNDER + DISCLAIMER_LONG,
        ),
        "accepted",
        ["C3", "C7", "C11"],
        [
            "https://data.northbay-tech.example.edu.my",
            "https://northbay-tech.example.edu.my/library/data-guide",
        ],
        174,
        [],
        "en",
    ),
    Case(
        "en_link_variants",
        lambda: plain_mail(
            "Rana Khoury <r.khoury@cedarhill-library.example.org.lb>",
            "WSIS 2025",
            "h8@cedarhill.example.org.lb",
            EN_LINK_VARIANTS,
        ),
        "accepted",
        ["C3"],
        EN_LINK_VARIANTS_LINKS,
        76,
        _missing("trends"),
        "en",
    ),
    Case(
        "fr_reply_signature_disclaimer",
        lambda: plain_mail(
            "Hélène Dubois <h.dubois@bm-saintclair.example.fr>",
            "Re: Contribution SMSI 2025",
            "h9@saintclair.example.fr",
            FR_REPLY + FR_REPLY_TAIL,
            cte="quoted-printable",
            extra=("In-Reply-To: <confirm-33@association.example>",),
        ),
        "accepted",
        ["C3"],
        ["https://bm-saintclair.example.fr/memoires"],
        58,
        _missing("trends"),
        "fr",
    ),
    Case(
        "es_mobile_signature",
        lambda: plain_mail(
            "Rosa Hernández <rosa@biblioteca-lospinos.example.mx>",
            "Contribución CMSI",
            "h10@lospinos.example.mx",
            ES_MOBILE + "\nEnviado desde mi iPhone\n",
        ),
        "accepted",
        ["C4"],
        ["https://biblioteca-lospinos.example.mx/vecinos-digitales"],
        70,
        _missing("trends"),
        "es",
    ),
    Case(
        "vi_gmail_reply",
        lambda: plain_mail(
            "Nguyễn Thị Hoa <hoa.nt@thuvien-songhong.example.vn>",
            "Re: Đóng góp WSIS 2025",
            "h11@songhong.example.vn",
            VI_REPLY + VI_REPLY_QUOTE,
            cte="base64",
            extra=("In-Reply-To: <confirm-34@association.example>",),
        ),
        "accepted",
        ["C3"],
        ["https://thuvien-songhong.example.vn/thu-vien-so"],
        79,
        _missing("trends"),
        "vi",
    ),
    Case(
        "vi_missing_charset",
        lambda: mail(
            "Đỗ Minh Tuấn <tuan.dm@thuvien-haicang.example.vn>",
            "Đóng góp WSIS",
            "h12@haicang.example.vn",
            b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + VI_NO_CHARSET.replace("\n", "\r\n").encode("utf-8"),
        ),
        "accepted",
        ["C3", "C9"],
        ["https://thuvien-haicang.example.vn/ban-tin"],
        79,
        _missing("trends"),
        "vi",
    ),
    Case(
        "ru_reply_signature",
        lambda: plain_mail(
            "Айгуль Серикова <a.serikova@zarechye-library.example.kz>",
            "Re: Вклад ВВУИО 2025",
            "h13@zarechye.example.kz",
            RU_REPLY + RU_REPLY_QUOTE,
            charset="koi8-r",
            cte="quoted-printable",
            extra=("In-Reply-To: <confirm-35@association.example>",),
        ),
        "accepted",
        ["C3"],
        ["https://zarechye-library.example.kz/kursy"],
        45,
        _missing("trends"),
        "ru",
    ),
    Case(
        "ar_windows1256_names_only",
        lambda: plain_mail(
            "Sami Ben Salah <s.bensalah@sahel-univ.example.tn>",
            "مساهمة مكتبة جامعة الساحل",
            "h14@sahel.example.tn",
            AR_1256,
            charset="windows-1256",
            cte="8bit",
        ),
        "accepted",
        ["C4", "C11"],
        ["https://sahel-univ.example.tn/bibliotheque/guide"],
        51,
        _missing("trends"),
        "ar",
    ),
    Case(
        "zh_big5_traditional",
        lambda: plain_mail(
            "Lin Mei-hua <meihua@beigang-univ.example.tw>",
            "WSIS 2025 貢獻",
            "h15@beigang.example.tw",
            ZH_BIG5,
            charset="big5",
            cte="base64",
        ),
        "accepted",
        ["C3", "C8"],
        ["https://beigang-univ.example.tw/library/archive"],
        92,
        _missing("trends"),
        "zh",
    ),
]


ZH_LINK_ADJACENT = """机构：东海市少儿图书馆
国家：中国
行动方针： C3 获取信息和知识
原因：农村儿童缺少课外读物。
成果：“流动书箱”项目网址https://donghai-kids.example.cn/book-boxes。
成就：全年送书两万册。
障碍：运输成本高。
未来行动：与蒙古的图书馆交流经验。
"""

VI_UPPERCASE = """TỔ CHỨC: Thư viện Trường Đại học Nông Lâm Tây Nguyên
QUỐC GIA: Việt Nam
HƯỚNG HÀNH ĐỘNG: C3; C7
LÝ DO: Sinh viên và nông dân cần tài liệu về cây cà phê và hồ tiêu.
KẾT QUẢ: Cơ sở dữ liệu nông nghiệp mở: https://thuvien-taynguyen.example.vn/nong-nghiep
THÀNH TỰU: 3.500 lượt truy cập mỗi tháng.
KHÓ KHĂN: Thiếu kinh phí duy trì máy chủ.
KẾ HOẠCH TƯƠNG LAI: Hợp tác với thư viện nông nghiệp ở Indonesia.
"""

RU_SYNONYMS = """Организация: Районная библиотека Северного посёлка
Страна: Россия
Направления деятельности: C4 Создание потенциала
Почему: Жителям посёлка нужны навыки работы с государственными онлайн-сервисами.
Результаты: Памятка по онлайн-сервисам: https://severny-biblioteka.example.ru/pamyatka
Достижения: Обучено 240 жителей.
Препятствия: Слабый интернет зимой.
Планы: Обмен опытом с сельскими библиотеками Норвегии.
"""

ES_REPLY = """Organización: Biblioteca Pública Municipal de San Isidro
País: Argentina
Líneas de acción: C3 Acceso a la información y al conocimiento
Por qué: Muchas familias no tienen conexión a internet en casa.
Resultados: Programa «Biblioteca Conectada»: https://biblioteca-sanisidro.example.ar/conectada
Logros: 1.500 personas participaron en los talleres.
Obstáculos: La conexión es lenta.
Acciones futuras: Compartir los materiales con bibliotecas de Uruguay.
"""
ES_REPLY_QUOTE = """
El mar, 16 sept 2025 a las 10:02, Coordinador CMSI (<wsis@association.example>) escribió:
> Estimada Lucía Fernández:
>
> Recibimos 243 palabras; el límite es 200. Por favor, acorte el texto y
> responda a este mensaje con el texto completo corregido.
>
> Coordinador CMSI
"""

EN_MOBILE = """Organisation: Greenway Mobile Library Project
Country: Tanzania
Action lines: C3 Access to information and knowledge
Why: Children in fishing villages on the lake have no books at home or at school.
Outputs: Boat library schedule and book lists: https://greenway-library.example.org.tz/boat-library
Achievements: The boat visits 16 villages every month.
Obstacles: Fuel prices keep rising.
Future actions: A joint boat library with partners in Uganda and Kenya.
"""

AR_REPLY = """المؤسسة: مكتبة مدينة الواحة العامة
البلد: الأردن
خطوط العمل: C3 النفاذ إلى المعلومات والمعرفة
السبب: كثير من السكان لا يملكون اتصالاً بالإنترنت.
النتائج: برنامج المكتبة الرقمية: https://oasis-library.example.jo/digital
الإنجازات: تدرب 900 شاب وشابة.
العقبات: نقص الأجهزة.
الإجراءات المستقبلية: التعاون مع مكتبات في لبنان.
"""
AR_REPLY_QUOTE = """
في الثلاثاء، 16 سبتمبر 2025 في 10:02 ص، WSIS coordinator <wsis@association.example> كتب:
> السيدة ليلى حداد،
>
> تلقينا 243 كلمة؛ والحد الأقصى 200 كلمة. يرجى اختصار النص والرد على هذه الرسالة بالنص الكامل المصحح.
"""

ZH_REPLY = """机构：东海市图书馆
国家：中国
行动方针： C4 能力建设
原因：老年读者不会使用智能手机。
成果：“银龄数字课堂” https://donghai-library.example.cn/silver
成就：举办一百二十场培训。
障碍：志愿者不足。
未来行动：与日本的图书馆交流经验。
"""
ZH_REPLY_QUOTE = """
WSIS coordinator <wsis@association.example> 于2025年9月16日周二 10:02写道：
> 李娜女士：
>
> 我们收到了243个字，上限为200。请缩短文本，并回复此邮件附上完整的修改稿。
"""

EN_PDF_OVER = [
    "Organisation: Westmoor University Library",
    "Country: Ghana",
    "Action lines: C3 Access to information and knowledge; C7 e-science; C11 International and regional cooperation",
    "Why: West African researchers publish much of their work in local journals that are hard to find online, so it is rarely read or cited abroad. Our library decided to make these journals visible, to host them on an open platform and to train editors so that the journals meet international standards for indexing.",
    "Outputs: The West African Open Journals platform at https://journals.westmoor-univ.example.edu.gh hosts 48 journals from five countries. We also published an editors' handbook, available at https://westmoor-univ.example.edu.gh/library/editors-handbook, and ran six online workshops for journal editors.",
    "Achievements: Articles on the platform were downloaded more than 900,000 times in 2025, eleven journals were accepted by international indexes, and two universities in neighbouring countries moved their journals to the platform.",
    "Trends: Universities now ask their staff to publish in open journals, and funders expect research results to be free to read.",
    "Obstacles: Editors work without pay, servers and bandwidth cost more every year, and many journals still depend on one person who does everything.",
    "Future actions: With university libraries in Nigeria, Senegal and Cote d'Ivoire we will build a regional support centre for open journals, offering hosting, training and help with indexing from 2026.",
]


CASES += [
    Case(
        "zh_link_next_to_punctuation",
        lambda: plain_mail(
            "Zhou Min <zhoumin@donghai-kids.example.cn>",
            "WSIS 2025 贡献",
            "p1@donghai-kids.example.cn",
            ZH_LINK_ADJACENT,
        ),
        "accepted",
        ["C3"],
        ["https://donghai-kids.example.cn/book-boxes"],
        80,
        _missing("trends"),
        "zh",
    ),
    Case(
        "vi_uppercase_labels",
        lambda: plain_mail(
            "Y Bhăm Niê <ybham@thuvien-taynguyen.example.vn>",
            "ĐÓNG GÓP WSIS 2025",
            "p2@taynguyen.example.vn",
            VI_UPPERCASE,
        ),
        "accepted",
        ["C3", "C7"],
        ["https://thuvien-taynguyen.example.vn/nong-nghiep"],
        77,
        _missing("trends"),
        "vi",
    ),
    Case(
        "ru_label_synonyms",
        lambda: plain_mail(
            "Олег Петров <petrov@severny-biblioteka.example.ru>",
            "Вклад библиотеки в ВВУИО",
            "p3@severny.example.ru",
            RU_SYNONYMS,
        ),
        "accepted",
        ["C4"],
        ["https://severny-biblioteka.example.ru/pamyatka"],
        41,
        _missing("trends"),
        "ru",
    ),
    Case(
        "es_reply_alternative",
        lambda: mail(
            "Lucía Fernández <lfernandez@biblioteca-sanisidro.example.ar>",
            "Re: Contribución CMSI 2025",
            "p4@sanisidro.example.ar",
            _alt(
                ES_REPLY + ES_REPLY_QUOTE,
                '<html><body><div dir="ltr">'
                + ES_REPLY.replace("\n", "<br>\n")
                + '</div><br><div class="gmail_quote">'
                '<div dir="ltr" class="gmail_attr">El mar, 16 sept 2025 a las 10:02, Coordinador CMSI (&lt;wsis@association.example&gt;) escribió:<br></div>'
                '<blockquote class="gmail_quote">Estimada Lucía Fernández:<br>Recibimos 243 palabras; el límite es 200.</blockquote></div></body></html>',
                "alt-p4",
            ),
            extra=("In-Reply-To: <confirm-41@association.example>",),
        ),
        "accepted",
        ["C3"],
        ["https://biblioteca-sanisidro.example.ar/conectada"],
        57,
        _missing("trends"),
        "es",
    ),
    Case(
        "en_mobile_signatures",
        lambda: plain_mail(
            "Neema Mushi <neema@greenway-library.example.org.tz>",
            "WSIS 2025",
            "p5@greenway.example.org.tz",
            EN_MOBILE + "\nSent from my iPhone\n\nGet Outlook for Android\n",
        ),
        "accepted",
        ["C3"],
        ["https://greenway-library.example.org.tz/boat-library"],
        64,
        _missing("trends"),
        "en",
    ),
    Case(
        "ar_gmail_reply",
        lambda: plain_mail(
            "Layla Haddad <l.haddad@oasis-library.example.jo>",
            "Re: مساهمة 2025",
            "p6@oasis.example.jo",
            AR_REPLY + AR_REPLY_QUOTE,
            extra=("In-Reply-To: <confirm-42@association.example>",),
        ),
        "accepted",
        ["C3"],
        ["https://oasis-library.example.jo/digital"],
        42,
        _missing("trends"),
        "ar",
    ),
    Case(
        "zh_gmail_reply",
        lambda: plain_mail(
            "Li Na <lina@donghai-library.example.cn>",
            "回复：WSIS 2025 贡献",
            "p7@donghai.example.cn",
            ZH_REPLY + ZH_REPLY_QUOTE,
            cte="base64",
            extra=("In-Reply-To: <confirm-43@association.example>",),
        ),
        "accepted",
        ["C4"],
        ["https://donghai-library.example.cn/silver"],
        77,
        _missing("trends"),
        "zh",
    ),
    Case(
        "en_pdf_over_limit",
        lambda: mail(
            "Kofi Asante <k.asante@westmoor-univ.example.edu.gh>",
            "WSIS 2025 contribution (PDF)",
            "p8@westmoor.example.edu.gh",
            multipart(
                "mixed",
                [
                    attachment_part(
                        pdf_bytes(EN_PDF_OVER), "application/pdf", "Westmoor_WSIS_2025.pdf"
                    )
                ],
                "mix-p8",
            ),
        ),
        "needs_revision",
        ["C3", "C7", "C11"],
        [
            "https://journals.westmoor-univ.example.edu.gh",
            "https://westmoor-univ.example.edu.gh/library/editors-handbook",
        ],
        213,
        ["word_limit"],
        "en",
    ),
]


def main() -> None:
    # The cases of replies, headers and program mail live in their own module, which builds on
    # this one (imported here, when both are loaded).
    from replies_and_headers import CASES as REPLIES_AND_HEADERS

    cases = [*CASES, *REPLIES_AND_HEADERS]
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    for case in cases:
        (HERE / f"{case.name}.eml").write_bytes(case.build())
        expected = json.dumps(case.expected(), ensure_ascii=False, indent=2) + "\n"
        (HERE / f"{case.name}.json").write_text(expected, encoding="utf-8")
    print(f"wrote {len(cases)} cases to {HERE}")


if __name__ == "__main__":
    main()
