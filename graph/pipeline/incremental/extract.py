"""Extract one article as one recorded Extraction: its lines, problems and what it read to make them.

Usage::

    context = ExtractionContext(vocab, RecordingIndex(index))
    extraction = extract_recorded(article, original, 1, index_extractors, context, aliases)
    extraction.lines, extraction.reads
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.export import nt_line
from graph.extract import ArticleExtractor, ExtractionContext
from graph.parse.content import Article
from graph.pipeline.incremental.cache import Extraction
from graph.pipeline.incremental.reads import RecordingIndex, alias_reads


def extract_recorded(article: Article, original: Article, phase: int, extractors_: Sequence[ArticleExtractor],
                     context: ExtractionContext, aliases: dict[str, str], text: bytes = b"") -> Extraction:
    """Run `extractors_` on `article` (`original` before its links went through `aliases`) and record it all."""
    recording = context.index if isinstance(context.index, RecordingIndex) else None
    if recording is not None:
        recording.take()  # reads made outside this article's extraction are not its own
    before = len(context.problems)
    lines: set[bytes] = set()
    update, encode = lines.update, str.encode
    for extractor in extractors_:
        update(map(encode, map(nt_line, extractor(article, context))))
    mentions = context.memo.get("mentions", {}).get(article.slug) if phase else None
    return Extraction(article.path, phase, article.sha256, b"".join(sorted(lines)), context.problems[before:],
                      alias_reads((link.target for link in original.links), aliases),
                      recording.take() if recording is not None else [], mentions, text)
