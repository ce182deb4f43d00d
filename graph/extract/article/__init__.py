"""Extractors of the facts of an article's body: sections, FAQ, figures, take-aways, summary, terms."""
