"""Extract an article's concept: labels, definition, slug (and aliases), article node and source facts.

The article node also gets the front matter's dates and authors: `date` as dct:created, `lastmod`
as dct:modified (xsd:date, or xsd:dateTime when a time is written) and each author as dct:creator
(the name as written).
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal

from graph.extract.context import ExtractionContext, Triple, lang_literal, plain_literal, text_literal
from graph.parse.content import Article
from graph.pipeline.resolve import match_key, split_acronym
from graph.vocab import DCTERMS, RDF, SCHEMA, SKOS, XSD

_TYPE, _SKOS_CONCEPT, _IN_SCHEME, _PREF_LABEL = RDF.type, SKOS.Concept, SKOS.inScheme, SKOS.prefLabel
_DEFINITION, _HIDDEN_LABEL = SKOS.definition, SKOS.hiddenLabel
_SUBJECT_OF, _ARTICLE, _ABOUT, _HEADLINE, _IN_LANGUAGE = (
    SCHEMA.subjectOf, SCHEMA.Article, SCHEMA.about, SCHEMA.headline, SCHEMA.inLanguage)
_TRUE = Literal(True, datatype=XSD.boolean)
_AR = Literal("ar")


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield the concept's typing, labels, definition and the schema:Article it comes from."""
    vocab, index = context.vocab, context.index
    mkg = vocab.MKG
    concept = vocab.concept(article.slug)
    page = vocab.article(article.slug)
    label, _ = split_acronym(article.title)
    preferred = (lang_literal(label, "ar"), lang_literal(index.english_label(article.slug), "en"))
    yield concept, _TYPE, mkg.Concept
    yield concept, _TYPE, _SKOS_CONCEPT
    yield concept, _IN_SCHEME, vocab.concept_scheme
    for literal in preferred:
        yield concept, _PREF_LABEL, literal
    yield concept, _DEFINITION, text_literal(article.description)
    yield concept, mkg.slug, plain_literal(article.slug)
    for spelling in index.spellings(article.slug):
        yield concept, mkg.slugAlias, plain_literal(spelling)
    yield concept, mkg.hasArticle, _TRUE
    yield concept, _SUBJECT_OF, page
    pref_key = match_key(label)
    for anchor in index.anchors(article.slug):
        hidden = text_literal(anchor)
        if hidden not in preferred and match_key(anchor) != pref_key:
            yield concept, _HIDDEN_LABEL, hidden
    yield page, _TYPE, _ARTICLE
    yield page, _ABOUT, concept
    yield page, _HEADLINE, lang_literal(article.title, "ar")
    yield page, _IN_LANGUAGE, _AR
    yield page, mkg.sourcePath, Literal(article.path)
    yield page, mkg.contentHash, Literal(article.sha256)
    if article.created is not None:
        yield page, DCTERMS.created, Literal(article.created)
    if article.modified is not None:
        yield page, DCTERMS.modified, Literal(article.modified)
    for author in article.authors:
        yield page, DCTERMS.creator, Literal(author)
