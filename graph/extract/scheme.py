"""Extract the two concept schemes and their labels."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal

from graph.extract.context import ExtractionContext, Triple
from graph.vocab import RDF, SKOS


def extract(context: ExtractionContext) -> Iterator[Triple]:
    """Yield the concept scheme and keyword scheme with English and Arabic labels."""
    vocab = context.vocab
    for scheme, english, arabic in (
        (vocab.concept_scheme, "Marketing concepts", "مفاهيم التسويق"),
        (vocab.keyword_scheme, "Marketing keywords", "الكلمات المفتاحية للتسويق"),
    ):
        yield scheme, RDF.type, SKOS.ConceptScheme
        yield scheme, SKOS.prefLabel, Literal(english, lang="en")
        yield scheme, SKOS.prefLabel, Literal(arabic, lang="ar")
