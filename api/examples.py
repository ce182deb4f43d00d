"""Example SPARQL queries shown in the service description and the SPARQL page."""

from __future__ import annotations

EXAMPLES: list[tuple[str, str, str]] = [
    (
        "concepts-with-articles",
        "Concepts that have an article, with their Arabic and English labels",
        """SELECT ?concept ?ar ?en WHERE {
  ?concept a mkg:Concept ; mkg:hasArticle true ;
           skos:prefLabel ?ar , ?en .
  FILTER(lang(?ar) = "ar" && lang(?en) = "en")
}
ORDER BY ?concept""",
    ),
    (
        "neighbourhood",
        "What viral marketing links to, and what links to it, with labels",
        """SELECT ?direction ?other ?label WHERE {
  { concept:viral-marketing mkg:linksTo ?other . BIND("out" AS ?direction) }
  UNION
  { ?other mkg:linksTo concept:viral-marketing . BIND("in" AS ?direction) }
  OPTIONAL { ?other skos:prefLabel ?label FILTER(lang(?label) = "ar") }
}
ORDER BY ?direction ?other""",
    ),
    (
        "red-links",
        "Red links: linked concepts that have no article yet, most linked first",
        """SELECT ?concept (COUNT(?source) AS ?inLinks) WHERE {
  ?concept mkg:hasArticle false .
  ?source mkg:linksTo ?concept .
}
GROUP BY ?concept
ORDER BY DESC(?inLinks) ?concept""",
    ),
    (
        "anchor-texts",
        "Every anchor text authors used for a concept",
        """SELECT ?target ?anchor (COUNT(*) AS ?uses) WHERE {
  ?link a mkg:Link ; mkg:linkTarget ?target ; mkg:anchorText ?anchor .
}
GROUP BY ?target ?anchor
ORDER BY ?target DESC(?uses)""",
    ),
    (
        "keywords",
        "Keywords with the number of concepts filed under them",
        """SELECT ?keyword ?label (COUNT(?concept) AS ?concepts) WHERE {
  ?concept mkg:hasKeyword ?keyword .
  ?keyword skos:prefLabel ?label .
}
GROUP BY ?keyword ?label
ORDER BY DESC(?concepts)""",
    ),
    (
        "describe",
        "Everything about one concept (CONSTRUCT)",
        """CONSTRUCT { concept:viral-marketing ?p ?o } WHERE { concept:viral-marketing ?p ?o }""",
    ),
]
