"""A SHACL validator that compiles shapes to SPARQL and runs them on pyoxigraph.

pyshacl walks every focus node in Python (about 250 s for 1.5 M triples). Here every
constraint of every targeted shape is compiled to SPARQL that returns ALL violating
(focus node, value) pairs at once, evaluated by pyoxigraph. Constraints that read the same
values (same focus nodes, same path) share one query, so each join of targets and values is
evaluated once: a "value" query (one boolean column per value constraint), a "count" query
(GROUP BY focus node: min/maxCount, hasValue, qualified counts), a "node" query for the
constraints on the focus node itself, and one query per sh:uniqueLang. The count queries of
one class's instances are merged into one (a UNION with one branch per path, one GROUP BY).
The queries are independent and run on `workers` threads (pyoxigraph releases the GIL)::

    store = pyoxigraph.Store()
    store.bulk_load(path="build/graph.nt", format=pyoxigraph.RdfFormat.N_TRIPLES, lenient=True)
    results = validate_with_sparql(store, load_shapes(Vocabulary()))

`tests/test_shacl_sparql.py` proves that the results equal pyshacl's (run with
``inference="none", advanced=True, allow_warnings=True, allow_infos=True``) on the seed
build, a generated corpus and one small graph per rule.

Supported (exactly what ontology/shapes.ttl uses; anything else in the shapes graph raises
NotImplementedError naming the construct, it is never skipped):

* targets: sh:targetClass (instances through rdf:type, and rdf:type/rdfs:subClassOf* when the
  DATA graph has any rdfs:subClassOf triple, as pyshacl does; the project's data has none, so
  plain rdf:type is used), implicit class targets (a shape typed rdfs:Class, or a subclass of
  rdfs:Class declared in the shapes graph), sh:targetSubjectsOf, sh:targetObjectsOf,
  sh:targetNode (the node need not occur in the data);
* paths: predicate, sh:inversePath, sequence (RDF list), sh:zeroOrMorePath;
* constraints: sh:minCount, sh:maxCount, sh:datatype (rdf:langString, xsd:string,
  xsd:integer, xsd:boolean, with rdflib's well-formedness rules), sh:class, sh:nodeKind,
  sh:minInclusive, sh:minLength, sh:pattern (+ sh:flags i/m/s/x), sh:languageIn (pyshacl's
  matching: the tag, or its primary subtag, case-insensitively; "*" = any tag), sh:uniqueLang,
  sh:hasValue, sh:in, sh:disjoint, sh:lessThan (SPARQL's `<`; not comparable is a result),
  sh:qualifiedValueShape + sh:qualifiedMinCount/MaxCount,
  sh:node, sh:or, sh:property; node-level constraints on a node shape (value node = focus);
* sh:severity (default sh:Violation), sh:message, sh:deactivated, sh:name/description/order/
  group/defaultValue (ignored, non-validating);
* SHACL-SPARQL: sh:sparql [ sh:select ; sh:prefixes ; sh:message ; sh:deactivated ] on node
  shapes. For a shape whose targets are all sh:targetNode, the query runs once per target
  node with $this pre-bound (pyoxigraph substitutions, SEP-0007, like pyshacl's
  initBindings); otherwise `$this` stays a variable and the target pattern is joined in at
  the start of the query's outer WHERE group. ?this/?path/?value of each row are reported as
  pyshacl does, and {?var}/{$var} in the message are replaced by the row's bindings.

Conformance of a value node to a shape used through sh:node, sh:or or sh:qualifiedValueShape
means "the shape produces no result of any severity" (SHACL's definition). It is compiled as
a boolean SPARQL expression (EXISTS / NOT EXISTS / FILTER terms) over that node, so nested
shapes are evaluated in the same query; recursive shapes raise NotImplementedError.

Known, deliberate differences from pyshacl (none occur in the project's data):

* pyshacl regexes are Python `re` (`$` also matches before a final newline); pyoxigraph
  follows XPath (`$` only at the end);
* rdflib normalises literals when parsing ("01"^^xsd:integer becomes "1", "1"^^xsd:boolean
  becomes "true"); pyoxigraph keeps the lexical form, so sh:value / sh:hasValue / sh:in see
  the literal as written;
* with allow_warnings, pyshacl counts a nested shape whose only results are warnings/infos as
  conforming inside sh:or / sh:qualifiedValueShape; here any result is non-conformance.

Query text never contains data: only IRIs and literals of the shapes graph (the project's
own), IRIs checked to contain no `>`, whitespace or other characters illegal in an IRIREF.
"""

from graph.shacl.model import ShaclResult
from graph.shacl.runner import compile_shapes, validate_with_sparql
from graph.shacl.terms import to_rdflib

__all__ = ["ShaclResult", "compile_shapes", "to_rdflib", "validate_with_sparql"]
