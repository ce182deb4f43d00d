"""The marketing ontology (marketing.ttl) and its SHACL shapes (shapes.ttl), installed as package data."""
