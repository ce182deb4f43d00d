"""Extract defined terms: bold-labelled paragraphs `**Term:** explanation` and the broken `** Term: **`.

Usage::

    for triple in extract(article, context): ...
    # concept:social-media-marketing-smm mkg:definesTerm concept:الاتصال .
    # concept:الاتصال a mkg:DefinedTerm ; skos:definition "..."@ar ; mkg:definedIn concept:social-media-marketing-smm .

Detection and resolution happen once, corpus-wide, in ConceptIndex.build (graph.pipeline.resolve.bold_label,
ConceptIndex._resolve_term): a term is the concept its label names (title, anchor, earlier term,
abbreviation, or a link in its own paragraph whose anchor contains its 2+ words); otherwise it
mints a concept whose slug is its label without diacritics/tatweel (-2, -3... when taken). Here:
- every term: definesTerm / definedIn between the article's concept and the term's concept,
  which is typed mkg:DefinedTerm; a term naming the article's own concept is skipped;
- a minted concept: its typing, scheme, slug, hasArticle false and @ar prefLabel (first term);
- a concept without an article: the first explanation (by path, line) as skos:definition;
  a concept with an article keeps its own definition;
- a label that is not already the concept's prefLabel or abbreviation: skos:hiddenLabel;
- every term, even one naming the article's own concept or a concept defined elsewhere: a
  mkg:TermDefinition node <article#definition-N> with its text (mkg:definitionText), the label as
  written (schema:name), its article (schema:isPartOf), source line, position and concept
  (mkg:definitionOf, and concept mkg:hasTermDefinition node): no article's definition is lost.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal

from graph.extract.context import ExtractionContext, Triple, plain_literal, text_literal
from graph.parse.content import Article
from graph.pipeline.resolve import ConceptIndex, Term, match_key
from graph.vocab import RDF, SCHEMA, SKOS, XSD

_TYPE, _SKOS_CONCEPT, _IN_SCHEME, _PREF_LABEL = RDF.type, SKOS.Concept, SKOS.inScheme, SKOS.prefLabel
_DEFINITION, _HIDDEN_LABEL, _NAME, _IS_PART_OF = SKOS.definition, SKOS.hiddenLabel, SCHEMA.name, SCHEMA.isPartOf
_FALSE = Literal(False, datatype=XSD.boolean)


def _is_known_label(term: Term, index: ConceptIndex) -> bool:
    """Tell whether the term's label is already a prefLabel or an abbreviation of its concept."""
    key = match_key(term.label)
    arabic = index.arabic_label(term.slug)
    english = index.english_label(term.slug)
    return (
        (arabic is not None and match_key(arabic) == key)
        or match_key(english) == key
        or term.label in index.abbreviations.get(term.slug, ())
    )


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield each defined term of the article, linked both ways to the article's concept, and its definition."""
    vocab, index = context.vocab, context.index
    mkg = vocab.MKG
    source = vocab.concept(article.slug)
    page = vocab.article(article.slug)
    for position, term in enumerate(index.terms_of(article.slug), start=1):
        concept = vocab.concept(term.slug)
        node = vocab.part(article.slug, "definition", position)
        yield concept, mkg.hasTermDefinition, node
        yield node, _TYPE, mkg.TermDefinition
        yield node, mkg.definitionOf, concept
        yield node, mkg.definitionText, text_literal(term.explanation)
        yield node, _NAME, text_literal(term.label)
        yield node, _IS_PART_OF, page
        yield node, mkg.sourceLine, plain_literal(term.line)
        yield node, mkg.position, plain_literal(position)
        if term.slug == article.slug:
            continue
        first_term = index.term_of.get(term.slug)  # the first term naming the concept, by (path, line)
        first = first_term is not None and (first_term.path, first_term.line) == (term.path, term.line)
        yield source, mkg.definesTerm, concept
        yield concept, mkg.definedIn, source
        yield concept, _TYPE, mkg.DefinedTerm
        if first and term.minted:
            yield concept, _TYPE, mkg.Concept
            yield concept, _TYPE, _SKOS_CONCEPT
            yield concept, _IN_SCHEME, vocab.concept_scheme
            yield concept, mkg.hasArticle, _FALSE
            yield concept, mkg.slug, plain_literal(term.slug)
            yield concept, _PREF_LABEL, text_literal(term.label)
        if first and not index.has_article(term.slug):
            yield concept, _DEFINITION, text_literal(term.explanation)
        if not _is_known_label(term, index):
            yield concept, _HIDDEN_LABEL, text_literal(term.label)
