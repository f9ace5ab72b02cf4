"""Clean on real news pages of L3S-GN1 (extraction, then the clean stage), against their gold.

The pages are named by id and read at run time; the gold "full text" spans decide what is body.
"""

from __future__ import annotations

import re

import pytest

from conftest import DATA
from unspun.evaluation.clean import extract_and_clean, l3s_page
from unspun.records import Article
from unspun.stages.clean import METADATA_REASONS

L3S = DATA / "extraction" / "l3s-gn1"
# Agency copy credited on the story's last line ("AFP, AP" under the Age's report, "Reuters/Nielsen"
# above a Reuters rights line): the paragraph above the credit is the story's last.
CLOSING_CREDIT = ("4ef56518-0288-4176-b711-570eaae21dd6", "de39076d-9598-41ec-8047-ef26cd9b61b4")
# A photo in mid-story: caption, "Reuters", and the report goes on.
MID_STORY_PHOTO = "092d37f3-963c-4724-97f3-96071d331565"
QUOTE_ABOVE_CREDIT = "0bc30b43-db01-45d0-9ec4-c9b0848ed8cd"


def _page(pid: str) -> tuple[Article, str]:
    """The cleaned article of an L3S-GN1 page and its gold full text."""
    (ann,) = L3S.glob(f"*/annotated/{pid}.html")
    html, gold = l3s_page(ann)
    article = extract_and_clean(html)
    assert article is not None
    return article, gold


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _line_before(article: Article, pos: int) -> str:
    return article.text[:pos].rstrip().rsplit("\n", 1)[-1].strip()


@pytest.mark.parametrize("pid", CLOSING_CREDIT)
def test_the_paragraph_above_a_closing_credit_stays_in_the_body(pid: str) -> None:
    article, gold = _page(pid)
    credit = next(r for r in article.removals if r.reason == "photo_credit")
    last = _line_before(article, credit.span.start)
    assert len(last.split()) >= 15 and _words(last) <= _words(gold)  # a gold paragraph, not a caption
    assert last in article.clean_text.split("\n")
    assert not any(r.reason == "photo_caption" for r in article.removals)


def test_a_caption_in_mid_story_still_goes() -> None:
    article, _gold = _page(MID_STORY_PHOTO)
    credit = next(r for r in article.removals if r.reason == "photo_credit")
    caption = next(r for r in article.removals if r.reason == "photo_caption")
    assert caption.span.end <= credit.span.start
    assert _line_before(article, credit.span.start) == caption.text.strip()
    after = article.text[credit.span.end:].lstrip().split("\n", 1)[0]
    assert len(after.split()) >= 10 and after in article.clean_text  # the report goes on below the photo
    assert caption.text.strip() not in article.clean_text


def test_a_rights_line_is_metadata_with_its_evidence() -> None:
    article, _gold = _page(CLOSING_CREDIT[1])
    rights = [r for r in article.removals if r.reason == "copyright"]
    assert len(rights) == 1 and "copyright" in METADATA_REASONS
    line = rights[0].text.strip()
    assert line.startswith("©") and line not in article.clean_text
    ev = next(m for m in article.metadata if m.name == "copyright")
    assert ev.value == line and ev.span is not None
    assert article.text[ev.span.start:ev.span.end].strip() == line


def test_a_quotation_above_a_credit_is_not_a_caption() -> None:
    # L3S-GN1: a story that opens on a quote split over two lines, then a photo credit and the report.
    article, gold = _page(QUOTE_ABOVE_CREDIT)
    credit = next(r for r in article.removals if r.reason == "photo_credit")
    line = _line_before(article, credit.span.start)
    assert line.endswith('"') and _words(line) <= _words(gold)
    assert line in article.clean_text.split("\n")
    assert not any(r.reason == "photo_caption" for r in article.removals)
