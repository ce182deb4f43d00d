"""Re-export the SHACL-to-SPARQL validator of graph.shacl under its original module name."""

from graph.shacl import ShaclResult, compile_shapes, to_rdflib, validate_with_sparql
from graph.shacl.terms import _to_ox

__all__ = ["ShaclResult", "_to_ox", "compile_shapes", "to_rdflib", "validate_with_sparql"]
