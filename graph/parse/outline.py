"""Decide an article's outline: which headings are (nested) sections and which are FAQ questions.

Usage::

    questions = faq_questions([(2, "أسئلة شائعة"), (3, "ما هو X؟"), (2, "أمثلة"), (3, "لماذا؟"), (3, "حالة")])
    questions   # {1}: the `###` question under the FAQ `##`; "لماذا؟" is a sub-section of "أمثلة"

The rule (README "Article facts"): every heading of level 2 to 6 outside a block quote is a
section, nested under the closest heading before it with a lower level, except an FAQ question:
a `###` heading ending in `؟` or `?` inside an FAQ section. An FAQ section is the part of the
article under one `##` heading (or before the first one) whose title names an FAQ (a word of
FAQ_WORDS: أسئلة, سؤال, التعليمات, FAQ, questions...) or that has two or more `###` headings,
all ending in a question mark. A lone question-like `###` elsewhere is a sub-section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph.arabic import match_key

QUESTION_MARKS = ("؟", "?")
FAQ_WORDS = frozenset(match_key(w) for w in ("أسئلة", "الأسئلة", "سؤال", "التعليمات", "FAQ", "FAQs",
                                              "questions", "Q&A"))
SECTION_LEVELS = range(2, 7)


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of the outline: its place in reading order, level, line, text and enclosing section."""

    position: int  # 1-based, among all the article's sections in reading order
    level: int  # 2-6, as written (`##` ... `######`)
    line: int
    text: str
    parent: int  # position of the enclosing section, 0 for a top-level one

    def __reduce__(self) -> tuple:
        return Section, (self.position, self.level, self.line, self.text, self.parent)


def is_faq_title(text: str) -> bool:
    """Tell whether a `##` heading names an FAQ (أسئلة شائعة, التعليمات, FAQ...)."""
    return any(word in FAQ_WORDS for word in match_key(text).split())


def faq_questions(headings: Sequence[tuple[int, str]]) -> set[int]:
    """Return the indexes of the FAQ questions among an article's unquoted (level, text) headings."""
    found: set[int] = set()
    start, title = 0, ""
    for end in range(len(headings) + 1):
        if end < len(headings) and headings[end][0] != 2:
            continue
        thirds = [i for i in range(start, end) if headings[i][0] == 3]
        asked = [i for i in thirds if headings[i][1].endswith(QUESTION_MARKS)]
        if asked and ((len(asked) == len(thirds) and len(asked) >= 2) or is_faq_title(title)):
            found.update(asked)
        if end < len(headings):
            start, title = end + 1, headings[end][1]
    return found
