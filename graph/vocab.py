"""Namespaces, ontology terms and IRI minting: the only place IRIs are built.

Usage::

    vocab = Vocabulary("https://marketing-kg.example/")
    vocab.concept("viral-marketing")   # URIRef('https://marketing-kg.example/concept/viral-marketing')
    vocab.MKG.linksTo                  # URIRef('https://marketing-kg.example/ontology#linksTo')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, unquote

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS, XSD

DEFAULT_BASE_IRI = "https://marketing-kg.example/"
"""The base IRI the ontology files are written with; `Vocabulary.rebase` swaps it."""

SCHEMA = Namespace("https://schema.org/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SEVERITIES = ("Violation", "Warning", "Info")
"""The SHACL result severities, most severe first (sh:Violation, sh:Warning, sh:Info)."""

# Every term of the ontology namespace, by kind; ontology/marketing.ttl declares each.
ONTOLOGY_CLASSES = (
    "Concept",  # a marketing concept (skos:Concept)
    "Keyword",  # a front-matter keyword / category (skos:Concept in the keyword scheme)
    "Link",  # one [anchor](/slug) occurrence in an article
    "Section",  # one ##-###### heading of an article (nested: subSectionOf / schema:hasPart)
    "KeyFigure",  # a block-quote call-out: value + caption
    "DefinedTerm",  # marker class for concepts introduced by a bold-labelled term
    "TermDefinition",  # one bold-labelled term paragraph: its text, article, line and concept
)
ONTOLOGY_PROPERTIES = (
    "linksTo",  # concept -> concept, directed hyperlink
    "linkedFrom",  # owl:inverseOf linksTo (derivable, not materialised)
    "hasKeyword",  # concept -> keyword, sub-property of dct:subject
    "hasArticle",  # concept -> xsd:boolean
    "slug",  # canonical slug
    "slugAlias",  # other spelling of the slug seen in links or files
    "sourcePath",  # article -> path of the markdown file, relative to content/
    "contentHash",  # article -> sha256 hex of the file bytes
    "link",  # article -> Link
    "linkSource",  # Link -> concept the link is written in
    "linkTarget",  # Link -> concept the link points at
    "anchorText",  # Link -> anchor text as written
    "sourceLine",  # Link/Section/... -> line number in the source file
    "inSection",  # Link -> Section it occurs in
    "position",  # ordered things -> 1-based position
    "section",  # article -> Section (every section, at any depth)
    "subSectionOf",  # Section -> the enclosing Section (inverse of schema:hasPart)
    "headingLevel",  # Section -> 2..6, the heading level as written
    "takeaway",  # concept -> rdf:List of take-away literals
    "keyFigure",  # concept -> KeyFigure
    "figureValue",  # KeyFigure -> value text
    "figureCaption",  # KeyFigure -> caption text
    "definedIn",  # concept (defined term) -> concept whose article defines it
    "definesTerm",  # concept -> defined term concept (inverse of definedIn)
    "hasTermDefinition",  # concept -> TermDefinition of it, in any article
    "definitionOf",  # TermDefinition -> the concept it defines (inverse of hasTermDefinition)
    "definitionText",  # TermDefinition -> the explanation after the bold label
    "abbreviation",  # concept -> Latin acronym (also a skos:altLabel)
)


_SLUG_SEPARATORS = re.compile(r"[\s_\-]+")
_SLUG_DROP = re.compile(r"[^\w\-.]", re.UNICODE)


def canonical_slug(raw: str) -> str:
    """Return the canonical slug form of `raw` (lower case, one `-` between words).

    >>> canonical_slug("/Customer_Relation_Management")
    'customer-relation-management'
    """
    text = unicodedata.normalize("NFKC", raw).strip().strip("/").lower()
    text = _SLUG_SEPARATORS.sub("-", text)
    text = _SLUG_DROP.sub("", text)
    text = re.sub(r"-{2,}", "-", text).strip("-.")
    return text


class OntologyTerms:
    """The ontology namespace with every declared term precomputed; an undeclared name raises."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace
        for name in ONTOLOGY_CLASSES + ONTOLOGY_PROPERTIES:
            setattr(self, name, URIRef(namespace + name))

    def __getattr__(self, name: str) -> URIRef:
        raise AttributeError(f"{name!r} is not a term of the ontology: declare it in graph/vocab.py")

    def __getitem__(self, name: str) -> URIRef:
        return URIRef(self._namespace + name)

    def __str__(self) -> str:
        return self._namespace


@lru_cache(maxsize=500_000)
def _mint(base: str, kind: str, slug: str) -> URIRef:
    return URIRef(f"{base}{kind}/{_iri_segment(slug)}")


@dataclass(frozen=True)
class Vocabulary:
    """Mint IRIs for one base IRI and hold the ontology namespace built on it."""

    base: str = DEFAULT_BASE_IRI
    MKG: OntologyTerms = field(init=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        base = self.base if self.base.endswith(("/", "#")) else self.base + "/"
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "MKG", OntologyTerms(base + "ontology#"))
        object.__setattr__(self, "_concept_scheme", URIRef(base + "concepts"))
        object.__setattr__(self, "_keyword_scheme", URIRef(base + "keywords"))

    @property
    def ontology(self) -> URIRef:
        return URIRef(self.base + "ontology")

    @property
    def concept_scheme(self) -> URIRef:
        return self._concept_scheme  # type: ignore[attr-defined]

    @property
    def keyword_scheme(self) -> URIRef:
        return self._keyword_scheme  # type: ignore[attr-defined]

    def concept(self, slug: str) -> URIRef:
        return _mint(self.base, "concept", slug)

    def keyword(self, slug: str) -> URIRef:
        return _mint(self.base, "keyword", slug)

    def organization(self, slug: str) -> URIRef:
        return _mint(self.base, "organization", slug)

    def article(self, slug: str) -> URIRef:
        return _mint(self.base, "article", slug)

    def part(self, slug: str, kind: str, n: int) -> URIRef:
        """Return the IRI of the n-th `kind` node (link, faq, figure, section...) of an article."""
        # article IRIs are valid IRIs, so URIRef's validity check (a regex per call) is skipped
        return str.__new__(URIRef, f"{self.article(slug)}#{kind}-{n}")

    def slug_of(self, iri: str) -> tuple[str, str] | None:
        """Return (kind, slug) for a concept/keyword/organization IRI under this base, else None."""
        if not iri.startswith(self.base):
            return None
        kind, _, rest = iri[len(self.base) :].partition("/")
        if kind not in ("concept", "keyword", "organization", "article") or not rest or "#" in rest:
            return None
        return kind, unquote(rest)

    def rebase(self, turtle: str) -> str:
        """Rewrite Turtle written against DEFAULT_BASE_IRI to this vocabulary's base."""
        if self.base == DEFAULT_BASE_IRI:
            return turtle
        return turtle.replace(DEFAULT_BASE_IRI, self.base)

    def bind_prefixes(self, graph: Graph) -> Graph:
        """Bind every prefix the project writes, so no serializer invents `ns1:`."""
        for prefix, ns in self.prefixes().items():
            graph.bind(prefix, ns, override=True, replace=True)
        return graph

    def prefixes(self) -> dict[str, str]:
        return {
            "mkg": str(self.MKG),
            "concept": self.base + "concept/",
            "keyword": self.base + "keyword/",
            "org": self.base + "organization/",
            "article": self.base + "article/",
            "skos": str(SKOS),
            "dct": str(DCTERMS),
            "schema": str(SCHEMA),
            "rdf": str(RDF),
            "rdfs": str(RDFS),
            "owl": str(OWL),
            "xsd": str(XSD),
            "sh": str(SH),
        }

    def sparql_prologue(self) -> str:
        return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self.prefixes().items())


_PLAIN_SEGMENT = re.compile(r"^[^\W_]?[\w\-.~]*$")


def _iri_segment(slug: str) -> str:
    """Percent-encode what may not stand in an IRI path segment; keep Unicode letters (IRIs allow them)."""
    if _PLAIN_SEGMENT.match(slug) and slug.isascii():
        return slug
    return "".join(ch if ch.isalnum() or ch in "-._~" else quote(ch, safe="") for ch in slug)


__all__ = [
    "DCTERMS",
    "DEFAULT_BASE_IRI",
    "ONTOLOGY_CLASSES",
    "ONTOLOGY_PROPERTIES",
    "OWL",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SD",
    "SH",
    "SKOS",
    "XSD",
    "Vocabulary",
    "canonical_slug",
]
