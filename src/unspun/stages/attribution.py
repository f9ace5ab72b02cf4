"""Attributions over a dependency parse: who (source) says, thinks or shows (cue) what (content).

Direct and indirect speech alike: "“We are calling on Serbia…,” Kirby said", "Vučić said that
the number had fallen", "according to the ministry, …".  A cue is a verb of saying, thinking,
showing or wanting (the lists below, grouped by sense) or the phrase "according to"; its
source is the verb's subject (or, for a verb that continues a clause — "…, adding that" —
the subject of the verb it continues); its content is the clausal complement, the quotation
next to it, or the clause "according to" qualifies.

The rules propose candidates generously, each with binary features; the linear model in
``attribution_model`` (trained on PolNeAR) decides which are attributions, and ``rules_keep``
is the hand-written decision used when no model is installed.

Spans are character offsets into the text that was parsed.  The core takes an already parsed
spaCy ``Doc`` so callers decide what to parse and when; ``unspun eval facts`` scores it on
PolNeAR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .attribution_model import AttributionModel, default_model

__all__ = ["CUE_LEMMAS", "Attribution", "AttributionModel", "candidate_attributions", "default_model",
           "find_attributions", "rules_keep"]

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
_SAY_SET = frozenset(_SAY)

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
    # Some newspaper archives (the New York Times in PolNeAR) write double quotes as two
    # apostrophes; they are read as one straight double quote.
    text = text.replace("''", '" ')
    for i, ch in enumerate(text):
        if ch == "“" or (ch == '"' and open_at is None):
            open_at = i
        elif (ch == "”" or ch == '"') and open_at is not None:
            out.append((open_at, i + 1))
            open_at = None
        elif ch == "\n" and open_at is not None and text[i - 1 : i] == "\n":
            open_at = None  # an unclosed quote ends with its paragraph
    return out


_MODALS = frozenset("would could will should may might can must shall".split())
# Verbs PolNeAR counts as attribution far more often than news uses them so: perceiving,
# everyday thinking and wanting.  They are only candidates; the model weighs them in context.
_EXTRA = frozenset("""think see know want hope expect plan consider feel view like push hop""".split())


def _verb_features(tok: Any, subj: Any | None, content: Span | None, inside: bool) -> list[str]:
    lemma = tok.lemma_.lower()
    group = ("say" if lemma in _SAY_SET else "think" if lemma in _THINK_ONLY else "show" if lemma in _SHOW
             else "extra" if lemma in _EXTRA else "clause")
    f = [f"lemma={lemma}", f"group={group}", f"tag={tok.tag_}", f"dep={tok.dep_}", f"group={group}|tag={tok.tag_}"]
    if subj is None:
        f.append("subj=none")
    else:
        low = subj.lower_
        f.append(f"subj={low}" if subj.pos_ == "PRON" else f"subjpos={subj.pos_}")
        f.append(f"subjdep={subj.dep_}")
        if subj.ent_type_:
            f.append(f"subjent={subj.ent_type_}")
        if low in _FIRST_SECOND:
            f.append(f"personal|group={group}")
        if low in ("it", "there", "this", "that", "what", "which"):
            f.append(f"impersonal|group={group}")
        if subj.head is not tok:
            f.append("subj=inherited")  # from the clause this verb continues
    f.append("content=none" if content is None else "content=yes")
    for c in tok.children:
        if c.dep_ in ("ccomp", "xcomp", "dobj", "parataxis") and c.i > tok.i:
            f.append(f"comp={c.dep_}")
            if any(g.dep_ == "mark" and g.lower_ == "that" for g in c.children):
                f.append("comp=that")
        if c.dep_ == "aux" and c.lower_ in _MODALS:
            f.append("modal")
        if c.dep_ == "neg":
            f.append("neg")
        if c.dep_ == "aux" and c.lower_ == "to":
            f.append(f"to_infinitive|dep={tok.dep_}")
    if tok.head is not tok and tok.head.i < tok.i and tok.dep_ in ("ccomp", "parataxis"):
        f.append("inverted")
    if inside:
        f.append(f"inside_quote|group={group}")
    kind = "none" if subj is None else "pron" if subj.pos_ == "PRON" else "name" if subj.pos_ == "PROPN" else "noun"
    f += [f"lemma={lemma}|subj={kind}", f"lemma={lemma}|tag={tok.tag_}", f"group={group}|dep={tok.dep_}"]
    sent = tok.sent
    if not sent.text.rstrip().endswith((".", "?", "!", '"', "”", "'")):
        f.append("sentence=unfinished")  # a headline, a caption, a list item
    if any(t.text in ("“", "”", '"', "''") for t in sent):
        f.append("sentence=quotes")
    if content is not None:
        n = len(tok.doc.text[content[0] : content[1]].split())
        f.append("content_words=" + ("<4" if n < 4 else "<12" if n < 12 else "12+"))
    near = tok.doc[max(0, tok.i - 3) : tok.i + 3]
    if any(t.text in _QUOTE_CHARS or t.text == "''" for t in near):
        f.append("near_quote")
    return f


def rules_keep(features: list[str]) -> bool:
    """The hand-written rules alone (the fallback when no model is given): a verb from the
    extra list, speech inside a quotation, an impersonal subject, a believing verb in the first
    person or without a subject, and an infinitive of aim are not attributions."""
    for f in features:
        if f in ("group=extra", "personal|group=think") or f.startswith("inside_quote|"):
            return False
        if f.startswith("impersonal|") and f != "impersonal|group=show":
            return False  # "it says a lot": no speaker, though "it shows" has a source
        if f.startswith("to_infinitive|") and f != "to_infinitive|dep=xcomp":
            return False
    return not ("group=think" in features and "subj=none" in features)


def candidate_attributions(doc: Any) -> list[tuple[Attribution, list[str]]]:
    """Every attribution the rules can propose in a parsed ``Doc``, each with the binary
    features a model weighs (cue lemma and sense group, subject kind, complement, modality,
    quotation context), in text order."""
    out: list[tuple[Attribution, list[str]]] = []
    seen: set[Span] = set()
    quoted = _quoted_regions(doc.text)

    def inside_quote(i: int) -> bool:
        return any(a < i < b for a, b in quoted)

    def add(att: Attribution, feats: list[str]) -> None:
        if att.cue not in seen:
            seen.add(att.cue)
            out.append((att, feats))

    for tok in doc:
        if tok.text == ":" and tok.i + 1 < len(doc) and doc[tok.i + 1].text in ("“", '"') and not inside_quote(tok.idx):
            att = _colon_quote(tok, quoted)
            if att is not None:
                add(att, ["kind=colon", "subj=none" if att.source is None else "subj=yes"])
            continue
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):
            to = next(c for c in tok.children if c.lower_ == "to")
            pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
            if pobj is None:
                continue
            own = {x.i for x in tok.subtree}
            rest = [t for t in tok.head.subtree if t.i not in own]
            add(Attribution(_span(list(pobj.subtree)), (tok.idx, to.idx + len(to.text)), _span(rest),
                            (pobj.idx, pobj.idx + len(pobj.text))),
                ["kind=according", f"subjpos={pobj.pos_}", *([f"subjent={pobj.ent_type_}"] if pobj.ent_type_ else [])])
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
                if src:
                    add(Attribution((src[0], src[1] - 2) if poss.text.endswith(("’s", "'s")) else src, cue,
                                    content, (poss.idx, poss.idx + len(poss.text))),
                        ["kind=noun", f"noun={tok.lemma_.lower()}", f"subj={poss.lower_}" if poss.pos_ == "PRON"
                         else f"subjpos={poss.pos_}", "content=none" if content is None else "content=yes"])
            continue
        if not _is_cue(tok) and not (tok.pos_ == "VERB" and tok.lemma_.lower() in _EXTRA):
            continue
        subj = _subject(tok)
        content = _content(tok)
        if subj is None and content is None:
            continue
        if subj is not None and subj.pos_ not in ("PROPN", "PRON", "NOUN", "NUM", "X"):
            continue
        # Auxiliaries and negation belong to the cue as written: "has said", "did not release".
        parts = [c for c in tok.children if c.dep_ in ("aux", "auxpass", "neg") and c.i < tok.i] + [tok]
        parts += [c for c in tok.children if c.dep_ == "prt"]
        cue = (min(p.idx for p in parts), max(p.idx + len(p.text) for p in parts))
        add(Attribution(
            _subject_span(subj) if subj is not None else None, cue, content,
            (subj.idx, subj.idx + len(subj.text)) if subj is not None else None,
        ), ["kind=verb", *_verb_features(tok, subj, content, inside_quote(tok.idx))])
    out.sort(key=lambda c: c[0].cue)
    return out


def find_attributions(doc: Any, model: AttributionModel | None = None) -> list[Attribution]:
    """Attributions in a parsed spaCy ``Doc``, in text order: the candidates ``model`` keeps
    (by default the model shipped with unspun; the hand-written rules when none is installed)."""
    model = model or default_model()
    cands = candidate_attributions(doc)
    if model is None:
        return [a for a, f in cands if rules_keep(f)]
    return [a for a, f in cands if model.keeps(f)]
