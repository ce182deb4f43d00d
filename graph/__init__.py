"""marketing-kg's pipeline: articles to a SHACL-validated RDF graph, stores and the `mkg` command."""
