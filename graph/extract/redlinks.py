"""Extract concepts that are linked to but have no article ("red links")."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal

from graph.extract.context import ExtractionContext, Triple, text_literal
from graph.vocab import RDF, SKOS, XSD


def extract(context: ExtractionContext) -> Iterator[Triple]:
    """Yield each red-link concept, labelled from its slug (en) and the anchors that name it."""
    vocab, index = context.vocab, context.index
    mkg = vocab.MKG
    for slug in index.red_links():
        concept = vocab.concept(slug)
        yield concept, RDF.type, mkg.Concept
        yield concept, RDF.type, SKOS.Concept
        yield concept, SKOS.inScheme, vocab.concept_scheme
        yield concept, mkg.hasArticle, Literal(False, datatype=XSD.boolean)
        yield concept, mkg.slug, Literal(slug)
        yield concept, SKOS.prefLabel, Literal(index.english_label(slug), lang="en")
        for spelling in index.spellings(slug):
            yield concept, mkg.slugAlias, Literal(spelling)
        pref = {Literal(index.english_label(slug), lang="en")}
        for anchor in index.anchors(slug):
            literal = text_literal(anchor)
            if literal.language == "ar" and not any(p.language == "ar" for p in pref):
                pref.add(literal)
                yield concept, SKOS.prefLabel, literal
            elif literal not in pref:
                yield concept, SKOS.hiddenLabel, literal
