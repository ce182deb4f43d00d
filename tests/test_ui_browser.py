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
    target = page.evaluate("""() => {
        const cy = document.getElementById('graph').cy;
        const node = cy.nodes('.concept').filter(n => !n.hasClass('self') && n.data('href')).sort(
            (a, b) => a.data('slug') < b.data('slug') ? -1 : 1)[0];
        const p = node.renderedPosition();
        return {slug: node.data('slug'), label: node.data('label'), x: p.x, y: p.y};
    }""")
    box = page.locator("#graph").bounding_box()
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    page.wait_for_url(re.compile("/concept/" + re.escape(requests.utils.quote(target["slug"], safe="")) + "$"))
    assert page.locator("#concept-title").inner_text().startswith(target["label"])
    watch.assert_clean()


def test_run_an_example_sparql_query(watch, live_server):
    page = watch.page
    page.goto(live_server + "/query")
    page.locator(".CodeMirror").wait_for()
    assert page.locator(".CodeMirror .cm-keyword").count() > 0  # Yasqe's SPARQL highlighting ran
    assert page.locator(".CodeMirror .parseErrorIcon").count() == 0  # the project prefixes are declared
    page.click("#example-keywords")
    page.wait_for_selector("#sparql-form[data-state=done]")
    rows = int(page.get_attribute("#result-table", "data-row-count"))
    query = page.locator("#example-keywords").get_attribute("data-query")
    answer = requests.get(live_server + "/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=10).json()
    assert rows == len(answer["results"]["bindings"]) > 0
    assert page.locator("#result-table tbody tr").count() == rows
    assert page.locator("#result-table thead th").all_inner_texts() == ["?keyword", "?label", "?concepts"]
    first_keyword = page.locator("#result-table tbody tr").first.locator("td").first.inner_text()
    assert first_keyword.startswith("https://marketing-kg.example/keyword/")
    assert page.locator(".CodeMirror .parseErrorIcon").count() == 0
    assert "PREFIX mkg: <https://marketing-kg.example/ontology#>" in page.evaluate(
        "document.getElementById('query').value")
    page.set_viewport_size({"width": 1280, "height": 1100})
    screenshot(page, "sparql-page.png")

    page.select_option("#download-format", "csv")
    href = page.get_attribute("#download-link", "href")
    csv = requests.get(live_server + href, timeout=10)
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == rows + 1

    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" LIMIT 1")
    page.keyboard.press("Control+Enter")  # Yasqe's run shortcut, answered by our endpoint
    page.wait_for_function("() => document.getElementById('result-table').dataset.rowCount === '1'")
    assert page.locator("#result-table tbody tr").count() == 1

    page.click("#example-describe")
    page.wait_for_function("() => document.getElementById('result-text').textContent.includes('viral-marketing')")
    assert page.locator("#download-format option[value=turtle]").is_enabled()
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
    from graph.build import build
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
