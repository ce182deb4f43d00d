"""Deterministic generator of synthetic Arabic marketing articles in the format of content/*.md.

Usage::

    paths = generate(10_000, Path("/tmp/corpus"), seed=0)   # same (n, seed) -> same bytes
    python -m bench corpus 10000 /tmp/corpus --seed 0

Every article has YAML front matter (keywords, title, description), a `# title`, `##` sections of
Arabic paragraphs, 3-20 `[anchor](/slug)` links whose targets follow a Zipf law over the article
slugs (about 10% red links, some `_` spellings, `#fragment` / `?q=1` suffixes, rare external
links) and the seeds' constructs: key-figure and plain block quotes, bold-labelled terms (half in
the broken `** term: **` spelling), a `## يسلط الضوء` bullet list, an FAQ section, `## الخط السفلي`,
non-question `###` sub-headings, Latin brand names and stray raw HTML lines.

It also writes what real sites add (issue 17): `####` under some sub-headings and lone
question-like `###` sub-headings, bold-labelled definitions of other articles' concepts, front
matter with `date` / `lastmod` / `author` / `tags` / `categories` / `aliases` (some links use an
alias) and fields the build does not read, and one draft (`draft: true`, an extra file
`draft-*.md` beside the n articles) per 100 articles.
"""

from __future__ import annotations

import argparse
import itertools
import random
import string
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from bench import words as W

ZIPF_EXPONENT = 1.0
UNDERSCORE_STEM_RATE = 0.02
RED_LINK_RATE = 0.10
_JUNK_ALPHABET = string.ascii_letters + string.digits
_Block = str | list[str]
_T = TypeVar("_T")


@lru_cache(maxsize=1)
def sentence_pool() -> tuple[str, ...]:
    """Return the shared pool of generic Arabic sentences (built once, independent of the seed)."""
    rng = random.Random(0x5EED)
    pool = []
    for _ in range(4000):
        parts = [rng.choice(W.OPENERS), rng.choice(W.CLAUSES)]
        for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 2))):
            parts += [rng.choice(W.CONNECTORS), rng.choice(W.CLAUSES)]
        pool.append("".join(parts) + ".")
    return tuple(pool)


def zipf_cum_weights(m: int, exponent: float = ZIPF_EXPONENT) -> list[float]:
    """Return cumulative Zipf weights for ranks 1..m (for `random.choices(cum_weights=...)`)."""
    return list(itertools.accumulate(r**-exponent for r in range(1, m + 1)))


def _names(count: int, rng: random.Random) -> list[tuple[str, list[str]]]:
    """Return `count` (Arabic noun phrase, English gloss words) pairs, distinct while the pools allow."""
    heads, mods, quals, frames = W.HEADS, W.MODIFIERS, W.QUALIFIERS, W.FRAMES
    unframed = len(heads) * len(mods) * (len(quals) + 1)
    space = unframed if count <= unframed // 2 else unframed * (len(frames) + 1)
    picks = (
        rng.sample(range(space), count) if count <= space else [rng.randrange(space) for _ in range(count)]
    )
    names = []
    for idx in picks:
        idx, q = divmod(idx, len(quals) + 1)
        idx, m = divmod(idx, len(mods))
        f, h = divmod(idx, len(heads))
        head_ar, head_en, fem = heads[h]
        masc, femn, mod_en = mods[m]
        ar = [head_ar, femn if fem else masc]
        en = [mod_en, head_en]
        if f:
            ar.insert(0, frames[f - 1][0])
            en.insert(0, frames[f - 1][1])
        if q:
            ar.append(quals[q - 1][0])
            en.append(quals[q - 1][1])
        names.append((" ".join(ar), en))
    return names


def _stem(prefix: str, i: int, width: int, en: list[str]) -> str:
    """Return an ASCII lower-case file stem like `concept-00042-digital-marketing`."""
    return f"{prefix}-{i:0{width}d}-" + "-".join(en).replace(" ", "-")


class _Writer:
    """Hold the per-corpus tables and render one article at a time."""

    def __init__(self, n: int, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self._random = rng.random
        self.n = n
        n_red = max(1, n // 10)
        names = _names(n + n_red, rng)
        width = max(5, len(str(n - 1)))
        self.titles, self.cores, self.stems = [], [], []
        for i, (core, en) in enumerate(names[:n]):
            title = core
            if rng.random() < 0.15:
                title += " (" + "".join(w[0] for w in " ".join(en[-3:]).split()).upper() + ")"
            stem = _stem("concept", i, width, en)
            if rng.random() < UNDERSCORE_STEM_RATE:
                stem = stem.replace("-", "_")
            self.titles.append(title)
            self.cores.append(core)
            self.stems.append(stem)
        self.slugs = [s.replace("_", "-") for s in self.stems]
        # Red-link targets: slugs no article has, each always linked with its own distinct label.
        red_width = max(5, len(str(n_red - 1)))
        self.red = [_stem("topic", j, red_width, en) for j, (_, en) in enumerate(names[n:])]
        self.red_labels = [core for core, _ in names[n:]]
        self.order = list(range(n))
        rng.shuffle(self.order)
        # ~3% of the articles have an old URL (front-matter alias) that some links still use
        self.aliases = {i: f"old-{self.slugs[i]}" for i in range(n) if rng.random() < 0.03}
        self.cum = zipf_cum_weights(n)
        self.red_cum = zipf_cum_weights(n_red)
        self.kw_cum = zipf_cum_weights(len(W.KEYWORDS), 1.1)
        self.pool = sentence_pool()

    def pick(self, seq: Sequence[_T]) -> _T:
        """Return a uniformly chosen element of seq (faster than Random.choice)."""
        return seq[int(self._random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        """Return a uniform integer in [low, high] (faster than Random.randint)."""
        return low + int(self._random() * (high - low + 1))

    # -- small pieces -------------------------------------------------------------------------

    def _sentences(self, k: int) -> list[str]:
        """Return k sentences drawn from the shared pool."""
        return self.rng.choices(self.pool, k=k)

    def _topic_sentence(self, core: str) -> str:
        """Return a sentence about the topic phrase `core`."""
        return (
            self.pick(W.TOPIC_CLAUSES).replace("{T}", core)
            + self.pick(W.CONNECTORS)
            + self.pick(W.CLAUSES)
            + "."
        )

    def _link(self, i: int, t: int) -> str:
        """Return a sentence linking from article i to article t, or (10%) to a red-link slug."""
        rng = self.rng
        if rng.random() < RED_LINK_RATE:
            j = rng.choices(range(len(self.red)), cum_weights=self.red_cum)[0]
            href, anchor = "/" + self.red[j], self.red_labels[j]
        else:
            if t == i and self.n > 1:
                t = (t + 1) % self.n
            stem = self.stems[t]
            href = "/" + (stem if "_" in stem and rng.random() < 0.5 else self.slugs[t])
            if t in self.aliases and rng.random() < 0.3:
                href = "/" + self.aliases[t]
            anchor = self.cores[t] if rng.random() < 0.9 else "و" + self.cores[t]
            r = rng.random()
            if r < 0.03:
                href = href.replace("-", "_")
            elif r < 0.05:
                href += f"#section-{self.between(1, 5)}"
            elif r < 0.07:
                href += "?q=1"
        return self._link_sentence(f"[{anchor}]({href})")

    def _link_sentence(self, link: str) -> str:
        """Return a sentence embedding the markdown link `link`."""
        rng = self.rng
        text = self.pick(W.LINK_CLAUSES).replace("{L}", link)
        if rng.random() < 0.5:
            text += self.pick(W.CONNECTORS) + self.pick(W.CLAUSES)
        return text + "."

    def _brand_sentence(self) -> str:
        """Return a sentence naming Latin-script brands."""
        b1, b2, b3 = self.rng.sample(W.BRANDS, 3)
        text = self.pick(W.BRAND_CLAUSES)
        return text.replace("{B1}", b1).replace("{B2}", b2).replace("{B3}", b3) + "."

    def _keywords(self) -> str:
        """Return 1-4 distinct Zipf-drawn keywords, comma-separated."""
        rng = self.rng
        k = rng.choices((1, 2, 3, 4), weights=(30, 35, 22, 13))[0]
        picked = list(dict.fromkeys(rng.choices(W.KEYWORDS, cum_weights=self.kw_cum, k=k + 3)))[:k]
        return (", " if rng.random() < 0.1 else ",").join(picked)

    def _key_figure(self) -> str:
        """Return a `> ### figure` block quote with its caption, as in the seeds."""
        unit = self.pick(W.FIGURE_UNITS)
        value = f"{self.between(2, 98)}٪" if unit == "٪" else f"{self.between(2, 950)} {unit}"
        return f"> ### {value}\n\n> {self.pick(W.FIGURE_CAPTIONS)}\n\n>"

    def _junk_html(self) -> str:
        """Return a stray raw-HTML line like the one in content/viral-marketing.md."""
        junk = "".join(self.rng.choices(_JUNK_ALPHABET, k=self.between(300, 450)))
        return f'<h5><a href="{junk}">TTT</a></h5>'

    def _site_fields(self, i: int) -> list[str]:
        """Return the optional front-matter lines of article i: dates, author, tags, categories, aliases..."""
        rand, lines = self._random, []
        if rand() < 0.6:
            year, month, day = self.between(2015, 2023), self.between(1, 12), self.between(1, 28)
            lines.append(f"date: {year}-{month:02d}-{day:02d}\n")
            if rand() < 0.5:
                lines.append(f"lastmod: {year + 1}-{month:02d}-{day:02d}"
                             + (f"T{self.between(0, 23):02d}:30:00+03:00" if rand() < 0.5 else "") + "\n")
        if rand() < 0.4:
            lines.append(f"author: {self.pick(W.AUTHORS)}\n")
        if rand() < 0.25:
            tags = list(dict.fromkeys(self.pick(W.KEYWORDS) for _ in range(self.between(1, 3))))
            lines.append(f"tags: [{', '.join(tags)}]\n")
        if rand() < 0.1:
            lines.append(f"categories: {self.pick(W.KEYWORDS)}\n")
        if i in self.aliases:
            lines.append(f"aliases: [/{self.aliases[i]}/]\n")
        if rand() < 0.1:
            lines.append(self.pick(W.UNREAD_FIELDS) + "\n")
        return lines

    # -- one article --------------------------------------------------------------------------

    def article(self, i: int) -> str:
        """Return the full text of article i."""
        rng = self.rng
        between, rand = self.between, rng.random
        title, core = self.titles[i], self.cores[i]
        other = self.cores[rng.randrange(self.n)]
        paras: list[list[str]] = []  # paragraphs that may receive links

        def para(k: int, topic: bool = False) -> list[str]:
            p = self._sentences(k)
            if topic:
                p[0] = self._topic_sentence(core)
            paras.append(p)
            return p

        blocks: list[_Block] = []
        if rand() < 0.5:
            blocks += [para(between(2, 4), topic=j == 0) for j in range(between(1, 3))]
        headings = rng.sample(W.SECTION_TEMPLATES, between(2, 5))
        sections: list[list[_Block]] = []
        for tpl in headings:
            body: list[_Block] = ["## " + tpl.replace("{T}", core).replace("{U}", other)]
            body += [para(between(2, 4), topic=j == 0) for j in range(between(1, 3))]
            sections.append(body)
        if rand() < 0.4:
            broken = rand() < 0.5
            sec = self.pick(sections)
            for term, acr in rng.sample(W.TERMS, between(2, 5)):
                label = f"{term} ({acr})" if acr and rand() < 0.6 else term
                p = para(between(1, 3))
                p.insert(0, f"** {label}: **" if broken else f"**{label}:**")
                sec.append(p)
            if rand() < 0.3:
                sec.append("\n\n".join("- " + s for s in self._sentences(between(3, 6))))
        if rand() < 0.2:
            sec = self.pick(sections)
            sec += ["### " + self.pick(W.SUBHEADINGS)] + [para(between(2, 4)) for _ in range(between(1, 2))]
            if rand() < 0.5:
                sec += ["#### " + self.pick(W.SUBHEADINGS), para(between(1, 3))]
        if rand() < 0.1:  # a lone question-like `###` outside the FAQ: a sub-section
            self.pick(sections).extend(["### " + self.pick(W.SUB_QUESTIONS).replace("{T}", core), para(between(1, 3))])
        if rand() < 0.15:  # another article's concept defined here too
            t = rng.choices(self.order, cum_weights=self.cum)[0]
            p = para(between(1, 2))
            p.insert(0, f"**{self.cores[t]}:**")
            self.pick(sections).append(p)
        if rand() < 0.3:
            self.pick(sections).append(self._key_figure())
        if rand() < 0.2:
            self.pick(sections).append("> " + self.pick(self.pool) + "\n\n>")
        if rand() < 0.5:
            for p in rng.sample(paras, min(len(paras), between(1, 2))):
                p.insert(between(0, len(p)), self._brand_sentence())
        if rand() < 0.05:
            sections[-1].append(self._junk_html())

        highlights: list[_Block] = ["## يسلط الضوء"]
        highlights += [
            "- " + (self._topic_sentence(core) if rand() < 0.3 else s) for s in self._sentences(between(3, 5))
        ]
        faq: list[_Block] = ["## " + self.pick(W.FAQ_HEADINGS).replace("{T}", core)]
        for q in rng.sample(W.FAQ_QUESTIONS, between(2, 6)):
            faq.append("### " + q.replace("{T}", core).replace("{U}", other))
            faq += [para(between(1, 3)) for _ in range(self.pick((1, 1, 2)))]
        tail = [highlights, faq]
        if rand() < 0.7:
            bottom: list[_Block] = ["## الخط السفلي", para(between(3, 5), topic=True)]
            tail = self.pick(
                ([highlights, faq, bottom], [faq, bottom, highlights], [highlights, bottom, faq])
            )
        elif rand() < 0.5:
            tail.reverse()

        for t in rng.choices(self.order, cum_weights=self.cum, k=between(3, 20)):
            p = paras[int(rand() * len(paras))]
            p.insert(between(1, len(p)), self._link(i, t))
        if rand() < 0.2:
            p = self.pick(paras)
            href = f"https://example.org/{self.slugs[i]}/{between(1, 999)}"
            p.insert(between(1, len(p)), self._link_sentence(f"[{self.pick(W.EXTERNAL_ANCHORS)}]({href})"))

        out = [
            "---\n",
            f"keywords: {self._keywords()}\n",
            f"title: {title}\n",
            f"description: {title} {self.pick(W.DESCRIPTIONS)}\n",
            *self._site_fields(i),
            "---\n\n",
            f"# {title}\n",
        ]
        rendered = [
            b if isinstance(b, str) else " ".join(b) for sec in (blocks, *sections, *tail) for b in sec
        ]
        out.append("\n\n".join(rendered))
        out.append("\n")
        return "".join(out)


DRAFT_EVERY = 100
"""One draft (an extra `draft-*.md` file with `draft: true`) per this many articles."""


def generate(n: int, out_dir: Path, *, seed: int = 0) -> list[Path]:
    """Write n synthetic articles and n // DRAFT_EVERY drafts to out_dir (removing its other *.md).

    Returns the n articles' paths (the drafts are written beside them, named draft-*.md).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = _Writer(n, seed)
    paths = [out_dir / f"{stem}.md" for stem in writer.stems]
    drafts = [(i, out_dir / f"draft-{k:03d}-{writer.slugs[i]}.md")
              for k, i in enumerate(range(DRAFT_EVERY // 2, n - DRAFT_EVERY // 2 + 1, DRAFT_EVERY))]
    keep = {p.name for p in paths} | {p.name for _, p in drafts}
    for old in out_dir.glob("*.md"):
        if old.name not in keep:  # files about to be rewritten are truncated, not unlinked
            old.unlink()
    for i, path in enumerate(paths):
        path.write_bytes(writer.article(i).encode("utf-8"))
    for i, path in drafts:  # a new version of article i, not published yet
        path.write_bytes(writer.article(i).replace("---\n", "---\ndraft: true\n", 1).encode("utf-8"))
    return paths


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `corpus` subcommand to the bench CLI."""
    p = subparsers.add_parser("corpus", help="write a synthetic article corpus")
    p.add_argument("n", type=int, help="number of articles")
    p.add_argument("out_dir", type=Path, help="directory to write *.md into (its *.md are replaced)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    """Run `python -m bench corpus`."""
    t0 = time.perf_counter()
    paths = generate(args.n, args.out_dir, seed=args.seed)
    size = sum(p.stat().st_size for p in paths)
    print(
        f"wrote {len(paths)} articles ({size / 1e6:.1f} MB) to {args.out_dir} in {time.perf_counter() - t0:.2f} s"
    )
    return 0
