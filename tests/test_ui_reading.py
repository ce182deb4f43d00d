"""The pages read right: language and direction follow the text, counts agree with lists, words not code names."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from graph.arabic import is_arabic
from graph.readmodel.related import REASONS

HTML = {"Accept": "text/html"}
PAGES = {"/": "ar", "/?q=التسويق": "ar", "/sparql": "en", "/validation": "en", "/ontology": "en",
         "/keyword/business": "ar", "/organization/youtube": "ar"}
CONCEPTS = ["viral-marketing", "social-media-marketing-smm", "btoc", "customer-relation-management", "social-media"]
LATIN = re.compile(r"[A-Za-z]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
RELATIONS = ("linksTo", "hasKeyword", "definesTerm", "definedIn")  # "mentions" is also the English word


class Texts(HTMLParser):
    """Collect each visible text with the direction in force (nearest dir attribute) and the tags around it."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, str, list[str]]] = []  # (text, dir in force, enclosing tags)

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data) -> None:
        tags = [tag for tag, _ in self.stack]
        if not data.strip() or {"script", "style", "title", "textarea"} & set(tags):
            return
        direction = next((attrs["dir"] for _, attrs in reversed(self.stack) if attrs.get("dir")), "ltr")
        self.texts.append((data.strip(), direction, tags))


def texts(page: str) -> list[tuple[str, str, list[str]]]:
    parser = Texts()
    parser.feed(page)
    return parser.texts


@pytest.fixture(scope="module")
def client(seed_build, make_client):
    _, out = seed_build
    return make_client(graph_file=out / "graph.nt")


def _page(client, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", [*PAGES, *(f"/concept/{slug}" for slug in CONCEPTS)])
def test_each_text_is_shown_in_the_direction_of_its_script(client, path):
    """Arabic text in a right-to-left (or auto) block, Latin-only text in a left-to-right (or auto) one.

    Code (a markdown link to paste, say) is source text and reads left to right whatever its words.
    """
    page = _page(client, path)
    wrong = []
    for text, direction, tags in texts(page):
        if "code" in tags:
            assert direction == "ltr", (path, text)
            continue
        first = next((ch for ch in text if ch.isalpha()), "")
        expected = ("rtl", "auto") if is_arabic(first) else ("ltr", "auto") if LATIN.search(text) else None
        if expected and direction not in expected and (is_arabic(first) or not is_arabic(text)):
            wrong.append((text[:60], direction))
    assert wrong == [], f"{path}: text shown against its script's direction: {wrong[:10]}"


@pytest.mark.parametrize("path", [*PAGES, *(f"/concept/{slug}" for slug in CONCEPTS)])
def test_the_page_language_and_direction_follow_its_content(client, path):
    page = _page(client, path)
    language = PAGES.get(path, "ar")
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in page


def _items(page: str, list_id: str) -> int:
    return len(re.findall(r"<li>", page.split(f'id="{list_id}"')[1].split("</ul>")[0]))


def test_home_counts_agree_with_their_lists_and_the_stats(client):
    page = _page(client, "/")
    stats = client.get("/api/stats").json
    red = int(re.search(r'id="stat-red-links">(\d+)<', page)[1])
    assert red == _items(page, "red-links") == stats["red_links"]["count"]
    assert f"روابط حمراء ({red})" in page
    articles = int(re.search(r'id="stat-articles">(\d+)<', page)[1])
    assert articles == _items(page, "articles") == stats["kinds"]["article"]
    assert f"مقالات يتيمة ({_items(page, 'orphans')})" in page and _items(page, "orphans") == stats["orphans"]["count"]


@pytest.mark.parametrize("slug", CONCEPTS)
def test_reasons_relations_and_kinds_are_words_not_code_names(client, slug):
    visible = " ".join(text for text, _, tags in texts(_page(client, f"/concept/{slug}")) if "code" not in tags)
    for code in (*REASONS, *RELATIONS, "redlink"):
        assert not re.search(rf"\b{code}\b", visible), f"/concept/{slug} shows the code name {code!r}"


def test_related_reasons_are_in_arabic_and_english(client):
    page = _page(client, "/concept/social-media-marketing-smm")
    related = page.split('id="related"')[1].split("</section>")[0]
    for arabic, english in (("يرتبط به", "links to it"), ("كلمات مفتاحية مشتركة", "shared keywords")):
        assert f'<span lang="ar">{arabic}</span> <span class="en" lang="en" dir="ltr">{english}</span>' in related
    assert 'href="/keyword/business"' in related  # what a shared keyword came through, as a link


def test_graph_relations_are_labelled_in_words_with_their_api_names_as_values(client):
    form = _page(client, "/concept/social-media-marketing-smm").split('id="graph-controls"')[1].split("</form>")[0]
    assert 'value="hasKeyword"> <span lang="ar">كلمة مفتاحية</span> <span class="en" lang="en" dir="ltr">has keyword' \
        in form


def test_english_labels_keep_the_acronyms(client):
    page = _page(client, "/concept/btoc")
    assert '<span class="en" lang="en" dir="ltr">B-to-C</span></h1>' in page
    assert "Btoc" not in _page(client, "/")


def test_validation_shows_properties_as_prefixed_names_that_never_break(client):
    page = _page(client, "/validation")
    assert '<code class="path">skos:definition</code>' in page
