"""The read model: what every server answers from, made once per graph version and kept beside its store.

No Flask here: ``model.py`` (the records: concept, edge, kinds), ``scan.py`` (the rows, from a sorted
N-Triples file or from any Store), ``indexes.py`` (the look-ups), ``persist.py`` (written beside
``store-<version>/``, read back), and pure functions: ``search.py``, ``related.py``, ``paths.py`` (neighbourhoods
and shortest paths), ``facts.py``, ``suggest.py`` (close slugs for an unknown one).

Usage::

    model = persist.ensure(Path("build/store-abc"), store, vocab, Path("build/graph.nt"))
    model.resolve("customer_relation_management")      # ('customer-relation-management', True)
"""
