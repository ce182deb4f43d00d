"""Admit parsed articles into the corpus: drafts out, one owner per slug, URL aliases, unread fields listed.

Usage::

    admitted = admit(parse_article(p, root) for p in paths)   # in path order
    admitted.articles, admitted.kept, admitted.aliases, admitted.problems

The rules (README "Article facts"):
- an article with `draft: true` or `published: false` is left out (an info line names it) unless
  include_drafts is set;
- when several files claim one slug, the file named after it keeps it (the first in path order if
  several are, or if none is); each other claimant is an error naming both files;
- each front-matter alias (an old URL) becomes a slug alias of its article, and links written to it
  point at the article, unless another article has that slug or claimed the alias first (a warning);
- each front-matter field the build does not read is listed once, as info, at its first file and line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from graph.parse.content import Article, Block, Link, Problem, discover, parse_article, parse_chunk, reporting
from graph.vocab import canonical_slug


@dataclass
class Admitted:
    """The articles that make the corpus, in path order, and what was said about the others."""

    articles: list[Article] = field(default_factory=list)  # links already pointing through `aliases`
    kept: set[int] = field(default_factory=set)  # their positions among the parsed files
    aliases: dict[str, str] = field(default_factory=dict)  # alias slug -> slug of its article
    problems: list[Problem] = field(default_factory=list)
    drafts: int = 0  # drafts left out


def admit(parsed: Iterable[tuple[Article | None, list[Problem]]], *, include_drafts: bool = False) -> Admitted:
    """Return the admitted articles of parse results given in path order."""
    admitted = Admitted()
    problems = admitted.problems
    candidates: list[tuple[int, Article]] = []
    unread: dict[str, list[tuple[str, int]]] = {}
    for position, (article, article_problems) in enumerate(parsed):
        problems.extend(article_problems)
        if article is None:
            continue
        for name, line in article.unknown:
            unread.setdefault(name, []).append((article.path, line))
        if article.draft and not include_drafts:
            admitted.drafts += 1
            problems.append(Problem("info", article.path, None, "draft",
                                    "draft (`draft: true` or `published: false`): not published, its links "
                                    "create nothing; `mkg build --include-drafts` previews it"))
            continue
        candidates.append((position, article))
    owners = _claim_slugs(candidates, problems)
    aliases = admitted.aliases
    for position, article in candidates:
        if owners[article.slug] is not article:
            continue
        kept_aliases = []
        for alias in article.aliases:
            if alias == article.slug:
                continue
            other = owners.get(alias) or (owners[aliases[alias]] if alias in aliases else None)
            if other is not None:
                taken = "the slug" if alias in owners else "an alias"
                problems.append(Problem("warning", article.path, None, "alias-taken",
                                        f"alias {alias!r} is {taken} of {other.path}: ignored; remove it "
                                        "from `aliases`"))
                continue
            aliases[alias] = article.slug
            kept_aliases.append(alias)
        if len(kept_aliases) != len(article.aliases):
            article = replace(article, aliases=tuple(kept_aliases))
        admitted.kept.add(position)
        admitted.articles.append(article)
    if aliases:
        admitted.articles = [retarget(article, aliases) for article in admitted.articles]
    for name in sorted(unread):
        (path, line), more = unread[name][0], len(unread[name]) - 1
        problems.append(Problem("info", path, line, "unread-field",
                                f"front-matter field `{name}` is not read by the build: ignored"
                                + (f" (also in {more} other file(s))" if more else "")))
    return admitted


def _named_after(article: Article) -> bool:
    """Tell whether the article's file name gives its slug."""
    return canonical_slug(PurePosixPath(article.path).stem) == article.slug


def _claim_slugs(candidates: list[tuple[int, Article]], problems: list[Problem]) -> dict[str, Article]:
    """Return the article that owns each slug; report every other claimant as an error naming the owner."""
    claims: dict[str, list[Article]] = {}
    for _, article in candidates:
        claims.setdefault(article.slug, []).append(article)
    owners = {slug: next((a for a in claimants if _named_after(a)), claimants[0])
              for slug, claimants in claims.items()}
    for _, article in candidates:
        owner = owners[article.slug]
        if owner is article:
            continue
        if article.slug_line and _named_after(owner):
            message = (f"front-matter `slug: {article.slug_written}` takes the slug {article.slug!r} of "
                       f"{owner.path}, the file named after it: set another `slug:` here")
        else:
            message = (f"slug {article.slug!r} is already used by {owner.path}: rename one file or set a "
                       "different `slug:` in its front matter")
        problems.append(Problem("error", article.path, article.slug_line or None, "duplicate-slug", message))
    return owners


def retarget(article: Article, aliases: dict[str, str]) -> Article:
    """Return `article` with each link written to an alias pointing at the alias's article."""
    if not aliases or not any(link.target in aliases for block in article.blocks for link in block.links):
        return article
    blocks = []
    for block in article.blocks:
        if any(link.target in aliases for link in block.links):
            links = tuple(Link(aliases.get(link.target, link.target), link.written, link.anchor, link.line,
                               link.section) for link in block.links)
            block = Block(block.kind, block.line, block.text, block.source, block.level, block.quote,
                          block.section, links, block.plain)
        blocks.append(block)
    return article.with_blocks(tuple(blocks))


def _chunks(items: list[Path], size: int) -> Iterator[list[Path]]:
    """Yield `items` in lists of `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_content(
    content_dir: Path, *, max_bytes: int = 5 * 1024 * 1024, jobs: int = 0, progress=None,
    include_drafts: bool = False,
) -> tuple[list[Article], list[Problem]]:
    """Parse every article under content_dir (in parallel when large) and admit them (admit above)."""
    if not content_dir.is_dir():
        return [], [Problem("error", str(content_dir), None, "no-content",
                            "content directory does not exist: create it or pass --content DIR")]
    paths, problems = discover(content_dir)
    jobs = jobs or os.cpu_count() or 1
    results: Iterable[tuple[Article | None, list[Problem]]]
    if jobs > 1 and len(paths) >= 200:
        size = max(50, len(paths) // (jobs * 8))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = [r for chunk in pool.map(parse_chunk, ((c, content_dir, max_bytes)
                                                              for c in _chunks(paths, size)))
                       for r in chunk]
    else:
        results = (parse_article(p, content_dir, max_bytes) for p in paths)
    if progress is not None:
        results = reporting(list(results), progress)
    admitted = admit(results, include_drafts=include_drafts)
    return admitted.articles, problems + admitted.problems
