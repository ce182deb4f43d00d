"""Building the graph: golden facts from the seed articles, SHACL, determinism, safe swaps."""

from __future__ import annotations

import errno
import json

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from graph.pipeline.build import build
from graph.vocab import SCHEMA, Vocabulary
from tests.conftest import CONTENT, article_text

V = Vocabulary()
MKG = V.MKG


def labels(graph, slug, lang):
    return sorted(str(o) for o in graph.objects(V.concept(slug), SKOS.prefLabel) if o.language == lang)


def test_seed_build_conforms_and_reports(seed_build):
    report, out = seed_build
    assert report.conforms
    assert report.validation.counts()["Violation"] == 0
    saved = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert saved["written"] and saved["triples"] == report.triples
    assert saved["counts"]["concepts_with_article"] == 2
    assert {"parse", "extract", "validate", "write"} <= set(saved["timings"])


def test_seed_concept_labels_and_definition(seed_graph):
    assert labels(seed_graph, "viral-marketing", "ar") == ["التسويق الفيروسي"]
    assert labels(seed_graph, "viral-marketing", "en") == ["Viral Marketing"]
    assert labels(seed_graph, "social-media-marketing-smm", "ar") == ["التسويق عبر وسائل التواصل الاجتماعي"]
    assert labels(seed_graph, "social-media-marketing-smm", "en") == ["Social Media Marketing (SMM)"]
    definition = seed_graph.value(V.concept("viral-marketing"), SKOS.definition)
    assert definition.language == "ar"
    assert str(definition) == ("يسعى التسويق الفيروسي إلى نشر المعلومات حول منتج أو خدمة من شخص لآخر عن طريق "
                               "الكلام الشفهي أو المشاركة عبر الإنترنت أو البريد الإلكتروني.")


def test_seed_concepts_are_typed_and_sourced(seed_graph):
    concept = V.concept("viral-marketing")
    assert (concept, RDF.type, MKG.Concept) in seed_graph
    assert (concept, RDF.type, SKOS.Concept) in seed_graph
    assert (concept, SKOS.inScheme, V.concept_scheme) in seed_graph
    assert seed_graph.value(concept, MKG.hasArticle) == Literal(True, datatype=XSD.boolean)
    page = seed_graph.value(concept, SCHEMA.subjectOf)
    assert str(seed_graph.value(page, MKG.sourcePath)) == "viral-marketing.md"
    assert len(str(seed_graph.value(page, MKG.contentHash))) == 64


def test_seed_keywords(seed_graph):
    for slug in ("viral-marketing", "social-media-marketing-smm"):
        keywords = set(seed_graph.objects(V.concept(slug), MKG.hasKeyword))
        assert keywords == {V.keyword("business"), V.keyword("marketing-essentials")}
    assert seed_graph.value(V.keyword("marketing-essentials"), SKOS.prefLabel) == Literal(
        "Marketing Essentials", lang="en")


def test_seed_links_and_anchor_texts(seed_graph):
    rows = seed_graph.query(
        """SELECT ?src ?tgt ?anchor ?line WHERE {
             ?l a mkg:Link ; mkg:linkSource ?src ; mkg:linkTarget ?tgt ; mkg:anchorText ?anchor ;
                mkg:sourceLine ?line }""",
        initNs={"mkg": MKG},
    )
    found = {(V.slug_of(str(r.src))[1], V.slug_of(str(r.tgt))[1], str(r.anchor), int(r.line)) for r in rows}
    assert found == {
        ("viral-marketing", "marketing", "تسويقية", 10),
        ("viral-marketing", "word-of-mouth-marketing", "التسويق التقليدي الشفهي", 14),
        ("viral-marketing", "btoc", "الأعمال إلى المستهلك", 16),
        ("viral-marketing", "social-media", "وسائل التواصل الاجتماعي", 22),
        ("viral-marketing", "marketing-campaign", "حملات التسويق التقليدية", 40),
        ("viral-marketing", "sales-lead", "العميل المحتمل", 50),
        ("social-media-marketing-smm", "social-media", "وسائل التواصل الاجتماعي", 16),
        ("social-media-marketing-smm", "social-networking", "الشبكات الاجتماعية", 16),
        ("social-media-marketing-smm", "data-analytics", "تحليلات بيانات مبنية لهذا الغرض", 16),
        ("social-media-marketing-smm", "word-of-mouth-marketing", "توصيات eWOM", 24),
        ("social-media-marketing-smm", "big-data", "البيانات الضخمة", 26),
        ("social-media-marketing-smm", "demographics", "والديموغرافية", 30),
        ("social-media-marketing-smm", "customer-relation-management", "إدارة علاقات العملاء المستهدفة", 48),
        ("social-media-marketing-smm", "viral-marketing", "التسويق الفيروسي", 54),
    }
    assert (V.concept("social-media-marketing-smm"), MKG.linksTo, V.concept("viral-marketing")) in seed_graph


def test_seed_red_links(seed_graph):
    red = {V.slug_of(str(s))[1] for s in seed_graph.subjects(MKG.hasArticle, Literal(False, datatype=XSD.boolean))
           if (None, MKG.linksTo, s) in seed_graph}  # defined terms without an article are not red links
    assert red == {"marketing", "word-of-mouth-marketing", "btoc", "social-media", "marketing-campaign",
                   "sales-lead", "social-networking", "data-analytics", "big-data", "demographics",
                   "customer-relation-management"}
    crm = V.concept("customer-relation-management")
    assert labels(seed_graph, "customer-relation-management", "en") == ["Customer Relation Management"]
    assert (crm, MKG.slugAlias, Literal("customer_relation_management")) in seed_graph
    assert labels(seed_graph, "marketing", "ar") == ["تسويقية"]


def test_raw_html_link_never_becomes_a_concept(seed_graph):
    iris = {str(s) for s in seed_graph.subjects()} | {str(o) for o in seed_graph.objects() if isinstance(o, URIRef)}
    assert not any("7viEV" in iri for iri in iris)


def test_same_content_gives_byte_identical_turtle(tmp_path, seed_build):
    _, first = seed_build
    report = build(CONTENT, tmp_path / "again")
    assert (tmp_path / "again" / "graph.ttl").read_bytes() == (first / "graph.ttl").read_bytes()
    assert report.version == json.loads((first / "report.json").read_text())["version"]


def test_failed_build_leaves_previous_output_untouched(write_article, tmp_path):
    write_article("good.md", article_text(title="جيد"))
    out = tmp_path / "build"
    assert build(tmp_path / "content", out).written
    before = (out / "graph.ttl").read_bytes()
    write_article("broken.md", "---\ntitle: [\n---\n")
    report = build(tmp_path / "content", out)
    assert not report.written and "rejected" in report.failure
    assert report.rejected == ["broken.md"]
    assert (out / "graph.ttl").read_bytes() == before


def test_keep_going_skips_rejected_files(write_article, tmp_path):
    write_article("good.md", article_text(title="جيد", body="[x](/other)"))
    write_article("broken.md", "no front matter")
    report = build(tmp_path / "content", tmp_path / "build", keep_going=True)
    assert report.written and report.rejected == ["broken.md"]
    saved = json.loads((tmp_path / "build" / "report.json").read_text())
    assert saved["rejected"] == ["broken.md"]


def test_strict_fails_on_warnings(write_article, tmp_path):
    write_article("a.md", article_text(body="<div>raw</div>\n"))
    assert build(tmp_path / "content", tmp_path / "b1").written
    report = build(tmp_path / "content", tmp_path / "b2", strict=True)
    assert not report.written and "strict" in report.failure


def test_disk_full_during_write_keeps_the_old_build(write_article, tmp_path, monkeypatch):
    write_article("a.md", article_text())
    out = tmp_path / "build"
    assert build(tmp_path / "content", out).written
    before = (out / "graph.ttl").read_bytes()

    def disk_full(paths, output):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("graph.pipeline.build.merge_shards", disk_full)
    report = build(tmp_path / "content", out)
    assert not report.written
    assert "No space left on device" in report.failure and "previous build is kept" in report.failure
    assert (out / "graph.ttl").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "content"]


def test_base_iri_is_configurable(write_article, tmp_path):
    write_article("a.md", article_text(body="[x](/b)"))
    vocab = Vocabulary("http://data.example.org/kg/")
    report = build(tmp_path / "content", tmp_path / "build", vocab=vocab)
    assert report.written and report.conforms
    text = (tmp_path / "build" / "graph.ttl").read_text()
    assert "<http://data.example.org/kg/concept/>" in text
    assert "marketing-kg.example" not in text


def test_anchor_equal_to_the_english_label_is_not_a_hidden_label(write_article, tmp_path):
    write_article("crm.md", article_text(title="إدارة علاقات العملاء (CRM)"))
    write_article("other.md", article_text(title="آخر", body="[CRM](/crm)"))
    report = build(tmp_path / "content", tmp_path / "build")
    assert report.written and report.conforms, report.validation.to_text()


def test_both_validation_engines_agree_on_the_seeds(tmp_path, seed_build):
    built, _ = seed_build
    assert built.engine == "shacl"
    reference = build(CONTENT, tmp_path / "build", engine="pyshacl")
    assert reference.written and reference.engine == "pyshacl"
    assert built.validation.counts() == reference.validation.counts()
    assert built.counts == reference.counts
    assert [r.as_dict() for r in built.validation.results] == [r.as_dict() for r in reference.validation.results]


def test_a_build_failing_validation_stops_its_read_model_process(write_article, tmp_path, monkeypatch):
    import multiprocessing
    import shutil

    from graph.config import ONTOLOGY_DIR, ONTOLOGY_FILES
    from graph.readmodel import persist

    ontology = tmp_path / "ontology"
    ontology.mkdir()
    for name in ONTOLOGY_FILES:
        shutil.copy(ONTOLOGY_DIR / name, ontology / name)
    with (ontology / "shapes.ttl").open("a", encoding="utf-8") as shapes:  # one more rule no concept meets
        shapes.write("\nmkgsh:Concept-nine-labels a sh:PropertyShape ; sh:targetClass mkg:Concept ;\n"
                     "    sh:path skos:prefLabel ; sh:minCount 9 .\n")
    monkeypatch.setattr(persist, "_APART_BYTES", 0)  # the read model in its own process, as for big graphs
    write_article("a.md", article_text())
    report = build(tmp_path / "content", tmp_path / "build", ontology_dir=ontology)
    assert not report.written and "SHACL violation" in report.failure
    assert report.validation.counts()["Violation"] >= 1
    assert not (tmp_path / "build").exists()
    assert not [p for p in multiprocessing.active_children() if p.name == "mkg-readmodel"]
