"""What the member wrote: a message body without quoted replies, signatures and disclaimers.

`strip_reply` is a pure function of a body's text. It cuts at the first reply header ("On … wrote:"
and its equivalents, taken from mail-parser-reply's per-language patterns plus Vietnamese,
Russian, Arabic and a generic "<address>:" line; "-----Original Message-----"; Outlook
"From: … Sent: …" blocks in several languages), drops ``>`` quote blocks (bottom-posted replies
keep the text below the quote), removes forwarded-message header blocks, signatures ("-- ",
"Sent from my …", a closing followed by a short name block) and legal disclaimers. When a forward's
own top part is empty or only a short cover note, the forwarded text is what the member sent and
is kept. mail-parser-reply's own splitting is not used as a whole: its Outlook rule accepts any two
header-like lines ("Organization:", "Date:"), and its signature rule cuts at hyphen bullet lists or
a line starting "Thanks," — both common in contributions. This module does not decode mail
(`mailflow.reading.mime`) or count words (`mailflow.reading.contribution`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailparser_reply.constants import GENERIC_MAIL_SEPARATOR, MAIL_LANGUAGES

from mailflow.reading.words import COVER_NOTE_WORDS

_MAX_FORWARD_DEPTH = 5
_MAX_SIGNATURE_LINES = 10
_MAX_HEADER_CHARS = 400


@dataclass(frozen=True)
class Stripped:
    """The text a member wrote and which kinds of other text were removed from it."""

    text: str
    removed: tuple[str, ...]  # "quote", "forward", "signature", "disclaimer", "cover_note"


@dataclass(frozen=True)
class _Boundary:
    start: int  # index of the first line of the header
    end: int  # index of the first line after it
    kind: str  # "quote" | "forward"


# --- reply and forward headers ------------------------------------------------------------------

_QUOTE_PREFIX = re.compile(r"^\s*(?:>\s?)*")
# The "X wrote:" line of every language mail-parser-reply knows (its "From:/Sent:" block rules are
# replaced by `_outlook_block`, which is stricter).
_LIBRARY_WROTE = [p["wrote_header"] for p in MAIL_LANGUAGES.values() if "wrote_header" in p]
_WROTE = re.compile(
    "|".join(
        [
            *_LIBRARY_WROTE,
            r"^(?:On|Le|El|Am|Em|Il|Op|Vào|В|في)\s.*\d.*"
            r"(?:wrote|a écrit|escribió|schrieb.*|escreveu|ha scritto|schreef|đã viết|"
            r"пишет|написал\(а\)|написала?|كتب.*)\s*[:：]$",
            r"^.*\d{4}\s*年.*(?:写道|寫道)\s*[:：]$",  # Chinese Gmail, address before or after
            r"^(?=.*\d).*<\s*[^<>\s]+@[^<>\s]+\s*>.*[:：]$",  # any language: date and address
            # Dutch: "Op 15 sep. 2025 om 10:00 heeft X het volgende geschreven:"
            r"^Op\s.*\d.*(?:het volgende geschreven|schreef.*het volgende)\s*[:：]$",
            # Russian: "15 сентября 2025 г., в 10:00, пользователь X написал:"
            r"^.*\d.*пользователь\s.*(?:написал\(а\)|написала?|пишет)\s*[:：]$",
            # "Name <address> wrote:" without a date
            r"^[^<>\s][^<>]{0,119}<\s*[^<>\s]+@[^<>\s]+\s*>\s*"
            r"(?:wrote|a écrit|escribió|schrieb|schreef|ha scritto|escreveu|написал\(а\)"
            r"|написала?|пишет|đã viết|写道|寫道|كتب)\s*[:：]$",
            # Gmail's ISO-dated form: "2016-03-03 17:21 GMT+01:00 Name:"
            r"^\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2}(?::\d{2})?\s*GMT[+-]\d{1,2}(?::?\d{2})?\s.{1,160}[:：]$",
        ]
    ),
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    GENERIC_MAIL_SEPARATOR
    # Zoho: "---- On Mon, 15 Sep 2025 10:00:00 +0700 Name <address> wrote ----"
    + r"|^-{2,}\s*(?:On|Le|El|Am|Em|Il|Op|Vào|В)\s.*\d.*(?:wrote|a écrit|escribió|schrieb"
    r"|escreveu|ha scritto|schreef|đã viết|написал\(а\)|написала?|пишет)\s*-{2,}$"
    r"|^-{2,}\s*(?:Original Message|Message d'origine|Mensaje original|Ursprüngliche Nachricht"
    r"|Messaggio originale|Mensagem original|Thư gốc|Исходное сообщение|الرسالة الأصلية)\s*-{2,}$",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^-{2,}\s*(?:Forwarded message|Forwarded Message|Message transféré|Mensaje reenviado"
    r"|Weitergeleitete Nachricht|Mensagem encaminhada|Messaggio inoltrato|Thư đã chuyển tiếp"
    r"|Thư chuyển tiếp|Пересылаемое сообщение|رسالة مُعاد توجيهها|转发的邮件)\s*-{2,}$"
    r"|^(?:Begin forwarded message|Début du message réexpédié|Inicio del mensaje reenviado"
    r"|Anfang der weitergeleiteten Nachricht)\s*:$",
    re.IGNORECASE,
)
_FROM = r"from|de|von|từ|от|da|van|från|fra|od|发件人|寄件者|差出人|من"
_SENT = (
    r"sent|date|envoyé|enviado|fecha|gesendet|datum|đã gửi|ngày gửi|ngày|gửi lúc|отправлено|дата"
    r"|inviato|data|verzonden|skickat|sendt|发送时间|日期|送信日時|التاريخ|أرسل"
)
_TO = r"to|à|a|para|an|đến|gửi tới|кому|aan|till|til|收件人|宛先|إلى"
_SUBJECT = (
    r"subject|objet|asunto|betreff|chủ đề|tiêu đề|тема|oggetto|assunto|onderwerp|ämne|emne"
    r"|主题|主旨|件名|الموضوع"
)
_CC = r"cc|bcc|kopie|копия|抄送|نسخة"


def _label(names: str) -> re.Pattern[str]:
    return re.compile(rf"^[*\s]*(?:{names})[*\s]*[:：]", re.IGNORECASE)


_FROM_LINE, _SENT_LINE, _TO_LINE = _label(_FROM), _label(_SENT), _label(_TO)
_SUBJECT_LINE, _CC_LINE = _label(_SUBJECT), _label(_CC)
_FORWARD_SUBJECT = re.compile(
    rf"^[*\s]*(?:{_SUBJECT})[*\s]*[:：]\s*(?:fwd?|tr|rv|wg|enc|i|pd|доб|转发|chuyển tiếp)\s*[:：]",
    re.IGNORECASE,
)
_DATED = re.compile(r"[\d@]")  # a reply header names a date or an address


def _unquoted(line: str) -> str:
    return _QUOTE_PREFIX.sub("", line, count=1).strip()


def _outlook_block(lines: list[str], i: int) -> int | None:
    """End of a "From: … Sent: … To: … Subject: …" block starting at line ``i``, else None.

    It takes a From line and at least two more header lines among the next few, one of them a
    date or subject: a single "From:" or a sentence starting "From 2024 we…" is not a header.
    """
    if not _FROM_LINE.match(_unquoted(lines[i])):
        return None
    seen: set[str] = set()
    end = i + 1
    for j in range(i + 1, min(len(lines), i + 9)):
        line = _unquoted(lines[j])
        if not line:
            continue
        kind = next(
            (
                name
                for name, pattern in (
                    ("sent", _SENT_LINE),
                    ("subject", _SUBJECT_LINE),
                    ("to", _TO_LINE),
                    ("cc", _CC_LINE),
                )
                if pattern.match(line)
            ),
            None,
        )
        if kind is None:
            break
        seen.add(kind)
        end = j + 1
    if len(seen) >= 2 and seen & {"sent", "subject"}:
        limit = min(len(lines), end + 5)  # wrapped recipient lists run on to the blank line
        while end < limit and lines[end].strip():
            end += 1
        return end
    return None


def _is_forward_block(lines: list[str]) -> bool:
    return any(_FORWARD_SUBJECT.match(_unquoted(line)) for line in lines)


def _next_boundary(lines: list[str], start: int) -> _Boundary | None:
    """The first reply or forward header at or after line ``start``."""
    for i in range(start, len(lines)):
        line = _unquoted(lines[i])
        if not line:
            continue
        if _FORWARD.match(line):
            return _Boundary(i, _header_end(lines, i + 1), "forward")
        block_end = _header_end(lines, i + 1) if _ORIGINAL.match(line) else _outlook_block(lines, i)
        if block_end is not None:
            kind = "forward" if _is_forward_block(lines[i:block_end]) else "quote"
            return _Boundary(i, block_end, kind)
        if not line.endswith((":", "：")):
            continue  # an "On … wrote:" header ends with its colon on this line
        for first in range(i, max(start, i - 2) - 1, -1):  # clients wrap long "On … wrote:"
            joined = " ".join(_unquoted(x) for x in lines[first : i + 1])
            if len(joined) > _MAX_HEADER_CHARS:  # headers are short; long lines would backtrack
                break
            if joined.endswith((":", "：")) and _WROTE.match(joined) and _DATED.search(joined):
                return _Boundary(first, i + 1, "quote")
    return None


def _header_end(lines: list[str], i: int) -> int:
    """After a forward marker: skip blank lines, then a header block up to its blank line."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and _is_header_line(_unquoted(lines[i])):
        while i < len(lines) and lines[i].strip():
            i += 1
    return i


def _is_header_line(line: str) -> bool:
    patterns = (_FROM_LINE, _SENT_LINE, _TO_LINE, _SUBJECT_LINE, _CC_LINE)
    return any(pattern.match(line) for pattern in patterns)


# --- signatures and disclaimers -----------------------------------------------------------------

_CLOSINGS = (
    r"best regards|kind regards|warm regards|warmest regards|regards|best wishes|all the best|best"
    r"|cheers|sincerely|yours sincerely|sincerely yours|yours faithfully|yours truly|respectfully"
    r"|thanks|thank you|many thanks|thanks and regards|thanks & regards|with thanks"
    r"|with best regards|thanks and best regards|many thanks and best regards"
    r"|best regards and thanks"
    r"|cordialement|bien cordialement|très cordialement|bien à vous|merci d'avance|merci d’avance"
    r"|salutations|sincères salutations"
    r"|meilleures salutations|amicalement|respectueusement|merci|merci beaucoup"
    r"|saludos|saludos cordiales|un saludo|un cordial saludo|un saludo cordial|atentamente"
    r"|cordialmente|gracias|muchas gracias y saludos"
    r"|muchas gracias|afectuosamente|mit freundlichen grüßen|mit freundlichen grüssen|mfg"
    r"|freundliche grüße|viele grüße|beste grüße|liebe grüße|herzliche grüße|grüße|danke"
    r"|met vriendelijke groet|met vriendelijke groeten|vriendelijke groet|hartelijke groet"
    r"|cordiali saluti|distinti saluti|un cordiale saluto|saluti|grazie"
    r"|atenciosamente|cumprimentos|com os melhores cumprimentos|abraços|obrigado|obrigada"
    r"|trân trọng|trân trọng cảm ơn|xin trân trọng cảm ơn|thân ái|kính thư|kính chào|thân mến"
    r"|xin cảm ơn|cảm ơn|chân thành cảm ơn|xin chân thành cảm ơn|trân trọng kính chào"
    r"|с уважением|с наилучшими пожеланиями|спасибо|с уважением и наилучшими пожеланиями"
    r"|此致|此致敬礼|敬礼|谢谢|祝好|顺祝商祺|顺颂商祺|顺颂时祺"
    r"|مع التحية|مع خالص التحية|مع أطيب التحيات|تحياتي|شكرا|وشكرا|مع خالص الشكر"
    r"|وتفضلوا بقبول فائق الاحترام|وتفضلوا بقبول فائق الاحترام والتقدير"
)
_CLOSING = re.compile(rf"^(?:{_CLOSINGS})\s*[,.!،，。！]?\s*$", re.IGNORECASE)
_CLOSING_WITH_NAME = re.compile(
    rf"^(?:{_CLOSINGS})\s*[,،，]\s*(?P<name>[^\W\d_][^:]{{0,40}})$", re.I
)
_SENT_FROM = re.compile(
    r"^(?:Sent from my|Sent from Outlook|Sent from Mail for|Sent from Yahoo|Get Outlook for"
    r"|Envoyé de mon|Envoyé depuis|Enviado desde mi|Enviado desde Outlook|Von meinem .* gesendet"
    r"|Gesendet von|Được gửi từ|Gửi từ (?:iPhone|điện thoại|thiết bị)|Отправлено с"
    r"|Inviato da|发自我的|从我的)",
    re.IGNORECASE,
)
_DISCLAIMER = re.compile(
    r"^[*\[(\s]*(?:(?:avertissement|avis|attention|important|disclaimer|notice|aviso|advertencia"
    r"|hinweis|lưu ý|chú ý|miễn trừ trách nhiệm)\s*[:：-]\s*)?(?:"
    r"(?:this|the) (?:e-?mail|message|communication|electronic mail)\b.{0,80}"
    r"\b(?:is|are|may be|may contain|contains?)\b.{0,40}\b(?:confidential|privileged)"
    r"|the information (?:contained )?in this (?:e-?mail|message|communication)"
    r"|confidentiality notice|confidentiality note|disclaimer\s*:|legal disclaimer"
    r"|if you (?:are not the intended recipient|have received this (?:e-?mail|message) in error)"
    r"|(?:ce|le présent) (?:message|courriel|e-?mail|mail)\b.{0,80}"
    r"\b(?:est|sont|peut contenir)\b.{0,40}confidenti"
    r"|avis de confidentialité|avertissement de confidentialité|clause de confidentialité"
    r"|si vous n['’]êtes pas (?:le|la) destinataire"
    r"|este (?:mensaje|correo)\b.{0,80}\b(?:es|son|contiene|puede contener)\b.{0,40}"
    r"(?:confidencial|privilegiad)"
    r"|aviso de confidencialidad|aviso legal|si (?:usted )?no es el destinatario"
    r"|diese (?:e-?mail|nachricht)\b.{0,80}vertraulich|vertraulichkeitshinweis"
    r"|(?:thư|email|e-mail|thư điện tử) (?:này|nay)\b.{0,80}\b(?:bảo mật|mật)"
    r"|thông báo bảo mật|lưu ý bảo mật|tuyên bố miễn trừ"
    r"|nếu (?:bạn|quý vị|anh/chị) không phải là người nhận"
    r"|это (?:сообщение|письмо)\b.{0,80}конфиденциальн"
    r")",
    re.IGNORECASE,
)
_BANNER = re.compile(
    r"^[*\[(\s]*(?:caution|warning|external(?: email)?|attention)\s*[:!\]]"
    r".{0,200}\b(?:outside|external|externe|externo)\b",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^[_\-=*~]{5,}$")


def _strip_disclaimer(lines: list[str], removed: list[str]) -> list[str]:
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if lines and _BANNER.match(lines[first]):  # "CAUTION: external sender" at the top
        end = first
        while end < len(lines) and lines[end].strip():
            end += 1
        lines = lines[end:]
        removed.append("disclaimer")
    content_seen = False  # some text before the current paragraph
    paragraph = 0
    for i, line in enumerate(lines):
        if not line.strip():
            content_seen = content_seen or paragraph < i
            paragraph = i + 1
        elif (content_seen or i > paragraph) and _DISCLAIMER.match(line):
            removed.append("disclaimer")  # from its paragraph on, or its line if the first one
            return lines[: paragraph if content_seen else i]
    return lines


def _is_name_block(lines: list[str], start: int) -> bool:
    """A short block from ``start`` on: a name, a title, an address, a phone number."""
    filled = 0
    for line in (line.strip() for line in lines[start : start + 4 * _MAX_SIGNATURE_LINES]):
        if not line:
            continue
        filled += 1
        if filled > _MAX_SIGNATURE_LINES or len(line.split()) > 12 or len(line) > 100:
            return False
        if _is_sentence(line):
            return False
    return start + 4 * _MAX_SIGNATURE_LINES >= len(lines) or not any(
        line.strip() for line in lines[start + 4 * _MAX_SIGNATURE_LINES :]
    )


def _is_sentence(line: str) -> bool:
    """Prose, not a signature line: several words ending like a sentence."""
    return len(line.split()) > 5 and line[-1] in ".!?。"


def _is_name(name: str) -> bool:
    words = name.split()
    return 0 < len(words) <= 4 and all(w[0].isupper() or not w[0].isascii() for w in words)


def _strip_signature(lines: list[str], removed: list[str]) -> list[str]:
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        named = _CLOSING_WITH_NAME.match(line) if i else None
        if (
            (raw.rstrip() == "--" and len(lines) - i <= 16 and _is_name_block(lines, i + 1))
            or (_SENT_FROM.match(line) and len(line.split()) <= 10)
            or (i and _CLOSING.match(line) and _is_name_block(lines, i + 1))
            or (named and _is_name(named.group("name")) and _is_name_block(lines, i + 1))
        ):
            removed.append("signature")
            return lines[:i]
    return lines


# --- putting it together ------------------------------------------------------------------------


def _trim(lines: list[str]) -> list[str]:
    """Without blank lines at either end or separator lines ("_____") at the end."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or _SEPARATOR.match(lines[end - 1].strip())):
        end -= 1
    start = 0
    while start < end and not lines[start].strip():
        start += 1
    return lines[start:end]


def _own_part(lines: list[str], removed: list[str]) -> tuple[list[str], _Boundary | None]:
    """Lines before the first reply/forward header, skipping ``>`` quotes placed above a reply."""
    kept: list[str] = []
    i = 0
    while True:
        boundary = _next_boundary(lines, i)
        if boundary is None:
            kept += lines[i:]
            break
        kept += lines[i : boundary.start]
        j = boundary.end
        while j < len(lines) and not lines[j].strip():
            j += 1
        if boundary.kind == "quote" and j < len(lines) and lines[j].lstrip().startswith(">"):
            removed.append("quote")  # bottom-posting: the reply follows the quoted block
            while j < len(lines) and (lines[j].lstrip().startswith(">") or not lines[j].strip()):
                j += 1
            i = j
            continue
        return _without_quote_lines(kept, removed, force=False), boundary
    return _without_quote_lines(kept, removed, force=False), None


def _without_quote_lines(lines: list[str], removed: list[str], *, force: bool) -> list[str]:
    """Drop ``>`` lines when they form a quotation (two or more), not a lone "> 300 readers"."""
    quoted = [line for line in lines if line.lstrip().startswith(">")]
    if len(quoted) >= 2 or (quoted and (force or "quote" in removed)):
        removed.append("quote")
        return [line for line in lines if not line.lstrip().startswith(">")]
    return lines


def _clean(lines: list[str], removed: list[str]) -> list[str]:
    lines = _trim(_strip_disclaimer(_trim(lines), removed))
    return _trim(_strip_disclaimer(_strip_signature(lines, removed), removed))


def strip_reply(text: str) -> Stripped:
    """What the member wrote in ``text``: see the module docstring for what is removed."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    removed: list[str] = []
    own: list[str] = []
    for depth in range(_MAX_FORWARD_DEPTH + 1):
        own, boundary = _own_part(lines, removed)
        own = _clean(own, removed)
        if boundary is None:
            break
        removed.append(boundary.kind)
        words = sum(len(line.split()) for line in own)
        if boundary.kind != "forward" or words > COVER_NOTE_WORDS or depth == _MAX_FORWARD_DEPTH:
            break
        if own:
            removed.append("cover_note")
        lines = lines[boundary.end :]  # the forwarded message is what the member sent
    return Stripped("\n".join(own), tuple(dict.fromkeys(removed)))
