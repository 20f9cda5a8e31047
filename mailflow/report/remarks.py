"""What a member says to the coordinator rather than to IFLA, found so that the report leaves it
out: greetings, sign-offs, postscripts and private remarks, in seven languages.

- `closing_cut` ends a text at its first closing line ("Best regards,", "Saludos cordiales",
  "С уважением", "此致") or postscript line ("P.S.", "PS:", "P.-S.", "P.D.:", "Tái bút:", "附言："),
  which go with all that follows;
- `without_greeting` drops a free text's opening: a first paragraph that opens with a greeting
  (unless it names a link or an action line: then only its greeting and private sentences go), a
  first line that is only a greeting, or the salutation that starts the first sentence
  ("Dear coordinator, …");
- `without_private_remarks` drops the sentences and the bracketed asides that are clearly meant
  for the coordinator:
  * **marked private** — they open with "Entre nous", "Between you and me", "Off the record",
    "Note for the coordinator", "Please don't publish…", "Не для публикации", "请勿公开", "بيني
    وبينك", "Nói riêng"…, or are a postscript; these go whatever they say;
  * **about the mail itself** — "I am sending this from my personal address…", "Sorry for the
    delay", "Please confirm receipt", "My mobile number is…", "Le envío…", "Надеюсь, это…",
    "不好意思…", "أعتذر…", "Xin lỗi…"; these go only when they hold no link and no action line,
    and are short (a long sentence that opens so usually goes on to say something IFLA wants).

Conservative on purpose: a phrase counts only where it opens a sentence (or an aside in brackets)
— "a campaign kept confidential until launch" stays — and anything not recognised stays. This
module does not find labelled fields (`mailflow.reading.sections`) or decide what the report
shows (`mailflow.report.content`, `mailflow.report.build`). Pure; never raises.
"""

from __future__ import annotations

import re
from typing import Any

from mailflow.reading.action_lines import find_action_lines
from mailflow.reading.links import URL
from mailflow.reading.words import count_words

__all__ = ["closing_cut", "may_hold_remarks", "without_greeting", "without_private_remarks"]

_CLOSINGS = (
    "best regards|kind regards|warm regards|with best regards|with kind regards|regards"
    "|best wishes|all the best|sincerely|yours sincerely|yours faithfully|yours truly"
    "|many thanks|thank you|thanks|cheers"
    "|cordialement|bien cordialement|bien à vous|salutations|sincères salutations"
    "|meilleures salutations|avec mes salutations|merci|merci beaucoup|je vous prie d'agréer.*"
    "|saludos|saludos cordiales|un saludo|un cordial saludo|atentamente|cordialmente"
    "|gracias|muchas gracias|reciban un cordial saludo"
    "|trân trọng|trân trọng cảm ơn|xin trân trọng cảm ơn|xin cảm ơn|cảm ơn|kính thư|thân ái"
    "|مع أطيب التحيات|مع خالص التحية|مع خالص التحيات|مع التحية|مع الشكر|مع الشكر والتقدير"
    "|وتفضلوا بقبول فائق الاحترام|شكرا|شكراً|تحياتي|مع التقدير"
    "|此致|此致敬礼|此致 敬礼|敬礼|谢谢|謝謝|顺祝商祺|順祝商祺|祝好"
    "|с уважением|с наилучшими пожеланиями|всего доброго|всего наилучшего|спасибо|искренне ваш"
)
# A closing line: the phrase, punctuation, and at most a name after it ("Saludos, Ana").
_CLOSING_LINE = re.compile(
    rf"^[\s>*_\-–—]*(?:{_CLOSINGS})[\s,.!:;，。！、]*(?:[^\W\d_][\w.\-]*(?:\s+[\w.\-]+){{0,3}})?"
    r"[\s,.!]*$",
    re.IGNORECASE,
)
# A postscript: "P.S." or "P.P.S." followed by anything; the other marks ("PS", "N.B.", "P.D."
# in Spanish, "Т.Б."/"T.B." for tái bút, 附言, 又及, حاشية) only with a colon or a dash, since
# without one they may start a sentence ("T.B. screening", "PS 122").
_POSTSCRIPT_MARK = (
    r"(?:p\.\s?(?:p\.\s?)?s\.|p\.-s\.)(?:\s*[:\-–—]|\s|$)"
    r"|(?:p\.?\s?(?:p\.?\s?)?s\.?|n\.?\s?b\.?|p\.?\s?d\.?|posdata|post-?scriptum|постскриптум"
    r"|п\.?\s?с\.?|t\.?\s?b\.?|tái\s+bút|حاشية)\s*[:：\-–—]"
    r"|(?:附言|又及|再启|附注)\s*[:：]?"
)
_POSTSCRIPT = re.compile(rf"^\s*(?:{_POSTSCRIPT_MARK})", re.IGNORECASE)
_GREETINGS = (
    "dear|hello|hi|good morning|good afternoon|greetings|to whom it may concern"
    "|cher|chère|chers|chères|bonjour|madame|monsieur|mesdames"
    "|estimado|estimada|estimados|estimadas|querido|querida|queridos|hola|buenos días"
    "|buenas tardes|señor|señora"
    "|kính gửi|kính chào|xin chào|chào"
    "|عزيزي|عزيزتي|الزملاء الأعزاء|السلام عليكم|تحية طيبة|مرحبا|السيد|السيدة"
    "|尊敬的|您好|你好|各位"
    "|уважаемый|уважаемая|уважаемые|здравствуйте|добрый день|дорогие|дорогой|дорогая"
)
_GREETING = re.compile(rf"^\s*(?:{_GREETINGS})(?:\b|(?=\W)|$)", re.IGNORECASE)
# A salutation that opens the first sentence: an unmistakable greeting, at most five words (or
# twelve characters of Chinese) and the comma, colon or exclamation mark that ends it.
_SALUTATION = re.compile(
    r"^\s*(?:dear|hello|hi|good morning|good afternoon|greetings"
    r"|cher|chère|chers|chères|bonjour"
    r"|estimad[oa]s?|querid[oa]s?|hola|buenos días|buenas tardes"
    r"|kính gửi|kính chào|xin chào"
    r"|عزيزي|عزيزتي|الزملاء الأعزاء|السلام عليكم|تحية طيبة|مرحبا"
    r"|уважаем(?:ый|ая|ые)|здравствуйте|добрый день|дорог(?:ие|ой|ая))"
    r"(?:[ \t]+[^\s,:!，：！]+){0,5}[ \t]*[,:!،][ \t]*"
    r"|^\s*(?:尊敬的|亲爱的)[^\s,:!，：！。]{0,12}[,:!，：！]\s*"
    r"|^\s*(?:您好|你好|大家好)[,:!，：！。]?\s*",
    re.IGNORECASE,
)

_APOSTROPHE = "['’]"
# Sentences and asides marked private: they go whatever they say.
_PRIVATE = (
    # English
    r"(?:a\s+)?(?:private|personal|internal|side)\s+note\b"
    r"|note\s+(?:for|to)\s+(?:the|our|you,?\s+the)?\s*coordinator"
    r"|(?:only\s+)?for\s+(?:the\s+)?coordinator\b|for\s+your\s+(?:eyes|information)\s+only"
    r"|(?:just\s+|strictly\s+)?between\s+(?:us|you\s+and\s+me|ourselves)\b|off\s+the\s+record"
    r"|in\s+confidence\b|confidentially\b|(?:strictly\s+)?(?:private|confidential)\s*[:\-–—]"
    r"|not\s+for\s+(?:publication|the\s+report|ifla|the\s+public)"
    rf"|(?:please\s*,?\s*)?(?:do\s+not|don{_APOSTROPHE}?t|never)\s+"
    r"(?:publish|share|forward|circulate|quote|include|mention|print|disclose|pass\s+on)\b"
    # French
    r"|entre\s+nous\b|entre\s+vous\s+et\s+moi|confidentiellement|en\s+toute\s+confidentialité"
    r"|(?:note|remarque|mot)\s+(?:pour|à\s+l['’]attention\s+d[eu']|à\s+l['’]intention\s+d[eu'])"
    r"\s*(?:la\s+|le\s+)?coordinat(?:eur|rice)"
    r"|(?:pour|à)\s+(?:la|le)\s+coordinat(?:eur|rice)\s+(?:uniquement|seulement)"
    r"|à\s+titre\s+(?:personnel|confidentiel|privé)|pas\s+pour\s+(?:publication|le\s+rapport)"
    r"|(?:merci\s+de\s+|prière\s+de\s+|veuillez\s+)?ne\s+pas\s+"
    r"(?:publier|diffuser|transmettre|partager|mentionner|citer|inclure)"
    r"|(?:s['’]il\s+vous\s+plaît\s*,?\s*|svp\s*,?\s*)?ne\s+(?:le\s+|la\s+|les\s+)?"
    r"(?:publiez|diffusez|transmettez|partagez|mentionnez|citez)\s+pas"
    # Spanish
    r"|entre\s+(?:nosotros|nosotras|tú\s+y\s+yo|usted\s+y\s+yo)|en\s+confianza"
    r"|confidencialmente|de\s+manera\s+confidencial"
    r"|nota\s+(?:para|a)\s+(?:el\s+|la\s+)?coordinador(?:a)?|nota\s+al\s+coordinador"
    r"|(?:sólo|solo|únicamente)\s+para\s+(?:el\s+|la\s+)?coordinador(?:a)?"
    r"|(?:por\s+favor\s*,?\s*)?no\s+(?:lo\s+|la\s+|los\s+|las\s+)?"
    r"(?:publique|publiquen|publicar|difunda|difundan|difundir|comparta|compartan|compartir"
    r"|reenvíe|reenvíen|reenviar|incluya|incluyan|incluir|mencione|mencionen)\b"
    r"|no\s+(?:es\s+)?para\s+(?:publicación|publicar|el\s+informe)"
    # Russian
    r"|(?:примечание|заметка|пометка|записка)\s+для\s+координатора|только\s+для\s+координатора"
    r"|(?:строго\s+)?между\s+нами|конфиденциально|лично\s+для\s+вас"
    r"|не\s+для\s+(?:публикации|печати|отч[её]та|распространения)"
    r"|(?:пожалуйста\s*,?\s*)?не\s+(?:публикуйте|публиковать|распространяйте|распространять"
    r"|пересылайте|пересылать|включайте|включать|указывайте|указывать|упоминайте|упоминать)"
    # Chinese
    r"|(?:给|致)协调(?:人|员)的?(?:说明|备注|话|留言)?|(?:仅|只)供(?:您|你|协调人|协调员)"
    r"|私下(?:说|讲|告诉您)?|(?:这|此)(?:话|事)?(?:只是)?(?:咱们|我们)之间"
    r"|请(?:勿|不要|别)(?:公开|发布|公布|外传|转发|刊登|引用|写入)|不(?:宜|便|要)(?:公开|发布|公布)"
    # Arabic
    r"|ملاحظة\s+(?:للمنسق|للمنسقة|إلى\s+المنسق)|(?:للمنسق|للمنسقة)\s+فقط"
    r"|بيني\s+وبينك(?:م)?|بيننا|بشكل\s+سري|بسرية|سري\s+للغاية"
    r"|(?:يرجى|الرجاء|أرجو|نرجو)\s+عدم\s+(?:نشر|النشر|مشاركة|إعادة\s+إرسال|تضمين|ذكر)"
    r"|لا\s+(?:تنشروا|تنشر|تنشري)|(?:ليس|غير\s+مخصص)\s+للنشر"
    # Vietnamese
    r"|(?:ghi\s+chú|lưu\s+ý)\s+(?:cho|gửi)\s+(?:điều\s+phối\s+viên|người\s+điều\s+phối)"
    r"|(?:nói\s+)?riêng\s+(?:với\s+(?:anh|chị|bạn)|giữa\s+chúng\s+ta)|giữa\s+chúng\s+ta"
    r"|chỉ\s+(?:để|dành\s+cho)\s+(?:anh|chị|bạn|điều\s+phối\s+viên)"
    r"|(?:xin\s+|vui\s+lòng\s+|xin\s+vui\s+lòng\s+|làm\s+ơn\s+)?(?:đừng|không)\s+"
    r"(?:công\s+bố|đăng|chia\s+sẻ|chuyển\s+tiếp|đưa\s+vào|nêu)"
    r"|không\s+(?:để|dùng\s+để)\s+công\s+bố"
)
# Sentences about the mail itself: they go only when short and without a link or an action line.
_ABOUT_THE_MAIL = (
    # English
    r"(?:i\s+am|i['’]m|we\s+are|we['’]re)\s+(?:sending|writing)\b|i\s+(?:send|write)\s+(?:this|you)"
    r"|(?:sorry|apologies|my\s+apologies|i\s+apologi[sz]e|please\s+excuse)\b"
    r"|(?:i|we)\s+hope\s+(?:this|it|that\s+this|that\s+it)\s+(?:is|helps|arrives|works|will|finds)"
    r"|hope\s+this\s+(?:helps|is|works)"
    r"|(?:please\s+)?let\s+(?:me|us)\s+know\s+(?:if|whether|when)"
    r"|(?:please\s+|kindly\s+)?(?:confirm|acknowledge)\s+(?:receipt|that\s+you)"
    r"|please\s+find\s+(?:below|attached|enclosed|herewith)"
    rf"|(?:please\s+)?(?:feel\s+free|do\s+not\s+hesitate|don{_APOSTROPHE}?t\s+hesitate)\s+to\b"
    r"|(?:you\s+can|you\s+may)\s+(?:reach|call|contact|phone)\s+me"
    r"|my\s+(?:personal\s+|private\s+|work\s+|home\s+)?(?:mobile|cell|phone|telephone)"
    r"|(?:thank\s+you|thanks)\s+(?:for|again|in\s+advance)"
    # French
    r"|je\s+vous\s+(?:envoie|adresse|transmets|écris)|j['’](?:envoie|écris)"
    r"|(?:désolée?|pardon|excusez|veuillez\s+excuser|toutes\s+mes\s+excuses|je\s+m['’]excuse)"
    r"|j['’]espère\s+que\s+(?:cela|ce|ceci|ça|le\s+texte)|n['’]hésitez\s+pas"
    r"|(?:merci\s+de\s+|veuillez\s+)?(?:me\s+)?(?:confirmer|accuser)\s+(?:la\s+)?réception"
    r"|vous\s+trouverez\s+ci-(?:dessous|joint|après)"
    r"|mon\s+(?:numéro|portable|téléphone|adresse\s+personnelle)"
    r"|(?:merci|je\s+vous\s+remercie)\s+(?:de\s+|pour\s+|d['’])"
    # Spanish
    r"|(?:le|les|te)\s+(?:envío|escribo|mando|remito|hago\s+llegar)"
    r"|(?:siento|disculpe|disculpen|disculpa|perdón|perdone|lamento|pido\s+disculpas)\b"
    r"|espero\s+que\s+(?:esto|este|le|les|sea|todo)|no\s+(?:dude|duden)\s+en"
    r"|(?:por\s+favor\s*,?\s*)?(?:confirme|confirmen|acuse|acusen)\s+(?:de\s+)?(?:recibo|la\s+recepción)"
    r"|mi\s+(?:número|teléfono|celular|móvil|correo\s+personal)"
    r"|(?:muchas\s+)?gracias\s+(?:por|de\s+antemano)"
    # Russian
    r"|(?:я\s+)?(?:отправляю|посылаю|пишу)\s+(?:вам|это|с\s|со\s)"
    r"|(?:извините|простите|прошу\s+прощения|приношу\s+(?:свои\s+)?извинения)"
    r"|надеюсь\s*,?\s*(?:что\s+)?(?:это|всё|все|текст)"
    r"|(?:пожалуйста\s*,?\s*)?(?:подтвердите|сообщите\s+о)\s+получени"
    r"|не\s+стесняйтесь|мой\s+(?:номер|телефон|мобильный|личный)"
    r"|(?:спасибо|благодарю)\s+(?:за|заранее)"
    # Chinese
    r"|我(?:是)?(?:从|用)(?:我的)?(?:私人|个人)|(?:抱歉|不好意思|对不起|很抱歉|非常抱歉)"
    r"|希望(?:这|此|以上)(?:份|篇|封)?(?:材料|内容|邮件|文字)?(?:能|可以|对您)"
    r"|(?:请|烦请)(?:您)?(?:确认|查收)|如有(?:任何)?(?:问题|疑问)|我的(?:电话|手机|号码|私人)"
    # Arabic
    r"|(?:أرسل|أبعث|أكتب)\s+(?:إليكم|لكم|إليك|لك|هذا|هذه)"
    r"|(?:أعتذر|عذرا|عذراً|آسف|آسفة|نعتذر)|(?:آمل|أرجو)\s+أن\s+(?:يكون|تكون|يفي|تصل|يصل)"
    r"|(?:يرجى|الرجاء)\s+تأكيد\s+(?:الاستلام|استلام)|لا\s+(?:تترددوا|تتردد)"
    r"|رقم\s+(?:هاتفي|جوالي)|(?:شكرا|شكراً)\s+(?:لكم|لك|على)"
    # Vietnamese
    r"|(?:tôi|em|mình)\s+(?:gửi|xin\s+gửi)\s+(?:email|thư|bài\s+này|cái\s+này|từ)"
    r"|(?:xin\s+lỗi|thành\s+thật\s+xin\s+lỗi|rất\s+tiếc\s+vì)"
    r"|(?:hy\s+vọng|mong\s+rằng|mong\s+là)\s+(?:bài|thư|email|nội\s+dung)\s+này"
    r"|(?:xin\s+|vui\s+lòng\s+)?(?:xác\s+nhận|báo)\s+(?:giúp\s+)?(?:đã\s+)?nhận"
    r"|(?:xin\s+)?đừng\s+ngần\s+ngại|số\s+điện\s+thoại\s+(?:của\s+tôi|của\s+em)"
    r"|(?:cảm\s+ơn|xin\s+cảm\s+ơn)\s+(?:anh|chị|bạn|điều\s+phối\s+viên)"
)
# What may stand before the phrase: bullets, quote marks, "and", "also", "but" in the languages.
_LEAD = (
    r"^[\s>*•·\-–—\"'“”«»„(]*"
    r"(?:(?:and|also|but|et|mais|aussi|y|pero|también|и|а|но|также|并且|另外|و|ولكن|và|nhưng|ngoài\s+ra)"
    r"\s*,?\s+)?"
)
# How every phrase above (and `_LEAD`'s conjunctions) begins: the first word of each, or its
# first two (joined by "_") where the first alone is a common word ("le_envío", "we_are"); for
# Chinese, the first two characters; "*" marks a beginning that may go on within its word. A
# text with none of these at the start of a sentence or after a bracket holds no remark, and
# one search in C tells most texts so: the report's fields of 10,000 contributions are checked
# in about 0.1 s, where trying every phrase at every sentence took a second. A phrase added
# above needs its beginning here.
_BEGINNINGS = """
    private personal internal side note only for just strictly between off in confidentially
    confidential not please do don never kindly i sorry apologies my hope let confirm
    acknowledge feel you thank thanks and also but
    a_private a_personal a_internal a_side we_are we_re we_hope
    entre confidentiellement remarque mot pour à pas merci prière veuillez ne s svp je j
    désolé* pardon excusez toutes n vous me confirmer accuser mon et mais aussi
    en_toute en_confianza
    sólo solo únicamente confidencialmente nota por_favor no siento disculp* perdón perdone lamento
    pido espero confirme* acuse* mi gracias y pero también
    le_envío le_escribo le_mando le_remito le_hago les_envío les_escribo les_mando les_remito
    les_hago te_envío te_escribo te_mando te_remito te_hago de_manera muchas_gracias
    примечание заметка пометка записка только строго между конфиденциально лично пожалуйста
    я отправляю посылаю пишу извините простите прошу приношу надеюсь подтвердите сообщите мой
    спасибо благодарю и а но также постскриптум п пс
    не_для не_публик* не_распростран* не_пересыл* не_включ* не_указыв* не_упомин* не_стесн*
    ملاحظة للمنسق للمنسقة بيني بيننا بشكل بسرية سري يرجى الرجاء أرجو نرجو لا ليس غير أرسل
    أبعث أكتب أعتذر عذرا آسف آسفة نعتذر آمل رقم شكرا و ولكن حاشية
    ghi lưu nói riêng giữa chỉ xin vui làm đừng không tôi em mình thành_thật rất hy mong xác báo
    số
    cảm và nhưng ngoài tái
    p pp ps pps pd nb t tb posdata post
    给协* 致协* 仅供* 只供* 私下* 这话* 这事* 这只* 这咱* 这我* 此话* 此事* 此只* 此咱* 此我* 请勿*
    请不* 请别* 请确* 请您* 请查* 不宜* 不便* 不要* 不好* 烦请* 我是* 我从* 我用* 我的* 抱歉* 对不*
    很抱* 非常* 希望* 如有* 附言* 又及* 再启* 附注* 并且* 另外*
"""


def _trie(phrases: list[str]) -> str:
    """One regex for many literal phrases, shared beginnings merged so each is tried once; a
    phrase ends at the end of a word unless it ends with "*"."""
    root: dict[str, Any] = {}
    for phrase in phrases:
        node = root
        for char in phrase.removesuffix("*"):
            node = node.setdefault(r"\s+" if char == "_" else re.escape(char), {})
        if not phrase.endswith("*"):  # a whole word: "p" begins "P.S.", not "Public"
            node = node.setdefault(r"(?![^\W\d_])", {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        branches = [atom + render(child) for atom, child in sorted(node.items()) if atom]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return f"(?:{'|'.join(branches)}){'?' if '' in node else ''}"

    return render(root)


_BEGINNING = _trie(_BEGINNINGS.split())
# Where a remark could open: the start of the text, or a sentence's end, a line break or a
# bracket (beginning the pattern with that class lets the engine skip the rest of the text in C).
# Spaces and marks between the two are bounded, so that no run of them is read more than once.
_MARKS = r"[^\S\n]*+[>*•·\-–—\"'“”«»„(（\[)）」』’]{0,4}[^\S\n]*+"
# Matched against the casefolded text: three times faster than ignoring case in the engine.
_AT_START = re.compile(rf"\s*+{_MARKS}(?:{_BEGINNING})")
_LATER = re.compile(rf"[.!?…؟。！？\n(（\[]{_MARKS}(?:{_BEGINNING})")


def may_hold_remarks(text: str) -> bool:
    """Whether a sentence or aside of ``text`` could be a private remark (if not, it is none)."""
    folded = text.casefold()
    return _AT_START.match(folded) is not None or _LATER.search(folded) is not None


_PRIVATE_OPENING = re.compile(rf"{_LEAD}(?:{_PRIVATE})", re.IGNORECASE)
_MAIL_OPENING = re.compile(rf"{_LEAD}(?:{_ABOUT_THE_MAIL})", re.IGNORECASE)
_POSTSCRIPT_OPENING = re.compile(rf"{_LEAD}(?:{_POSTSCRIPT_MARK})", re.IGNORECASE)
# An aside in brackets that opens with a private mark: "(note for the coordinator: …)".
_ASIDE = re.compile(
    rf"[(（\[]\s*(?:{_PRIVATE}|{_POSTSCRIPT_MARK})[^()（）\[\]]{{0,300}}[)）\]]",
    re.IGNORECASE,
)
# A sentence ends at . ! ? … (and their Arabic and CJK forms) followed by a space, or at CJK
# punctuation directly; a line that opens with a postscript mark starts a sentence too.
_SENTENCE_END = re.compile(
    r"(?<=[.!?…؟])[\"'”’»)]*\s+|(?<=[。！？])[”’」』）]*\s*|\n(?=[ \t]*(?:p\.|ps\b|附言|又及))",
    re.IGNORECASE,
)
# A dot after one of these does not end a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|dr|mr|mrs|ms|st|no|vs|cf|approx|p|pp|vol|ca|art|ch|fig|incl"
    r"|sr|sra|dra|ing|lic|prof|mme|mlle|м|г|гг|т\.е|т\.д|т\.п|др|ул|пр|ts|ths|pgs)"
    r"|\b[^\W\d_])\.$",
    re.IGNORECASE,
)
#: A sentence about the mail with more words than this goes on to say more: it stays.
MAIL_SENTENCE_WORDS = 40


def closing_cut(text: str) -> str:
    """``text`` up to its first closing line or postscript (which go, with all that follows)."""
    if not text:
        return text
    if len(text) > 60 and "\n" not in text:
        return text.strip()  # one long line is prose, whatever it starts with
    lines = text.split("\n")
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped and (_CLOSING_LINE.match(stripped) or _POSTSCRIPT.match(stripped)):
            return "\n".join(lines[:number]).strip()
    return text.strip()


def _substantive(text: str) -> bool:
    """Whether ``text`` names a link or an action line: then it is never dropped whole."""
    return URL.search(text) is not None or bool(find_action_lines(text))


def without_greeting(text: str) -> str:
    """A free text without its opening greeting (see the module docstring)."""
    text = text.strip()
    paragraphs = re.split(r"\n\s*\n", text, maxsplit=1)
    if len(paragraphs) == 2 and _GREETING.match(paragraphs[0]):
        if not _substantive(paragraphs[0]):
            return paragraphs[1].strip()
    else:
        first, _, rest = text.partition("\n")
        if _GREETING.match(first) and len(first) <= 60 and first.rstrip().endswith((",", ":", "!")):
            return rest.strip()
    salutation = _SALUTATION.match(text)
    if salutation is None or salutation.end() >= len(text):
        return text
    rest = text[salutation.end() :].lstrip()
    return rest[:1].upper() + rest[1:]


def _sentences(paragraph: str) -> list[str]:
    """``paragraph`` cut into sentences, each with the space that follows it."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        # The end of the sentence is enough to see an abbreviation, and keeps the search short.
        if _ABBREVIATION.search(paragraph[max(start, match.start() - 16) : match.start()]):
            continue
        pieces.append(paragraph[start : match.end()])
        start = match.end()
    if start < len(paragraph):
        pieces.append(paragraph[start:])
    return pieces


def _is_private(sentence: str) -> bool:
    if _PRIVATE_OPENING.match(sentence):
        return True
    if _MAIL_OPENING.match(sentence) is None or _substantive(sentence):
        return False
    return count_words(sentence) <= MAIL_SENTENCE_WORDS


def _paragraph_without_remarks(paragraph: str) -> str:
    kept: list[str] = []
    for sentence in _sentences(paragraph):
        if _POSTSCRIPT_OPENING.match(sentence):
            break  # a postscript runs to the end of its paragraph
        if not _is_private(sentence):
            kept.append(sentence)
    return "".join(kept).strip()


def _without_asides(text: str) -> str:
    """``text`` without its private asides in brackets and the spaces before each (with at most
    one line break, so that the sentence before meets its full stop)."""
    pieces: list[str] = []
    start = 0
    for match in _ASIDE.finditer(text):
        before = text[start : match.start()].rstrip(" \t")
        if before.endswith("\n") and not before[:-1].rstrip(" \t").endswith("\n"):
            before = before[:-1].rstrip(" \t")  # the aside's own line, not a paragraph break
        pieces.append(before)
        start = match.end()
    pieces.append(text[start:])
    return "".join(pieces)


def without_private_remarks(text: str) -> str:
    """``text`` without the sentences and bracketed asides meant for the coordinator (see the
    module docstring); paragraphs left empty go, the others keep their lines."""
    if not text.strip() or not may_hold_remarks(text):
        return text.strip()
    text = _without_asides(text)
    paragraphs = re.split(r"(\n\s*\n)", text.strip())
    kept: list[str] = []
    for paragraph in paragraphs[::2]:
        cleaned = _paragraph_without_remarks(paragraph)
        if cleaned:
            kept.append(cleaned)
    return "\n\n".join(kept)
