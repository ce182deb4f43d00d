"""Extract mentioned organisations and platforms: Latin-script proper names in the Arabic text.

Usage::

    mentions(article, index)   # ['YouTube', 'Twitter', 'Instagram', 'Snapchat', 'Facebook', 'Hotmail', 'ALS']
    # concept schema:mentions org:youtube . org:youtube a schema:Organization ; schema:name "YouTube" .

Rule (text of headings, paragraphs and list items; link anchors are blanked out first):
1. A candidate is a maximal run of capitalised Latin words (Facebook, YouTube, MySpace, eBay)
   separated by single spaces, optionally joined by `of`, `and`, `&` (Bank of America);
   leading English function words (The, In, ...) are dropped, one-letter runs ignored.
2. A run that is one acronym (LATIN_ACRONYM: SMM, CRM, ROI, eWOM, 3Vs, B-to-C) is an
   abbreviation, not a name, unless an organisation noun (جمعية, شركة, منصة, ...) is right before
   it and no concept owns it as an abbreviation (جمعية ALS -> ALS).
3. Within one article, a run of 2+ words that is a word-prefix of a longer run is that longer
   name (ALS Ice Bucket -> ALS Ice Bucket Challenge); one word stays itself (Google, Google Ads).
4. Names ending in an event word (Challenge, Campaign, Award, Day, ...) are events, not
   organisations, and are dropped.
Arabic-script brand names (برجر كينج, ماكدونالدز) are not detected. The IRI slug is
canonical_slug(name); the schema:name is the corpus's most used spelling (ties: alphabetical).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from rdflib import Literal

from graph.arabic import match_key
from graph.extract.context import ExtractionContext, Triple, plain_literal
from graph.parse.content import Article
from graph.pipeline.resolve import ConceptIndex, is_acronym
from graph.vocab import RDF, SCHEMA, canonical_slug

_WORD = r"(?:[A-Z]|[a-z](?=[A-Z][a-z]))[A-Za-z0-9]*(?:['’][A-Za-z]+)?"
_RUN = re.compile(rf"(?<![A-Za-z0-9\-]){_WORD}(?: (?:(?:of|and|&) )?{_WORD})*(?![A-Za-z0-9\-])")
_FUNCTION_WORDS = frozenset({
    "The", "A", "An", "In", "On", "At", "For", "Of", "And", "But", "Or", "To", "From", "By", "With",
    "This", "That", "These", "Those", "It", "Its", "We", "Our", "You", "Your", "He", "She", "They", "I",
    "If", "When", "What", "How", "Why", "Who",
})
EVENT_WORDS = frozenset({
    "Challenge", "Campaign", "Award", "Awards", "Day", "Week", "Month", "Festival", "Cup", "Summit",
    "Conference", "Expo", "Prize",
})
ORGANISATION_NOUNS = frozenset(
    match_key(w) for w in ("جمعية", "شركة", "منظمة", "مؤسسة", "موقع", "منصة", "تطبيق", "مطعم", "وكالة", "بنك", "مجموعة")
)
_MENTIONS, _TYPE, _ORGANIZATION = SCHEMA.mentions, RDF.type, SCHEMA.Organization
_BLANK = "\x00"
_NOT_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())  # ASCII minus A-Z a-z


def _candidates(text: str, index: ConceptIndex) -> Iterator[str]:
    """Yield the name runs of one block text, in order (rules 1 and 2)."""
    for match in _RUN.finditer(text):
        words = match[0].split(" ")
        while words and words[0] in _FUNCTION_WORDS:
            words.pop(0)
        while words and words[-1] in ("of", "and", "&"):
            words.pop()
        name = " ".join(words)
        if len(name) < 2:
            continue
        if len(words) == 1 and is_acronym(name):
            before = text[: match.start()].split()
            if name in index.acronym_owner or not before or match_key(before[-1]) not in ORGANISATION_NOUNS:
                continue
        yield name


def mentions(article: Article, index: ConceptIndex) -> list[str]:
    """Return the distinct organisation names the article mentions, in first-seen order."""
    runs: list[str] = []
    for block in article.blocks:
        text = block.text
        if not text.encode("ascii", "ignore").translate(None, _NOT_LETTERS):
            continue  # no Latin letter (4x faster than a regex search on Arabic text)
        for link in block.links:
            if link.anchor:
                text = text.replace(link.anchor, _BLANK)
        runs.extend(_candidates(text, index))
    names: dict[str, None] = {}
    for run in runs:
        longer = [r for r in runs if r.startswith(run + " ")] if " " in run else []
        name = max(longer, key=len) if longer else run
        if name.split(" ")[-1] not in EVENT_WORDS:
            names.setdefault(name)
    return list(names)


def _mentions_of(article: Article, context: ExtractionContext) -> list[str]:
    """Return mentions(article), computed once per build run (shared with extract_names)."""
    memo = context.memo.setdefault("mentions", {})
    if article.slug not in memo:
        memo[article.slug] = mentions(article, context.index)
    return memo[article.slug]


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield concept schema:mentions org, each org typed schema:Organization with its slug."""
    vocab = context.vocab
    concept = vocab.concept(article.slug)
    for name in _mentions_of(article, context):
        slug = canonical_slug(name)
        if not slug:
            continue
        org = vocab.organization(slug)
        yield concept, _MENTIONS, org
        yield org, _TYPE, _ORGANIZATION
        yield org, vocab.MKG.slug, plain_literal(slug)


def extract_names(context: ExtractionContext) -> Iterator[Triple]:
    """Yield one schema:name per organisation: its most used spelling in the corpus."""
    spellings: dict[str, Counter[str]] = {}
    for slug in sorted(context.index.articles):
        for name in _mentions_of(context.index.articles[slug], context):
            spellings.setdefault(canonical_slug(name), Counter())[name] += 1
    for slug in sorted(spellings):
        if slug:
            name = min(spellings[slug].items(), key=lambda item: (-item[1], item[0]))[0]
            yield context.vocab.organization(slug), SCHEMA.name, Literal(name)
