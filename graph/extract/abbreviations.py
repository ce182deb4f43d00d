"""Extract abbreviations: Latin acronyms such as SMM, CRM, B-to-C as altLabel + mkg:abbreviation.

Usage::

    for triple in extract(context): ...
    # concept:customer-relation-management skos:altLabel "CRM"@en ; mkg:abbreviation "CRM" .

ConceptIndex.build collects them once for the corpus: `(ACR)` at the end of a title, right after
a link (`[الأعمال إلى المستهلك](/btoc) (B-to-C)`), after a term's label (`** إدارة علاقات العملاء
(CRM): **`), and after a title or term label in running text (also `ACR (label)`). An acronym
belongs to the first concept that claimed it (titles first). SKOS disjointness: the @en
altLabel is left out (mkg:abbreviation is still written) when the same literal is already one
of the concept's prefLabels or one of the anchors written as its hiddenLabels.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal

from graph.extract.context import ExtractionContext, Triple
from graph.vocab import SKOS


def extract(context: ExtractionContext) -> Iterator[Triple]:
    """Yield skos:altLabel "ACR"@en and mkg:abbreviation "ACR" for every collected acronym."""
    vocab, index = context.vocab, context.index
    for slug in sorted(index.abbreviations):
        concept = vocab.concept(slug)
        taken = {index.english_label(slug), index.arabic_label(slug), *index.anchors(slug)}
        for acronym in sorted(index.abbreviations[slug]):
            yield concept, vocab.MKG.abbreviation, Literal(acronym)
            if acronym not in taken:
                yield concept, SKOS.altLabel, Literal(acronym, lang="en")
