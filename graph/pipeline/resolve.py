"""Resolve names to concepts: one slug per concept across titles, anchors, terms and abbreviations.

Usage::

    index = ConceptIndex.build(articles)
    index.resolve_name("التَّسويق الفيروسي")   # 'viral-marketing'
    index.red_links()                         # ['big-data', 'btoc', ...]
    index.terms_of("social-media-marketing-smm")[0].label   # 'الاتصال'

Resolution is decided once, here, in a deterministic order (articles sorted by path, then line):
titles, then link anchors, then `(ACRONYM)` after a link, then bold-labelled terms, then
`(ACRONYM)` after a title or term label written in running text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache

from graph.arabic import LATIN_ACRONYM, is_arabic
from graph.arabic import match_key as _match_key
from graph.parse.content import Article, Block
from graph.vocab import canonical_slug

_TRAILING_ACRONYM = re.compile(r"\s*\(\s*([A-Z0-9][A-Za-z0-9\-]{1,11})\s*\)\s*$")
# `**Term:** text`, `**Term**: text` and the unparsed `** Term: ** text` (spaces inside the asterisks).
_BOLD_LABEL = re.compile(r"^[ >]*\*\*\s*[^*\n]{1,80}?\s*(?::\s*\*\*|\*\*\s*:)")
_LABEL_TEXT = re.compile(r"^[\s*]*(?P<label>[^:]+?)[\s*]*:[\s*]*(?P<rest>.*)$", re.DOTALL)
_PARENTHESISED = re.compile(r"\(\s*([^()]{1,80}?)\s*\)")
_FOLLOWING = re.compile(r"\s*\(\s*([^()]{1,80}?)\s*\)")
match_key = lru_cache(maxsize=1 << 16)(_match_key)  # names and anchors repeat across a corpus
MAX_TERM_WORDS = 8
MAX_LABEL_WORDS = 8  # longest label looked for before an `(ACRONYM)` in running text


def split_acronym(label: str) -> tuple[str, str | None]:
    """Split a trailing `(ACRONYM)` off a label: ('التسويق ... (SMM)') -> ('التسويق ...', 'SMM')."""
    match = _TRAILING_ACRONYM.search(label)
    if not match or match.start() == 0:
        return label, None
    return label[: match.start()].strip(), match.group(1)


def unmarked(text: str) -> str:
    """Return NFKC `text` without diacritics, tatweel and invisible marks (letters kept as written)."""
    text = unicodedata.normalize("NFKC", text).replace("\u0640", "")
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Cf"))


def is_acronym(text: str) -> bool:
    """Tell whether `text` is one whole Latin acronym (SMM, B-to-C, eWOM)."""
    return LATIN_ACRONYM.fullmatch(text) is not None


def index_view(article: Article) -> Article:
    """Return the part of `article` the index and admission read: links, blocks with `(` or a bold label, names.

    Building the index from these views gives the same index as from the whole articles (the
    passes skip every other block), for a fraction of the bytes a parser process sends back and
    the parent holds: no outline, description, dates or authors (graph.pipeline.corpus.admit reads the
    slug, aliases, draft flag and unread fields, which stay).
    """
    kept = []
    for block in article.blocks:
        if "(" in block.text or (block.kind == "paragraph" and "**" in block.source[:16]):
            kept.append(Block(block.kind, block.line, block.text, block.source, block.level, block.quote,
                              block.section, block.links) if block.plain else block)  # the index reads no runs
        elif block.links:  # only its links are read: drop the text
            kept.append(Block(block.kind, block.line, "", "", block.level, block.quote, block.section, block.links))
    return Article(article.path, article.slug, article.slug_written, article.title, "", article.keywords,
                   article.sha256, tuple(kept), (), None, None, (), article.aliases, article.draft, article.slug_line, article.unknown)


@dataclass(frozen=True, slots=True)
class BoldLabel:
    """The parts of a bold-labelled paragraph `**Term (ACR):** explanation`."""

    label: str
    acronym: str | None
    explanation: str


def bold_label(block: Block) -> BoldLabel | None:
    """Return the label, acronym and explanation of a bold-labelled paragraph, else None."""
    if block.kind != "paragraph" or not _BOLD_LABEL.match(block.source):
        return None
    match = _LABEL_TEXT.match(block.text)
    if match is None:
        return None
    label, acronym = split_acronym(" ".join(match["label"].split()))
    if acronym is not None and not is_acronym(acronym):
        label, acronym = " ".join(match["label"].split()), None
    explanation = match["rest"].strip()
    if not explanation or not match_key(label) or len(label.split()) > MAX_TERM_WORDS:
        return None
    return BoldLabel(label, acronym, explanation)


@dataclass(frozen=True, slots=True)
class Term:
    """One bold-labelled term of an article and the concept it resolved to (or minted)."""

    article: str  # slug of the article that defines it
    path: str
    line: int
    label: str
    acronym: str | None
    explanation: str
    slug: str  # the concept the term is
    minted: bool  # True when this term introduced the concept (no title, anchor or earlier term named it)


@dataclass
class LinkTarget:
    """What the corpus's links say about one target concept."""

    anchors: Counter[str] = field(default_factory=Counter)
    spellings: set[str] = field(default_factory=set)
    first_seen: tuple[str, int] | None = None


@dataclass
class ConceptIndex:
    """Corpus-wide knowledge: which slugs have articles, what links call them, who is named what."""

    articles: dict[str, Article] = field(default_factory=dict)
    targets: dict[str, LinkTarget] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # match_key -> slug
    abbreviations: dict[str, set[str]] = field(default_factory=dict)  # slug -> acronyms
    keyword_names: dict[str, Counter[str]] = field(default_factory=dict)  # keyword slug -> spellings
    terms: dict[str, list[Term]] = field(default_factory=dict)  # article slug -> its terms, by line
    term_of: dict[str, Term] = field(default_factory=dict)  # concept slug -> first term naming it
    labels: dict[str, str] = field(default_factory=dict)  # match_key of a title/term label -> slug
    acronym_owner: dict[str, str] = field(default_factory=dict)  # acronym -> slug that got it first
    _keyword_labels: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # memo

    @classmethod
    def build(cls, articles: list[Article]) -> ConceptIndex:
        """Index every article, link target, defined term and abbreviation of the corpus."""
        ordered = sorted(articles, key=lambda a: a.path)
        index = cls(articles={a.slug: a for a in ordered})
        for article in ordered:
            label, acronym = split_acronym(article.title)
            index.add_name(label, article.slug)
            index.labels.setdefault(match_key(label), article.slug)
            if acronym:
                index.add_abbreviation(article.slug, acronym)
        for article in ordered:
            for name in article.keywords:
                index.keyword_names.setdefault(canonical_slug(name), Counter())[name] += 1
            for link in article.links:
                target = index.targets.get(link.target)
                if target is None:
                    target = index.targets[link.target] = LinkTarget()
                if link.anchor:
                    target.anchors[link.anchor] += 1
                if link.written != link.target:
                    target.spellings.add(link.written)
                if target.first_seen is None:
                    target.first_seen = (article.path, link.line)
        for slug, target in index.targets.items():
            if slug not in index.articles and target.anchors:
                index.add_name(index.anchors(slug)[0], slug)
        for slug in sorted(index.targets):
            for anchor in index.anchors(slug):
                index.add_name(anchor, slug)
        for article in ordered:
            index._link_acronyms(article)
        for article in ordered:
            index._collect_terms(article)
        for article in ordered:
            index._text_acronyms(article)
        return index

    def for_extraction(self, terms_of: set[str] | None = None) -> ConceptIndex:
        """Return what the extractors read: each article's slug, spellings and title; the names and links.

        Article bodies, descriptions and hashes are dropped; so are the explanations of the terms in
        term_of (the extractors read a term's explanation from its own article's terms). With
        `terms_of`, only those articles' terms are kept (a worker needs its own articles' only).
        """
        articles = {slug: Article(a.path, a.slug, a.slug_written, a.title, "", (), "", (), aliases=a.aliases)
                    for slug, a in self.articles.items()}
        term_of = {slug: replace(term, explanation="") for slug, term in self.term_of.items()}
        terms = self.terms if terms_of is None else {slug: t for slug, t in self.terms.items() if slug in terms_of}
        return replace(self, articles=articles, term_of=term_of, terms=terms, _keyword_labels={})

    def _link_acronyms(self, article: Article) -> None:
        """Record `[anchor](/slug) (ACR)` as an abbreviation of the link's target."""
        for block in article.blocks:
            if not block.links or "(" not in block.text:
                continue
            for link in block.links:
                if not link.anchor:
                    continue
                at = block.text.find(link.anchor)
                if at < 0:
                    continue
                match = _FOLLOWING.match(block.text, at + len(link.anchor))
                if match and is_acronym(match[1]):
                    self.add_abbreviation(link.target, match[1], exclusive=True)

    def _collect_terms(self, article: Article) -> None:
        """Resolve (or mint) the concept of each bold-labelled term of `article`."""
        for block in article.blocks:
            if block.kind != "paragraph" or "**" not in block.source[:16]:
                continue
            found = bold_label(block)
            if found is None:
                continue
            slug = self._resolve_term(found, block)
            minted = slug is None
            if slug is None:
                slug = self.mint_slug(found.label)
                if not slug:
                    continue
            term = Term(article.slug, article.path, block.line, found.label, found.acronym,
                        found.explanation, slug, minted)
            self.terms.setdefault(article.slug, []).append(term)
            self.term_of.setdefault(slug, term)
            self.add_name(found.label, slug)
            self.labels.setdefault(match_key(found.label), slug)
            if found.acronym:
                self.add_abbreviation(slug, found.acronym, exclusive=True)

    def _resolve_term(self, found: BoldLabel, block: Block) -> str | None:
        """Return the known concept a term names: by label, acronym, or a link in its paragraph."""
        slug = self.resolve_name(found.label)
        if slug is None and found.acronym:
            slug = self.acronym_owner.get(found.acronym)
        if slug is None:
            words = match_key(found.label).split()
            if len(words) >= 2:
                for link in block.links:
                    if _contains(match_key(link.anchor).split(), words):
                        return link.target
        return slug

    def _text_acronyms(self, article: Article) -> None:
        """Record `label (ACR)` and `ACR (label)` in running text, for title and term labels."""
        for block in article.blocks:
            if "(" not in block.text:
                continue
            for match in _PARENTHESISED.finditer(block.text):
                inside = match[1]
                if is_acronym(inside):
                    words = block.text[: match.start()].split()[-MAX_LABEL_WORDS:]
                    for start in range(len(words)):
                        slug = self.labels.get(match_key(" ".join(words[start:])))
                        if slug is not None:
                            self.add_abbreviation(slug, inside, exclusive=True)
                            break
                else:
                    before = block.text[: match.start()].split()
                    slug = self.labels.get(match_key(inside))
                    if before and slug is not None and is_acronym(before[-1]):
                        self.add_abbreviation(slug, before[-1], exclusive=True)

    def mint_slug(self, label: str) -> str:
        """Return a new concept slug for `label`: its unmarked form, then -2, -3... when taken."""
        base = canonical_slug(unmarked(label))
        if not base:
            return ""
        slug, n = base, 1
        while slug in self.articles or slug in self.targets or slug in self.term_of:
            n += 1
            slug = f"{base}-{n}"
        return slug

    def keyword_label(self, slug: str, fallback: str) -> str:
        """Return the one label of a keyword: its most used spelling (ties: alphabetical)."""
        label = self._keyword_labels.get(slug)
        if label is not None:
            return label
        spellings = self.keyword_names.get(slug)
        if not spellings:
            return fallback
        label = self._keyword_labels[slug] = min(spellings.items(), key=lambda item: (-item[1], item[0]))[0]
        return label

    def add_name(self, name: str, slug: str) -> None:
        """Record `name` as a name of `slug`, unless another concept already holds it."""
        key = match_key(name)
        if key:
            self.names.setdefault(key, slug)

    def add_abbreviation(self, slug: str, acronym: str, *, exclusive: bool = False) -> None:
        """Record `acronym` for `slug`; when exclusive, only if no other concept has it already."""
        owner = self.acronym_owner.setdefault(acronym, slug)
        if exclusive and owner != slug:
            return
        self.abbreviations.setdefault(slug, set()).add(acronym)
        self.names.setdefault(match_key(acronym), slug)

    def has_article(self, slug: str) -> bool:
        return slug in self.articles

    def red_links(self) -> list[str]:
        """Return the link targets that have no article, sorted."""
        return sorted(slug for slug in self.targets if slug not in self.articles)

    def anchors(self, slug: str) -> list[str]:
        """Return the anchor texts that link to `slug`, most used first (ties: alphabetical)."""
        target = self.targets.get(slug)
        if target is None:
            return []
        return [a for a, _ in sorted(target.anchors.items(), key=lambda item: (-item[1], item[0]))]

    def spellings(self, slug: str) -> list[str]:
        """Return the other spellings of `slug` seen in file names, front matter (slug, aliases) and links."""
        seen = set(self.targets[slug].spellings) if slug in self.targets else set()
        if slug in self.articles:
            seen.add(self.articles[slug].slug_written)
            seen.update(self.articles[slug].aliases)
        seen.discard(slug)
        return sorted(seen)

    def terms_of(self, article_slug: str) -> list[Term]:
        """Return the bold-labelled terms of an article, in reading order."""
        return self.terms.get(article_slug, [])

    def is_minted(self, slug: str) -> bool:
        """Tell whether `slug` is a concept introduced by a defined term (no article, no link)."""
        term = self.term_of.get(slug)
        return term is not None and term.minted

    def arabic_label(self, slug: str) -> str | None:
        """Return the Arabic skos:prefLabel the build gives `slug` (title, first term or first anchor)."""
        if slug in self.articles:
            return split_acronym(self.articles[slug].title)[0]
        if self.is_minted(slug):
            return self.term_of[slug].label
        return next((a for a in self.anchors(slug) if is_arabic(a)), None)

    def resolve_name(self, name: str) -> str | None:
        """Return the slug of the concept called `name` (Arabic-normalised comparison), if any."""
        return self.names.get(match_key(name))

    def _capitalised_spellings(self, slug: str) -> list[str]:
        """Return the spellings of `slug` (file name, front matter, links) that hold a capital, sorted."""
        target, article = self.targets.get(slug), self.articles.get(slug)
        found = [s for s in target.spellings if not s.islower()] if target and target.spellings else []
        if article is not None and not article.slug_written.islower():
            found.append(article.slug_written)
        return sorted(found)

    def english_label(self, slug: str) -> str:
        """Derive an English label from a slug: words capitalised, acronyms kept as written.

        Acronyms come from the title, anchors and terms (`(B-to-C)` after a link to /btoc) and from the slug's
        own spellings (`SEO-basics.md`). A run of slug words spelling one (btoc, b-to-c, smm) is written as
        the acronym, in parentheses when it ends a longer label: "Social Media Marketing (SMM)", "B-to-C".
        """
        acronyms = {_letters(a): a for a in sorted(self.abbreviations.get(slug, ()))}
        for spelling in self._capitalised_spellings(slug):
            for word in re.split(r"[-_\s]+", spelling):
                if is_acronym(word):
                    acronyms.setdefault(_letters(word), word)
        words = slug.split("-")
        if not acronyms:
            return " ".join(word[:1].upper() + word[1:] for word in words)
        longest = max(map(len, acronyms))
        out: list[str] = []
        start = 0
        while start < len(words):
            found, spelled = None, ""
            for end in range(start + 1, len(words) + 1):  # the longest run of words spelling an acronym
                spelled += words[end - 1]
                if len(spelled) > longest:
                    break
                if spelled in acronyms:
                    found = end
            if found is None:
                out.append(words[start][:1].upper() + words[start][1:])
                start += 1
                continue
            acronym = acronyms["".join(words[start:found])]
            out.append(f"({acronym})" if found == len(words) and start else acronym)
            start = found
        return " ".join(out)


def _letters(acronym: str) -> str:
    """Return the lower-case letters and digits of an acronym, as a slug spells it: B-to-C -> btoc."""
    return re.sub(r"[^0-9a-z]", "", acronym.lower())


def _contains(words: list[str], part: list[str]) -> bool:
    """Tell whether `part` occurs as a contiguous run of `words`."""
    size = len(part)
    return any(words[i : i + size] == part for i in range(len(words) - size + 1))
