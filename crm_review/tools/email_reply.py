"""Reading a reviewer's email reply: the decision word, the reason, the comment, without quoted history.

Pure functions (no database): the mail gateway hands over the HTML body Odoo parsed, these return
what the reviewer wrote above the quoted email.
"""

import re
from typing import NamedTuple

import lxml.html
from lxml import etree

# Marks a decision taken by an email reply (context ``crm_review_by_email``): only the mail gateway's code
# holds this object, so no RPC call can claim a decision came by email.
DECIDED_BY_EMAIL = object()

# First word of the reply, compared without case and trailing punctuation.
APPROVE_WORDS = {"approve", "approved", "同意"}
REJECT_WORDS = {"reject", "rejected", "驳回"}

# A reply longer than this is not a decision typed on a phone: only its beginning is read.
MAX_REPLY_CHARS = 100000

BLOCK_TAGS = {"p", "div", "li", "tr", "pre", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section"}

# Where the quoted history or the signature starts: everything from that line on is left out.
CUT_LINE_PATTERNS = [
    re.compile(r"^-{2,}\s*(original message|forwarded message|原始邮件|转发邮件)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^_{8,}\s*$"),  # Outlook's line above the quoted header block
    re.compile(r"^(from|发件人|寄件者|de|von)\s*[:：]", re.IGNORECASE),  # a quoted header block
    re.compile(r"^on\b.*\bwrote\s*:\s*$", re.IGNORECASE),  # On Mon, 7 Dec 2026, Rita <rita@x> wrote:
    re.compile(r"^在.*写道\s*[:：]\s*$"),  # 在 2026年12月7日 周一，Rita <rita@x> 写道：
    re.compile(r"^--\s?$"),  # signature separator
]
# "On Mon, 7 Dec 2026 at 10:00, Rita Reviewer" / "<rita@example.com> wrote:" split over two lines.
WROTE_END = re.compile(r"\bwrote\s*:\s*$|写道\s*[:：]\s*$", re.IGNORECASE)
WROTE_START = re.compile(r"^(on\b|在)", re.IGNORECASE)


class ReplyCommand(NamedTuple):
    """What a reply asks: ``decision`` is "approve", "reject" or None (no decision word found)."""

    decision: str | None
    word: str  # the first word as written (to say which word was not understood)
    argument: str  # the rest of the first line (the rejection reason)
    comment: str  # the lines below the first one, quoted history left out


def html_to_text(html):
    """Plain text of an email body (HTML as Odoo stored it), quoted blocks (``<blockquote>``) left out."""
    if not html or not str(html).strip():
        return ""
    html = str(html)[:MAX_REPLY_CHARS]
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    for node in root.xpath("//blockquote | //*[@data-o-mail-quote] | //style | //script | //head"):
        if node.getparent() is not None:
            node.drop_tree()
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag == "br":
            node.tail = "\n" + (node.tail or "")
        elif node.tag in BLOCK_TAGS:
            node.text = "\n" + (node.text or "")
            node.tail = "\n" + (node.tail or "")
    text = root.text_content().replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def strip_quoted(text):
    """What the reviewer wrote: lines above the quoted history or the signature, "> " lines left out."""
    lines = (text or "")[:MAX_REPLY_CHARS].split("\n")
    kept = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if any(pattern.match(stripped) for pattern in CUT_LINE_PATTERNS):
            break
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if WROTE_START.match(stripped) and WROTE_END.search(following):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def parse_reply(text):
    """The decision, its reason and the comment of a reply's text (already without quoted history)."""
    lines = [line.strip() for line in (text or "").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    if not lines:
        return ReplyCommand(None, "", "", "")
    first, rest = lines[0], lines[1:]
    word, _sep, argument = first.partition(" ")
    # "同意，没问题" or "Reject: wrong data": the word ends at the first punctuation too.
    match = re.match(r"^([^\s,.;:!?，。；：！？、]+)[\s,.;:!?，。；：！？、]*(.*)$", first)
    if match:
        word, argument = match.group(1), match.group(2)
    key = word.casefold()
    decision = "approve" if key in APPROVE_WORDS else "reject" if key in REJECT_WORDS else None
    if decision is None:
        # Chinese needs no space after the word: "驳回资料不全".
        for cjk_word, cjk_decision in (("同意", "approve"), ("驳回", "reject")):
            if word.startswith(cjk_word):
                decision, argument = cjk_decision, f"{word[len(cjk_word) :]} {argument}"
                word = cjk_word
                break
    comment = "\n".join(rest).strip()
    return ReplyCommand(decision, word, argument.strip(), comment)
