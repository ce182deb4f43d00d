"""Extract FAQ questions: the `###` headings ending in `؟`/`?` of FAQ sections, and the text under each.

Usage::

    for triple in extract(article, context): ...
    # <article#faq-1> a schema:Question ; schema:name "..."@ar ; schema:acceptedAnswer <article#faq-1-answer>

Which headings are questions is decided with the outline (graph.parse.outline): a level-3 heading
outside a block quote that ends in `؟` or `?`, inside an FAQ section (a `##` whose title names an
FAQ, or whose two or more `###` headings all are questions); every other heading is a section. Its answer
is every paragraph and list item after it (outside block quotes) up to the next heading of level
1-3; paragraphs are joined by a blank line, consecutive list items by a newline and written `- item`. A question with no answer is
skipped with a warning. "ما هو X …؟"-style questions whose subject X names a known concept
also get `schema:about` that concept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import URIRef

from graph.extract.context import ExtractionContext, Triple, plain_literal, text_literal
from graph.parse.content import Article, Problem
from graph.pipeline.resolve import ConceptIndex, match_key
from graph.vocab import RDF, SCHEMA

_TYPE, _FAQ_PAGE, _MAIN_ENTITY, _QUESTION, _NAME = RDF.type, SCHEMA.FAQPage, SCHEMA.mainEntity, SCHEMA.Question, SCHEMA.name
_ACCEPTED_ANSWER, _ANSWER, _TEXT, _ABOUT = SCHEMA.acceptedAnswer, SCHEMA.Answer, SCHEMA.text, SCHEMA.about

# Openings of a "what is X" question (compared after match_key); X follows them.
_WHAT_IS = tuple(
    match_key(p).split()
    for p in ("ما هو", "ما هي", "ماهو", "ماهي", "ما معنى", "ماذا يعني", "ماذا تعني", "ما المقصود ب",
              "what is", "what are", "what does")
)
MAX_SUBJECT_WORDS = 8
_new_str = str.__new__


@dataclass(frozen=True, slots=True)
class Question:
    """One FAQ entry: the heading, its line, and the answer text (may be empty)."""

    text: str
    line: int
    answer: str


def questions(article: Article) -> list[Question]:
    """Return the article's FAQ questions in reading order, each with its answer text."""
    found: list[Question] = []
    blocks = article.blocks
    sections = {section.line for section in article.outline}
    for index, block in enumerate(blocks):
        if block.kind != "heading" or block.level != 3 or block.quote or block.line in sections:
            continue
        parts: list[str] = []
        previous = ""
        for following in blocks[index + 1 :]:
            if following.kind == "heading":
                if following.level <= 3:
                    break
                continue
            if following.quote or not following.text:
                continue
            if following.kind == "list_item" and previous == "list_item":
                parts[-1] += f"\n- {following.text}"
            else:
                parts.append(f"- {following.text}" if following.kind == "list_item" else following.text)
            previous = following.kind
        found.append(Question(block.text, block.line, "\n\n".join(parts)))
    return found


def subject(question: str, index: ConceptIndex) -> str | None:
    """Return the slug of X in "ما هو X …؟" when X (longest match first) names a known concept."""
    words = match_key(question).split()
    for opening in _WHAT_IS:
        size = len(opening)
        if words[:size] != opening:
            continue
        rest = words[size : size + MAX_SUBJECT_WORDS]
        for end in range(len(rest), 0, -1):
            slug = index.names.get(" ".join(rest[:end]))
            if slug is not None:
                return slug
        return None
    return None


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield the article as a schema:FAQPage with one schema:Question + schema:Answer per question."""
    vocab = context.vocab
    mkg = vocab.MKG
    page = vocab.article(article.slug)
    position = 0
    for question in questions(article):
        if not question.answer:
            context.problems.append(
                Problem("warning", article.path, question.line, "faq-no-answer",
                        f"FAQ question {question.text[:40]!r} has no answer: write a paragraph under it"))
            continue
        position += 1
        node = vocab.part(article.slug, "faq", position)
        answer = _new_str(URIRef, f"{node}-answer")  # a valid IRI plus a suffix: no need to check it
        if position == 1:
            yield page, _TYPE, _FAQ_PAGE
        yield page, _MAIN_ENTITY, node
        yield node, _TYPE, _QUESTION
        yield node, _NAME, text_literal(question.text)
        yield node, mkg.position, plain_literal(position)
        yield node, mkg.sourceLine, plain_literal(question.line)
        yield node, _ACCEPTED_ANSWER, answer
        yield answer, _TYPE, _ANSWER
        yield answer, _TEXT, text_literal(question.answer)
        about = subject(question.text, context.index)
        if about is not None:
            yield node, _ABOUT, vocab.concept(about)

