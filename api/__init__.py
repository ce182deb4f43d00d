"""The HTTP layer: ``create_app(settings)`` serves one graph version over SPARQL, REST, Linked Data and HTML.

Usage::

    from api import create_app
    app = create_app({"graph_file": "build/graph.nt"})
"""

from api.app import create_app

__all__ = ["create_app"]
