"""The web UI in a real browser: Playwright driving Debian's chromium against `mkg serve` (gunicorn).

Screenshots go to test-artifacts/ui/ (git-ignored); docs/screenshots/ holds copies of two of them.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "ui"
LAUNCH_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
if not CHROMIUM.is_file():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


class PageWatch:
    """A page plus what it reported: console messages, uncaught errors, dialogs, requests to other hosts."""

    def __init__(self, page, origin: str) -> None:
        self.page, self.console, self.errors, self.dialogs, self.foreign = page, [], [], [], []
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dialog)
        page.on("request", lambda request: None if request.url.startswith((origin, "data:"))
                else self.foreign.append(request.url))
        page.set_default_timeout(TIMEOUT_MS)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.csp_violations() == [], self.csp_violations()
        assert self.foreign == [], f"requests left the service: {self.foreign}"
        assert self.dialogs == []


@pytest.fixture(scope="module")
def live_server(seed_build, tmp_path_factory):
    """`mkg serve` (gunicorn) on the seed graph with the embedded store, for this module only."""
    from tests.servers import serve_app

    _, out = seed_build
    where = tmp_path_factory.mktemp("ui-server")
    with serve_app(out / "graph.nt", where / "server.log", env={"MKG_QUERY_WORKERS": "1"}) as server:
        yield server.url


@pytest.fixture
def watch(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    page = context.new_page()
    yield PageWatch(page, live_server)
    context.close()


def screenshot(page, name: str, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    return path


def neighbour_count(base: str, slug: str, **params) -> int:
    """Return how many nodes /api/concepts/{slug}/neighbours answers for these parameters."""
    response = requests.get(f"{base}/api/concepts/{slug}/neighbours", params={"limit": 300, **params}, timeout=10)
    response.raise_for_status()
    return len(response.json()["nodes"])


def wait_graph(page, count: int | None = None) -> int:
    """Wait until the graph is drawn (with `count` nodes when given) and return its node count."""
    if count is None:
        page.wait_for_selector("#graph[data-state=ready]")
    else:
        page.wait_for_function(
            "n => { const g = document.getElementById('graph');"
            " return g.dataset.state === 'ready' && g.dataset.nodeCount === String(n); }", arg=count)
    drawn = page.evaluate("document.getElementById('graph').cy.nodes().length")
    assert int(page.get_attribute("#graph", "data-node-count")) == drawn
    return drawn


def test_search_in_arabic_and_pick_a_result(watch, live_server):
    page = watch.page
    page.goto(live_server + "/")
    page.locator("#search-input").press_sequentially("التسويق الفيروس", delay=20)
    option = page.locator("#search-suggestions[data-query='التسويق الفيروس'] li[data-slug='viral-marketing']")
    option.wait_for()
    marked = option.locator("mark").inner_text()
    assert marked and marked in option.inner_text()
    screenshot(page, "home-autocomplete.png")
    option.click()
    page.wait_for_url(re.compile(r"/concept/viral-marketing$"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.title().startswith("التسويق الفيروسي")
    assert page.locator("#concept-title").inner_text().startswith("التسويق الفيروسي")
    assert page.locator("#concept-title .en").inner_text() == "Viral Marketing"
    direction = page.evaluate("getComputedStyle(document.querySelector('#definition')).direction")
    assert direction == "rtl"
    watch.assert_clean()


def test_keyboard_pick_with_arrow_keys(watch, live_server):
    page = watch.page
    page.goto(live_server + "/")
    page.locator("#search-input").press_sequentially("وسائل التواصل", delay=20)
    page.locator("#search-suggestions[data-query='وسائل التواصل'] li").first.wait_for()
    first_slug = page.locator("#search-suggestions li").first.get_attribute("data-slug")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/concept/{re.escape(first_slug)}$"))
    watch.assert_clean()


def test_neighbourhood_graph_has_the_api_node_count(watch, live_server):
    page = watch.page
    page.goto(live_server + "/concept/viral-marketing")
    drawn = wait_graph(page)
    expected = neighbour_count(live_server, "viral-marketing", depth=2, direction="both", relation="linksTo")
    assert drawn == expected > 3
    page.set_viewport_size({"width": 1280, "height": 1500})
    screenshot(page, "concept-page.png")
    screenshot(page, "concept-page-full.png", full_page=True)
    page.locator("#neighbourhood").screenshot(path=str(ARTIFACTS / "concept-graph.png"))

    page.select_option("#graph-depth", "1")
    one_hop = neighbour_count(live_server, "viral-marketing", depth=1, direction="both", relation="linksTo")
    assert wait_graph(page, one_hop) == one_hop < expected

    page.check("input[name=relation][value=hasKeyword]")
    with_keywords = neighbour_count(live_server, "viral-marketing", depth=1, direction="both",
                                    relation="linksTo,hasKeyword")
    assert wait_graph(page, with_keywords) == with_keywords > one_hop
    assert page.evaluate("document.getElementById('graph').cy.nodes('.keyword').length") > 0
    watch.assert_clean()


def test_clicking_a_node_opens_its_page(watch, live_server):
    page = watch.page
    page.goto(live_server + "/concept/viral-marketing")
    wait_graph(page)
    page.locator("#graph").scroll_into_view_if_needed()
    # The layout is random: click the first node (by slug) whose centre no other node covers, scrolled into view.
    target = page.evaluate("""() => {
        const graph = document.getElementById('graph'), cy = graph.cy;
        const covered = (node, p) => cy.nodes().some(other => other !== node && (b => b.x1 <= p.x && p.x <= b.x2
            && b.y1 <= p.y && p.y <= b.y2)(other.renderedBoundingBox()));
        const node = cy.nodes('.concept').filter(n => !n.hasClass('self') && n.data('href')).sort(
            (a, b) => a.data('slug') < b.data('slug') ? -1 : 1).filter(n => !covered(n, n.renderedPosition()))[0];
        window.scrollBy(0, graph.getBoundingClientRect().top + node.renderedPosition().y - window.innerHeight / 2);
        return {slug: node.data('slug'), label: node.data('label')};
    }""")
    point = page.evaluate("""(slug) => {  // after the scroll: cytoscape rereads its container's place on resize()
        const graph = document.getElementById('graph'), cy = graph.cy;
        cy.resize();
        const p = cy.nodes().filter(n => n.data('slug') === slug)[0].renderedPosition(), box = graph.getBoundingClientRect();
        const x = box.left + p.x, y = box.top + p.y;
        return {x, y, inside: graph.contains(document.elementFromPoint(x, y))};
    }""", target["slug"])
    assert point["inside"], (target, point)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile("/concept/" + re.escape(requests.utils.quote(target["slug"], safe="")) + "$"))
    assert page.locator("#concept-title").inner_text().startswith(target["label"])
    watch.assert_clean()


def yasr_rows(page) -> list[list[str]]:
    """Return the cells of the rows Yasr's table shows (the row-number column left out)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('#yasr table.dataTable tbody tr'))
        .map(tr => Array.from(tr.querySelectorAll('td')).slice(1).map(td => td.innerText.trim()))""")


def test_yasgui_runs_a_query_with_sorting_paging_and_the_raw_response(watch, live_server):
    page = watch.page
    page.goto(live_server + "/query")  # the old address: 308 to /sparql
    assert page.url == live_server + "/sparql"
    page.locator(".CodeMirror").wait_for()
    assert page.locator(".CodeMirror .cm-keyword").count() > 0  # Yasqe's SPARQL highlighting ran
    assert page.locator(".CodeMirror .parseErrorIcon").count() == 0  # the project prefixes are declared
    page.click("#example-keywords")
    page.wait_for_selector("#sparql-form[data-state=done]")
    query = page.locator("#example-keywords").get_attribute("data-query")
    answer = requests.get(live_server + "/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=10).json()
    page.wait_for_selector("#yasr table.dataTable tbody tr")
    assert len(yasr_rows(page)) == len(answer["results"]["bindings"]) > 0
    headers = page.locator("#yasr table.dataTable thead th").all_inner_texts()
    assert [h.strip() for h in headers[1:]] == ["keyword", "label", "concepts"]
    assert "PREFIX mkg: <https://marketing-kg.example/ontology#>" in page.evaluate(
        "document.getElementById('query').value")
    page.set_viewport_size({"width": 1280, "height": 1100})
    screenshot(page, "sparql-page.png")

    # more rows than a page: every concept's every label
    labels = ("SELECT ?concept ?label WHERE { ?concept a mkg:Concept ; skos:prefLabel ?label } "
              "ORDER BY ?concept ?label")
    total = len(requests.get(live_server + "/sparql", params={"query": "PREFIX mkg: <https://marketing-kg.example/"
                                                                       "ontology#> PREFIX skos: <http://www.w3.org/2004"
                                                                       "/02/skos/core#> " + labels},
                             headers={"Accept": "application/sparql-results+json"}, timeout=10)
                .json()["results"]["bindings"])
    assert total > 10
    page.evaluate("q => document.querySelector('.CodeMirror').CodeMirror.setValue(q)",
                  "PREFIX mkg: <https://marketing-kg.example/ontology#>\n"
                  "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + labels)
    page.click("#run-query")
    page.wait_for_function(f"() => document.getElementById('yasr').dataset.rowCount === '{total}'")
    page.select_option("#yasr select.tableSizer", "10")
    page.wait_for_function("() => document.querySelectorAll('#yasr table.dataTable tbody tr').length === 10")
    first_page = yasr_rows(page)
    assert f"of {total} entries" in page.locator("#yasr .dt-info").inner_text()
    page.locator("#yasr .dt-paging button.next").click()
    page.wait_for_function("first => document.querySelector('#yasr table.dataTable tbody tr td:nth-child(2)')"
                           ".innerText.trim() !== first", arg=first_page[0][0])
    second_page = yasr_rows(page)
    assert second_page and second_page[0] != first_page[0]
    assert "11 to " in page.locator("#yasr .dt-info").inner_text()

    page.select_option("#yasr select.tableSizer", "-1")  # all rows, then sort by label, both ways
    page.wait_for_function(f"() => document.querySelectorAll('#yasr table.dataTable tbody tr').length === {total}")
    label_header = page.locator("#yasr table.dataTable thead th").nth(2)
    orders = {}
    for wanted in ("ascending", "descending"):
        label_header.click()
        page.wait_for_function("want => document.querySelectorAll('#yasr table.dataTable thead th')[2]"
                               ".getAttribute('aria-sort') === want", arg=wanted)
        orders[wanted] = [row[1] for row in yasr_rows(page)]
    assert orders["ascending"] != orders["descending"]
    assert orders["ascending"] == list(reversed(orders["descending"]))

    page.locator("#yasr button.select_response").click()  # the raw response
    raw = page.locator("#yasr .CodeMirror").first
    raw.wait_for()
    assert '"bindings"' in page.evaluate("document.querySelector('#yasr .CodeMirror').CodeMirror.getValue()")
    assert page.locator("#yasr .yasr_downloadIcon").count() == 1  # Yasr's own download

    page.select_option("#download-format", "csv")  # and every format of the endpoint
    href = page.get_attribute("#download-link", "href")
    csv = requests.get(live_server + href, timeout=10)
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == total + 1

    page.locator("#yasqe .CodeMirror").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" LIMIT 1")
    page.keyboard.press("Control+Enter")  # Yasqe's run shortcut, answered by our endpoint
    page.wait_for_function("() => document.getElementById('yasr').dataset.rowCount === '1'")

    page.click("#example-describe")  # a CONSTRUCT: Turtle, in the raw response view
    page.wait_for_function("() => document.getElementById('sparql-form').dataset.state === 'done'"
                           " && document.getElementById('query-status').textContent.includes('triples')")
    assert "viral-marketing" in page.evaluate("document.querySelector('#yasr .CodeMirror').CodeMirror.getValue()")
    assert page.locator("#download-format option[value=turtle]").is_enabled()
    watch.assert_clean()


def test_text_search_and_link_suggestions_pages(watch, live_server):
    page = watch.page
    page.goto(live_server + "/?q=" + requests.utils.quote("دلو الثلج"))
    hit = page.locator("#text-hits li[data-slug='viral-marketing']")
    assert hit.locator("mark").all_inner_texts() == ["دلو", "الثلج"]
    assert "أمثلة على التسويق الفيروسي" in hit.inner_text()
    hit.locator("a.node").first.click()
    page.wait_for_url(re.compile(r"/concept/viral-marketing$"))
    suggestions = page.locator("#link-suggestions li")
    api = requests.get(live_server + "/api/concepts/viral-marketing/link-suggestions", timeout=10).json()
    assert suggestions.count() == api["total"] > 0
    first = suggestions.first
    assert first.get_attribute("data-target") == api["items"][0]["target"]["slug"]
    assert first.locator("mark").inner_text() == api["items"][0]["text"]
    page.locator("#link-suggestions").screenshot(path=str(ARTIFACTS / "link-suggestions.png"))
    watch.assert_clean()


def test_validation_and_ontology_pages_render_without_violations(watch, live_server):
    page = watch.page
    page.goto(live_server + "/validation")
    assert page.locator("h1").inner_text() == "SHACL validation report"
    assert page.locator("section.severity").count() >= 1
    page.goto(live_server + "/ontology")
    assert page.locator("#linksTo h3").inner_text().startswith("mkg:linksTo")
    watch.assert_clean()


def test_narrow_pages_never_break_a_code_name_or_interleave_two_languages(browser, live_server):
    """At phone width: property names on /validation stay on one line; a red link's English label has its own."""
    context = browser.new_context(viewport={"width": 420, "height": 900}, locale="ar")
    page = PageWatch(context.new_page(), live_server)
    try:
        page.page.goto(live_server + "/validation")
        lines = page.page.eval_on_selector_all("code.path", "codes => codes.map(c => c.getClientRects().length)")
        assert lines and set(lines) == {1}, lines
        page.page.goto(live_server + "/")
        rows = page.page.eval_on_selector_all(
            "#red-links li", "items => items.map(li => [li.querySelector('a').getBoundingClientRect().bottom,"
            " li.querySelector('.en').getBoundingClientRect().top])")
        assert rows and all(label_bottom <= english_top + 1 for label_bottom, english_top in rows), rows
        screenshot(page.page, "home-narrow.png", full_page=True)
        page.assert_clean()
    finally:
        context.close()


XSS_TITLE = "<img src=x onerror=\"window.__xss=1;alert(1)\"><script>window.__xss=2;alert(2)</script> خبيث"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """`mkg serve` on a tiny content dir whose concept label and definition carry HTML markup."""
    from graph.pipeline.build import build
    from tests.servers import serve_app

    where = tmp_path_factory.mktemp("hostile")
    content = where / "content"
    content.mkdir()
    body = textwrap.dedent("""\
        يشرح هذا [التسويق](/marketing) و [العنوان الخبيث](/hostile).
        """)
    for name, title in (("hostile", XSS_TITLE), ("plain", "مقالة عادية")):
        description = "<b onmouseover=\"window.__xss=3\">وصف</b> <script>window.__xss=4</script>"
        (content / f"{name}.md").write_text(
            "---\nkeywords: \"<i>Business</i>, Marketing\"\n"
            f"title: '{title}'\ndescription: '{description}'\n---\n\n# {title}\n\n{body}", encoding="utf-8")
    report = build(content, where / "build")
    assert report.written, report.failure
    with serve_app(where / "build" / "graph.nt", where / "server.log", env={"MKG_QUERY_WORKERS": "1"}) as server:
        yield server.url


def test_markup_in_a_label_is_shown_as_text_and_never_runs(browser, hostile_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = PageWatch(page, hostile_server)
    try:
        for path in ("/concept/hostile", "/concept/plain", "/", "/?q=" + requests.utils.quote("خبيث")):
            page.goto(hostile_server + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("typeof window.__xss") == "undefined", path
        page.goto(hostile_server + "/concept/hostile")
        wait_graph(page)
        title = page.locator("#concept-title").inner_text()
        assert title.startswith("<img src=x onerror=") and "<script>window.__xss=2;alert(2)</script>" in title
        assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
        assert page.locator("#definition b").count() == 0
        labels = page.evaluate("document.getElementById('graph').cy.nodes().map(n => n.data('label'))")
        assert any(label.startswith("<img") for label in labels), labels
        page.goto(hostile_server + "/")
        page.locator("#search-input").press_sequentially("خبيث", delay=20)
        option = page.locator("#search-suggestions[data-query='خبيث'] li[data-slug='hostile']")
        option.wait_for()
        assert "<script>" in option.inner_text()
        page.wait_for_timeout(300)
        assert page.evaluate("typeof window.__xss") == "undefined"
        screenshot(page, "hostile-label.png")
        assert watch.dialogs == [] and watch.errors == []
    finally:
        context.close()


@pytest.fixture
def host_site(live_server):
    """Another origin: a page on its own local port, under a strict CSP, embedding the widget from the service."""
    import http.server
    import threading

    service = live_server
    policy = (f"default-src 'none'; script-src {service}; connect-src {service}; style-src 'self'; img-src 'none'; "
              "base-uri 'none'")
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A team's site</title>
<script src="{service}/widget.js" defer></script></head><body><main><h1>Our article</h1>
<mkg-related id="related" slug="viral-marketing" limit="3" lang="ar" href-template="https://site.example/c/{{slug}}">
</mkg-related>
<mkg-related id="unknown" slug="no-such-concept"></mkg-related>
<mkg-related id="hostile" slug="viral-marketing" href-template="javascript:alert(1)//{{slug}}"></mkg-related>
<mkg-related id="english" slug="viral-marketing" limit="2" lang="en" heading=""></mkg-related>
</main></body></html>""".encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_widget_renders_related_concepts_on_another_origin_under_its_csp(browser, live_server, host_site):
    context = browser.new_context(viewport={"width": 900, "height": 700}, locale="en")
    page = context.new_page()
    watch = PageWatch(page, host_site)
    try:
        page.goto(host_site + "/")
        page.wait_for_function("() => ['related', 'unknown', 'hostile', 'english'].every(id => "
                               "['ready', 'empty'].includes(document.getElementById(id).dataset.state))")
        expected = requests.get(f"{live_server}/api/concepts/viral-marketing/related",
                                params={"limit": 3, "lang": "ar"}, timeout=10).json()["results"]
        shown = page.evaluate("""() => {
            const root = document.getElementById('related').shadowRoot;
            const nav = root.querySelector('nav'), list = root.querySelector('ul');
            return {dir: nav.dir, lang: nav.lang, heading: root.querySelector('h2').textContent,
                    labelledBy: nav.getAttribute('aria-labelledby'), role: list.getAttribute('role'),
                    listStyle: getComputedStyle(list).listStyleType,
                    links: Array.from(root.querySelectorAll('li a')).map(a => [a.href, a.textContent, a.lang])};
        }""")
        assert shown["links"] == [[f"https://site.example/c/{requests.utils.quote(r['slug'], safe='')}",
                                   r["label"]["value"], r["label"]["lang"]] for r in expected]
        assert len(shown["links"]) == 3
        assert (shown["dir"], shown["lang"], shown["heading"]) == ("rtl", "ar", "مفاهيم ذات صلة")
        assert shown["labelledBy"] == "title" and shown["role"] == "list"
        assert shown["listStyle"] == "none"  # the adopted stylesheet applies under style-src 'self'
        for empty in ("unknown", "hostile"):  # a 404, and an href-template that is not http(s): nothing at all
            assert page.evaluate(f"document.getElementById('{empty}').shadowRoot.childElementCount") == 0
        english = page.evaluate("""() => {
            const root = document.getElementById('english').shadowRoot;
            return [root.querySelector('nav').dir, root.querySelectorAll('h2').length,
                    root.querySelector('nav').getAttribute('aria-label'),
                    Array.from(root.querySelectorAll('a')).map(a => a.getAttribute('href'))];
        }""")
        assert english[:3] == ["ltr", 0, "Related concepts"]
        assert len(english[3]) == 2 and all(h.startswith(live_server + "/concept/") for h in english[3])
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("#related").screenshot(path=str(ARTIFACTS / "widget.png"))
        assert watch.errors == [] and watch.csp_violations() == [] and watch.dialogs == []
        assert {url.split("/")[2] for url in watch.foreign} == {live_server.split("/")[2]}  # only the service
    finally:
        context.close()
