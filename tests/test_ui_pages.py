"""The HTML pages through the Flask test client: content, right-to-left layout, escaping and the CSP header."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import escape

from api.app import CONTENT_SECURITY_POLICY
from api.examples import EXAMPLES
from api.http import policy_with_styles
from api.ui.pages import yasr_styles
from graph.pipeline.build import build

HTML = {"Accept": "text/html"}
PAGES = ["/", "/?q=التسويق", "/concept/viral-marketing", "/concept/social-media", "/keyword/business", "/sparql",
         "/validation", "/ontology"]
HOSTILE_TITLE = "<script>window.__xss=1</script><img src=x onerror=alert(1)> عنوان"


@pytest.fixture(scope="module")
def client(seed_build, make_client):
    _, out = seed_build
    return make_client(graph_file=out / "graph.nt")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, make_client):
    """A client on a two-article graph whose titles, descriptions and keywords carry markup."""
    where = tmp_path_factory.mktemp("hostile-pages")
    content = where / "content"
    content.mkdir()
    for name in ("hostile", "other"):
        title = HOSTILE_TITLE if name == "hostile" else "مقالة أخرى"
        (content / f"{name}.md").write_text(
            f"---\nkeywords: \"<b>Bold</b>, Marketing\"\ntitle: '{title}'\n"
            "description: '<a href=\"javascript:alert(1)\">وصف</a>'\n---\n\n"
            f"# {title}\n\nرابط إلى [<i>المقالة</i>](/hostile) و [أخرى](/other).\n", encoding="utf-8")
    assert build(content, where / "build").written
    return make_client(graph_file=where / "build" / "graph.nt")


def text_of(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_csp_and_no_inline_script_or_style(client, path):
    response = client.get(path, headers=HTML)
    page = text_of(response)
    assert response.mimetype == "text/html"
    # the query editor also allows, by hash, the three <style> texts of Yasr's column resizer
    expected = policy_with_styles(yasr_styles()) if path == "/sparql" else CONTENT_SECURITY_POLICY
    assert response.headers["Content-Security-Policy"] == expected and "unsafe" not in expected
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "unsafe" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert all(re.fullmatch(r'<script src="/static/[\w/.-]+\.js" defer>', tag) for tag in scripts), scripts
    assert "<style" not in page and not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page.split("<main>")[0])  # no CDN


@pytest.mark.parametrize("path", ["/docs"])  # /sparql (the editor) is among PAGES: only /static/ scripts
def test_the_other_html_pages_also_need_no_inline_style_or_script(client, path):
    response = client.get(path, headers=HTML)
    page = text_of(response)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "<style" not in page and "<script" not in page and not re.search(r"\sstyle=", page)


def test_json_answers_carry_no_csp(client):
    assert "Content-Security-Policy" not in client.get("/api/stats").headers


def test_concept_page_is_right_to_left_with_every_section(client):
    page = text_of(client.get("/concept/viral-marketing", headers=HTML))
    assert '<html lang="ar" dir="rtl">' in page
    assert '<h1 id="concept-title"><span dir="auto">التسويق الفيروسي</span> <span class="en" lang="en" dir="ltr">Viral Marketing' \
        '</span></h1>' in page
    assert "<title>التسويق الفيروسي · marketing-kg</title>" in page
    assert '<code>https://marketing-kg.example/concept/viral-marketing</code>' in page
    assert '<code class="source">viral-marketing.md</code>' in page
    assert page.count("<details>") == 7  # the seed's FAQ, collapsible
    assert 'href="/keyword/business"' in page and 'href="/keyword/marketing-essentials"' in page
    assert 'href="/concept/social-media"' in page
    for anchor in ("#definition", "#neighbourhood", "#links", "#related", "#sections", "#takeaways", "#figures",
                   "#faq"):
        assert f'href="{anchor}"' in page
    assert 'data-api="/api/concepts/viral-marketing/neighbours"' in page
    assert "Noto Naskh Arabic" in text_of(client.get("/static/app.css"))


def test_concept_page_lists_links_both_ways_as_the_rest_api_does(client):
    rest = client.get("/api/concepts/social-media-marketing-smm").json
    page = text_of(client.get("/concept/social-media-marketing-smm", headers=HTML))
    links_out = page.split('id="links-out"')[1].split("</ul>")[0]
    links_in = page.split('id="links-in"')[1].split("</ul>")[0]
    assert sorted(re.findall(r'href="/concept/([^"]+)"', links_out)) == sorted(i["slug"] for i in rest["links_out"])
    assert sorted(re.findall(r'href="/concept/([^"]+)"', links_in)) == sorted(i["slug"] for i in rest["links_in"])
    related = client.get("/api/concepts/social-media-marketing-smm/related").json["results"]
    assert related and f'href="/concept/{related[0]["slug"]}"' in page.split('id="related"')[1]
    for abbreviation in rest["abbreviations"]:
        assert f"<abbr>{abbreviation}</abbr>" in page


def test_home_shows_the_stats_keywords_red_links_and_orphans(client):
    stats = client.get("/api/stats").json
    page = text_of(client.get("/", headers=HTML))
    assert f'<dd id="stat-triples">{stats["triples"]}</dd>' in page
    assert f'<dd id="stat-concepts">{stats["concepts"]}</dd>' in page
    red = page.split('id="red-links"')[1].split("</ul>")[0]
    assert sorted(re.findall(r'href="/concept/([^"]+)"', red)) == sorted(stats["red_links"]["slugs"])
    orphans = page.split('id="orphans"')[1].split("</ul>")[0]
    assert sorted(re.findall(r'href="/concept/([^"]+)"', orphans)) == sorted(stats["orphans"]["slugs"])
    assert 'id="search-input"' in page and 'data-api="/api/search"' in page


def test_home_search_without_javascript_lists_hits(client):
    page = text_of(client.get("/", query_string={"q": "الفيروسي"}, headers=HTML))
    hits = page.split('id="hits"')[1].split("</ol>")[0]
    assert 'href="/concept/viral-marketing"' in hits and "<mark>" in hits


def test_sparql_page_offers_every_example_and_format(client):
    page = text_of(client.get("/sparql", headers=HTML))
    for slug, _title, text in EXAMPLES:
        assert f'id="example-{slug}" data-query="{escape(text)}"' in page
    for fmt in ("json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml"):
        assert f'<option value="{fmt}"' in page
    for vendored in ("yasqe/yasqe.min.js", "yasqe/yasqe.min.css", "yasr/yasr.min.js", "yasr/yasr.min.css"):
        assert f"/static/vendor/{vendored}" in page
        assert client.get(f"/static/vendor/{vendored}").status_code == 200


def test_the_old_editor_address_redirects_to_sparql(client):
    moved = client.get("/query")
    assert moved.status_code == 308 and moved.headers["Location"] == "/sparql"
    with_query = client.get("/query", query_string={"query": "ASK {}"})
    assert with_query.status_code == 308 and with_query.headers["Location"] == "/sparql#query=ASK+%7B%7D"


def test_validation_page_groups_by_severity_and_file(client):
    report = client.get("/api/validation").json
    page = text_of(client.get("/validation", headers=HTML))
    for severity, count in report["counts"].items():
        assert f"{severity}: {count}" in page
        if count:
            assert f'id="{severity.lower()}"' in page
    sources = {r["source"] for r in report["results"] if r["source"]}
    for source in sources:
        assert f"<code>{source}</code>" in page
    assert 'href="/concept/' in page.split('class="severity')[1]


def test_vendored_libraries_and_their_licences_are_served(client):
    for path in ("vendor/cytoscape/cytoscape.min.js", "vendor/yasqe/yasqe.min.js", "vendor/yasqe/yasqe.min.css",
                 "graph.js", "search.js", "sparql.js", "app.css"):
        assert client.get(f"/static/{path}").status_code == 200, path
    assert "MIT" in text_of(client.get("/static/vendor/cytoscape/LICENSE")) or \
        "Permission is hereby granted" in text_of(client.get("/static/vendor/cytoscape/LICENSE"))


@pytest.mark.parametrize("path", ["/concept/hostile", "/concept/other", "/", "/?q=عنوان", "/keyword/bboldb",
                                  "/validation"])
def test_markup_from_the_content_is_escaped(hostile, path):
    page = text_of(hostile.get(path, headers=HTML))
    assert "<script>window" not in page and "<img src=x" not in page and "<b>Bold" not in page
    assert 'href="javascript:' not in page and "<i>المقالة" not in page


def test_escaped_title_is_shown_literally(hostile):
    page = text_of(hostile.get("/concept/hostile", headers=HTML))
    assert html.escape(HOSTILE_TITLE.removesuffix(" عنوان"), quote=False) in page
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;" in page or "&lt;a href=&quot;javascript:" in page


def test_not_found_page_escapes_the_requested_slug(client):
    response = client.get("/concept/%3Cscript%3Ealert(1)%3C%5Cscript%3E", headers=HTML)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;\\script&gt;" in page
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_validation_page_lists_at_most_the_cap_per_severity(client):
    from api.rest.reports import validation_report
    from api.ui.presenters import validation_groups

    with client.application.test_request_context():
        report = validation_report()
        groups = validation_groups(client.application.extensions["mkg"].graph.model, report, 1)
    assert report.results
    for severity, count in report.counts().items():
        assert sum(len(items) for items in groups.get(severity, {}).values()) == min(count, 1)


def test_defined_terms_are_listed_once_under_one_heading(client):
    page = text_of(client.get("/concept/social-media-marketing-smm", headers=HTML))
    section = page.split("Terms defined in this article")[1].split("</ul>")[0]
    assert section.count('href="/concept/viral-marketing"') == 1
    assert page.count("Terms defined in this article") == 1
    viral = text_of(client.get("/concept/viral-marketing", headers=HTML))
    assert viral.count("Defined in (1)") == 1


def test_readme_shows_the_two_screenshots():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("concept-page.png", "sparql-page.png"):
        assert f"(docs/screenshots/{name})" in readme
        assert (ROOT / "docs" / "screenshots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_widget_script_is_served_to_other_sites(client):
    response = client.get("/widget.js", headers={"Origin": "https://www.example.com"})
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff" and "max-age" in response.headers["Cache-Control"]
    script = response.get_data(as_text=True)
    assert 'customElements.define("mkg-related"' in script
    assert "eval(" not in script and "innerHTML" not in script and "new Function" not in script
    assert client.get("/widget.js", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
