"""Key figures: block-quote call-outs made of a heading (the value) and a caption."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF

from graph.extract.article.figures import key_figures
from graph.vocab import Vocabulary
from tests.conftest import article_text

V = Vocabulary()
MKG = V.MKG


def test_seed_key_figure(seed_graph):
    figure = V.part("viral-marketing", "figure", 1)
    assert list(seed_graph.objects(V.concept("viral-marketing"), MKG.keyFigure)) == [figure]
    assert (figure, RDF.type, MKG.KeyFigure) in seed_graph
    assert seed_graph.value(figure, MKG.figureValue) == Literal("115 مليون دولار", lang="ar")
    assert seed_graph.value(figure, MKG.figureCaption) == Literal(
        "مقدار التبرعات التي تم جمعها من ALS Ice Bucket Challenge.", lang="ar")
    assert seed_graph.value(figure, MKG.position) == Literal(1)


def test_seed_quote_without_heading_is_not_a_key_figure(seed_graph, seed_articles):
    assert len(set(seed_graph.subjects(RDF.type, MKG.KeyFigure))) == 1
    articles, _ = seed_articles
    assert key_figures(articles["social-media-marketing-smm"]) == []


def test_same_quote_form_positions_and_non_figures(write_article, extract_graph):
    body = (
        "> ### 80٪\n> من المستهلكين\n> يتأثرون.\n\n"  # one quote: value + two-line caption
        "> ### بلا تعليق\n\nفقرة عادية.\n\n"  # quoted heading followed by an unquoted paragraph
        "### 5 مليارات\n\n> ليس اقتباسا للعنوان.\n\n"  # heading outside any quote
        "> ### 2 مليون\n\n> مستخدم.\n"
    )
    write_article("a.md", article_text(title="أ", body=body))
    graph, _, _ = extract_graph()
    values = {int(graph.value(f, MKG.position)): (str(graph.value(f, MKG.figureValue)),
                                                   str(graph.value(f, MKG.figureCaption)))
              for f in graph.objects(V.concept("a"), MKG.keyFigure)}
    assert values == {1: ("80٪", "من المستهلكين يتأثرون."), 2: ("2 مليون", "مستخدم.")}
