"""Extract an article's concept: labels, definition, slug, article node and source facts."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal

from graph.arabic import match_key
from graph.content import Article
from graph.extract import ExtractionContext, Triple, text_literal
from graph.resolve import split_acronym
from graph.vocab import RDF, SCHEMA, SKOS, XSD


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield the concept's typing, labels, definition and the schema:Article it comes from."""
    vocab, index = context.vocab, context.index
    mkg = vocab.MKG
    concept = vocab.concept(article.slug)
    page = vocab.article(article.slug)
    label, _ = split_acronym(article.title)
    preferred = (Literal(label, lang="ar"), Literal(index.english_label(article.slug), lang="en"))
    yield concept, RDF.type, mkg.Concept
    yield concept, RDF.type, SKOS.Concept
    yield concept, SKOS.inScheme, vocab.concept_scheme
    for literal in preferred:
        yield concept, SKOS.prefLabel, literal
    yield concept, SKOS.definition, text_literal(article.description)
    yield concept, mkg.slug, Literal(article.slug)
    for spelling in index.spellings(article.slug):
        yield concept, mkg.slugAlias, Literal(spelling)
    yield concept, mkg.hasArticle, Literal(True, datatype=XSD.boolean)
    yield concept, SCHEMA.subjectOf, page
    pref_key = match_key(label)
    for anchor in index.anchors(article.slug):
        hidden = text_literal(anchor)
        if hidden not in preferred and match_key(anchor) != pref_key:
            yield concept, SKOS.hiddenLabel, hidden
    yield page, RDF.type, SCHEMA.Article
    yield page, SCHEMA.about, concept
    yield page, SCHEMA.headline, Literal(article.title, lang="ar")
    yield page, SCHEMA.inLanguage, Literal("ar")
    yield page, mkg.sourcePath, Literal(article.path)
    yield page, mkg.contentHash, Literal(article.sha256)
