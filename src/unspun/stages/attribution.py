"""Attributions over a dependency parse: who (source) says, thinks or shows (cue) what (content).

Direct and indirect speech alike: "“We are calling on Serbia…,” Kirby said", "Vučić said that
the number had fallen", "according to the ministry, …".  A cue is a verb of saying, thinking,
showing or wanting (the lists below, grouped by sense) or the phrase "according to"; its
source is the verb's subject (or, for a verb that continues a clause — "…, adding that" —
the subject of the verb it continues); its content is the clausal complement, the quotation
next to it, or the clause "according to" qualifies.

Spans are character offsets into the text that was parsed.  The core takes an already parsed
spaCy ``Doc`` so callers decide what to parse and when; ``unspun eval facts`` scores it on
PolNeAR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CUE_LEMMAS", "Attribution", "find_attributions"]

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Attribution:
    source: Span | None
    cue: Span
    content: Span | None
    source_head: Span | None = None  # the subject's head word ("Kirby" in "White House spokesman John Kirby")


# Verbs whose subject is the origin of what follows.  Grouped so that what is included can be
# argued: news attributes with saying verbs above all, then with reporting, believing,
# showing and wanting verbs (PolNeAR counts all of these as attribution).
_SAY = """say tell add state write note explain insist warn declare announce claim argue tweet post reply respond
    continue conclude stress emphasize emphasise acknowledge admit concede confirm deny suggest ask urge call
    describe recall predict promise pledge vow threaten complain question testify mention remark comment report
    reveal disclose indicate point charge accuse allege assert contend observe caution signal hint
    propose recommend demand order advise instruct brief inform tout boast praise criticize criticise slam blast
    attack denounce condemn decry dismiss reject blame defend endorse thank joke quip muse shout yell chant
    whisper cry ask inquire wonder estimate forecast project calculate cite quote read publish broadcast air
    advertise lobby pitch repeat reiterate echo counter retort rebut dispute challenge contradict
    clarify elaborate specify detail outline summarize summarise label brand dub term discuss talk speak
    offer name express refer assure answer apologize apologise mock applaud remember hope
    highlight lament rail react remind protest advocate document cheer congratulate identify chant
    accuse lecture preach plead vouch""".split()
# Verbs of perceiving and everyday thinking ("see", "know", "think", "feel", "expect", "like",
# "plan", "consider") are left out: in news they are mostly the writer's own voice or figures
# of speech, and on PolNeAR's tuning files fewer than a third of them were attributions.
_THINK = """believe hope fear worry doubt suspect assume guess imagine figure reckon realize realise recognize
    recognise agree disagree conclude decide judge regard prefer love hate oppose support favor favour back
    wish intend seek aim refuse decline""".split()
_SHOW = """show find suggest indicate reveal demonstrate conclude estimate project""".split()
CUE_LEMMAS: frozenset[str] = frozenset(_SAY + _THINK + _SHOW)
_THINK_ONLY = frozenset(_THINK) - frozenset(_SAY) - frozenset(_SHOW)

# Nouns that carry an attribution when someone owns them: "Pence's call for", "his comments on",
# "Clinton's claim that".
_NOUN_CUES = frozenset("""call calls claim claims accusation accusations warning warnings pledge pledges
    promise promises argument arguments assertion suggestion demand demands denial admission request opposition
    refusal attack attacks insistence belief beliefs position vow threat threats announcement answer response
    testimony tweet tweets plea appeal praise defense defence support account allegation allegations prediction
    description""".split())
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj"})
_COMPLEMENTS = ("ccomp", "xcomp", "dobj", "parataxis", "prep")
# A verb continuing its clause's speaker: "…, adding that", "and said".
_CONTINUES = frozenset({"advcl", "conj", "xcomp", "pcomp"})
_QUOTE_CHARS = "\"“”«»'‘’"


def _span(tokens: list[Any]) -> Span | None:
    # Punctuation is trimmed, except quotation marks and a closing bracket whose opening one is
    # in the span ("Ministry of Defence (MoD)").
    toks = [t for t in tokens if not (t.is_punct and t.text not in _QUOTE_CHARS and t.text != ")")]
    while toks and toks[-1].text == ")" and not any(t.text == "(" for t in toks):
        toks.pop()
    if not toks:
        return None
    return toks[0].idx, toks[-1].idx + len(toks[-1].text)


def _subject_span(subj: Any) -> Span | None:
    """The subject as written, without a trailing relative clause or apposition in commas, and
    not reaching back over a line break (a dateline or a timestamp the parser joined to it)."""
    keep = [subj]
    for child in subj.children:
        if child.dep_ in ("relcl", "acl", "punct", "appos") and child.i > subj.i:
            continue
        keep.extend(child.subtree)
    keep.sort(key=lambda t: t.i)
    lo, hi = keep[0].i, keep[-1].i
    toks = list(subj.doc[lo : hi + 1])
    for k in range(len(toks) - 1, -1, -1):
        if "\n" in toks[k].text or "\n" in toks[k].whitespace_:
            toks = toks[k + 1 :] if toks[k].i < subj.i else toks[:k + 1]
            break
    return _span(toks)


def _subject(verb: Any) -> Any | None:
    """The verb's subject; for a verb continuing another clause ("…, adding that", "and
    said", "endorsed Sanders' approach Saturday, saying"), that clause's subject."""
    seen = 0
    while verb is not None and seen < 4:
        for child in verb.children:
            if child.dep_ == "agent":  # "was echoed by her campaign": the agent speaks
                for pobj in child.children:
                    if pobj.dep_ == "pobj":
                        return pobj
        for child in verb.children:
            if child.dep_ in _SUBJECTS:
                return child
        if verb.head is verb:
            return None
        if verb.dep_ not in _CONTINUES and not (verb.tag_ == "VBG" and verb.dep_ in ("acl", "npadvmod", "dep")):
            return None
        verb = verb.head
        while verb.pos_ not in ("VERB", "AUX") and verb.head is not verb and seen < 4:
            verb = verb.head  # a participle the parser hung on a noun: climb to the clause's verb
            seen += 1
        seen += 1
    return None


def _content(verb: Any) -> Span | None:
    for dep in _COMPLEMENTS:
        for child in verb.children:
            if child.dep_ == dep and (dep != "prep" or child.lower_ in ("about", "on", "of", "for")):
                return _span(list(child.subtree))
    # Inverted quotation: "“…,” he said" parses the quoted clause as the verb's head.
    if verb.dep_ in ("parataxis", "ccomp") or (verb.head is not verb and verb.head.i < verb.i and verb.dep_ == "conj"):
        first = verb.left_edge.i  # where the verb's own clause ("he said") begins
        return _span([t for t in verb.head.subtree if t.i < first])
    return None


def _reports_a_clause(tok: Any) -> bool:
    """A verb outside the lists that still reports a proposition: it takes a that-clause
    ("pointed out that", "made clear that") or a quotation as its complement."""
    for child in tok.children:
        if child.dep_ == "ccomp" and child.i > tok.i:
            if any(g.dep_ == "mark" and g.lower_ == "that" for g in child.children):
                return True
            if tok.i + 1 < len(tok.doc) and tok.nbor(1).text in ("“", '"', ":"):
                return True
    return False


def _is_cue(tok: Any) -> bool:
    if tok.pos_ not in ("VERB", "AUX"):
        return False
    if tok.lemma_.lower() not in CUE_LEMMAS and not (tok.pos_ == "VERB" and _reports_a_clause(tok)):
        return False
    if tok.dep_ in ("amod", "compound", "acl") and tok.tag_ == "VBN":
        return False  # "the so-called plan", "a reported attack": an adjective, not a saying
    return True


def _colon_quote(colon: Any, quoted: list[Span]) -> Attribution | None:
    """ "Cruz called them on it: “…”", "Trump: “…”": a quotation introduced by a colon is
    attributed to the subject of the clause before the colon, or to a name standing alone."""
    sent = colon.sent
    before = [t for t in sent if t.i < colon.i]
    if not before:
        return None
    content = next(((a, b) for a, b in quoted if a == colon.nbor(1).idx), None)
    verbs = [t for t in before if t.pos_ in ("VERB", "AUX") and t.dep_ in ("ROOT", "conj", "ccomp")]
    subj = None
    for v in reversed(verbs):
        subj = _subject(v)
        if subj is not None:
            break
    if subj is None and all(t.pos_ in ("PROPN", "PUNCT") for t in before):
        subj = before[-1] if before[-1].pos_ == "PROPN" else None
        if subj is not None:
            return Attribution(_span(before), (colon.idx, colon.idx + 1), content, (subj.idx, subj.idx + len(subj.text)))
    if subj is None or subj.lower_ in ("it", "this", "that", "there"):
        return None
    return Attribution(_subject_span(subj), (colon.idx, colon.idx + 1), content, (subj.idx, subj.idx + len(subj.text)))


_FIRST_SECOND = frozenset("i we you me us one everyone everybody anyone anybody".split())


def _quoted_regions(text: str) -> list[Span]:
    """Stretches inside double quotation marks (curly or straight)."""
    out: list[Span] = []
    open_at: int | None = None
    for i, ch in enumerate(text):
        if ch == "“" or (ch == '"' and open_at is None):
            open_at = i
        elif (ch == "”" or ch == '"') and open_at is not None:
            out.append((open_at, i + 1))
            open_at = None
        elif ch == "\n" and open_at is not None and text[i - 1 : i] == "\n":
            open_at = None  # an unclosed quote ends with its paragraph
    return out


def find_attributions(doc: Any) -> list[Attribution]:
    """Attributions in a parsed spaCy ``Doc``, in text order."""
    out: list[Attribution] = []
    seen: set[Span] = set()
    quoted = _quoted_regions(doc.text)

    def inside_quote(i: int) -> bool:
        return any(a < i < b for a, b in quoted)

    for tok in doc:
        if tok.text == ":" and tok.i + 1 < len(doc) and doc[tok.i + 1].text in ("“", '"') and not inside_quote(tok.idx):
            att = _colon_quote(tok, quoted)
            if att is not None and att.cue not in seen:
                seen.add(att.cue)
                out.append(att)
            continue
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):
            to = next(c for c in tok.children if c.lower_ == "to")
            pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
            if pobj is None:
                continue
            src = _span(list(pobj.subtree))
            own = {x.i for x in tok.subtree}
            rest = [t for t in tok.head.subtree if t.i not in own]
            cue = (tok.idx, to.idx + len(to.text))
            if cue not in seen:
                seen.add(cue)
                out.append(Attribution(src, cue, _span(rest), (pobj.idx, pobj.idx + len(pobj.text))))
            continue
        if tok.pos_ == "NOUN" and tok.lower_ in _NOUN_CUES:
            poss = next((c for c in tok.children if c.dep_ == "poss"), None)
            if poss is not None and not inside_quote(tok.idx) and poss.lower_ not in _FIRST_SECOND | {"its", "their"}:
                prep = next((c for c in tok.children if c.dep_ in ("prep", "acl", "ccomp") and c.i > tok.i), None)
                cue = (tok.idx, tok.idx + len(tok.text))
                if prep is not None and prep.dep_ == "prep" and prep.i == tok.i + 1:
                    cue = (tok.idx, prep.idx + len(prep.text))
                content = _span([t for t in prep.subtree if t.i > prep.i]) if prep is not None else None
                src = _span(list(poss.subtree))
                if src and cue not in seen:
                    seen.add(cue)
                    out.append(Attribution((src[0], src[1] - 2) if poss.text.endswith(("’s", "'s")) else src, cue,
                                           content, (poss.idx, poss.idx + len(poss.text))))
            continue
        if not _is_cue(tok):
            continue
        subj = _subject(tok)
        content = _content(tok)
        if subj is None and content is None:
            continue
        if subj is not None and subj.pos_ not in ("PROPN", "PRON", "NOUN", "NUM", "X"):
            continue
        if subj is not None and subj.lower_ in ("it", "there", "this", "that", "what", "which") and tok.lemma_ not in _SHOW:
            continue  # "it says a lot", "there is": no speaker
        lemma = tok.lemma_.lower()
        personal = subj is not None and subj.lower_ in _FIRST_SECOND
        if inside_quote(tok.idx):
            continue  # "“He said Britain would…”": speech reported inside a quotation is the
            # quoted speaker's claim, not one the article attributes
        if lemma in _THINK_ONLY and (subj is None or personal):
            # Believing and wanting verbs attribute a stance only to a third party; "I think",
            # "you know", "we see" are the writer's voice or figures of speech.
            continue
        if any(c.dep_ == "aux" and c.lower_ == "to" for c in tok.children) and tok.dep_ != "xcomp":
            continue  # "to speak with one voice": an aim, not something said
        # Auxiliaries and negation belong to the cue as written: "has said", "did not release".
        parts = [c for c in tok.children if c.dep_ in ("aux", "auxpass", "neg") and c.i < tok.i] + [tok]
        parts += [c for c in tok.children if c.dep_ == "prt"]
        cue = (min(p.idx for p in parts), max(p.idx + len(p.text) for p in parts))
        if cue in seen:
            continue
        seen.add(cue)
        out.append(Attribution(
            _subject_span(subj) if subj is not None else None, cue, content,
            (subj.idx, subj.idx + len(subj.text)) if subj is not None else None,
        ))
    return sorted(out, key=lambda a: a.cue)
