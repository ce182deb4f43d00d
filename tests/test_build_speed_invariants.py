"""Speed work must not change the output: the graph of the seeds and of a generated corpus is pinned.

The digests were recorded with the code as it was before the parse/extract speed-ups, and re-recorded
for issue 17 (nested sections, term definitions, front-matter dates/authors/aliases, drafts; the
generated corpus writes those too) and for issue 14 (the seeds' /btoc is "B-to-C"@en, its acronym, no longer
"Btoc" plus an altLabel "B-to-C"); any change to the N-Triples lines (or to the problems reported)
of these corpora makes these tests fail. Re-record them only for an intended change of the output.
"""

from __future__ import annotations

import hashlib
import random
import sys
from pathlib import Path

import pytest
from rdflib import Literal

from graph.export import nt_term
from graph.extract import lang_literal
from graph.pipeline.build import extract_lines
from graph.pipeline.corpus import read_content
from graph.vocab import Vocabulary
from tests.conftest import CONTENT

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench.corpus import generate  # noqa: E402

SEEDS_LINES = 655
SEEDS_SHA256 = "b3b9c193acda1ccd9d6100e9c36ac1125cb4d6d598cab3fc1f756489f53f4235"
SEEDS_PROBLEMS_SHA256 = "55f7bb5585b9a7ba3f7f062905e0673a5f22c2a2dada6a7e7299ca0d982945bd"

GENERATED_N, GENERATED_SEED = 300, 0
GENERATED_CORPUS_SHA256 = "27e77de0073caf22c03c820e020f5d618f4ac9fe2465a059a0fc4909c0f0a704"
GENERATED_LINES = 67251
GENERATED_SHA256 = "3673760a36088c1682f6e189e4492237a84d433ffac15fbf1d7f97c4bee2a1bd"
GENERATED_PROBLEMS_SHA256 = "07ef1c94c4fcd9b3761d36e4cbe23d481a2d48e88482a1b84c5f6d47d5eb4f1f"


def _digests(root: Path, jobs: int) -> tuple[int, str, str]:
    """Return (line count, sha256 of the sorted lines, sha256 of the sorted problems) of a corpus."""
    articles, problems = read_content(root, jobs=jobs)
    lines, extract_problems = extract_lines(articles, Vocabulary(), jobs=jobs)
    text = "".join(sorted(lines))
    reported = "\n".join(sorted(str(p) for p in problems + extract_problems))
    return len(lines), hashlib.sha256(text.encode()).hexdigest(), hashlib.sha256(reported.encode()).hexdigest()


def _corpus_sha256(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.glob("*.md")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("speed-corpus")
    generate(GENERATED_N, root, seed=GENERATED_SEED)
    return root


def test_seed_output_is_unchanged():
    assert _digests(CONTENT, jobs=1) == (SEEDS_LINES, SEEDS_SHA256, SEEDS_PROBLEMS_SHA256)


def test_generated_corpus_is_the_recorded_one(generated):
    # If this fails, bench/corpus.py changed what it writes: re-record the digests below, it is
    # not an output change of the build.
    assert _corpus_sha256(generated) == GENERATED_CORPUS_SHA256


@pytest.mark.parametrize("jobs", [1, 2])
def test_generated_output_is_unchanged(generated, jobs):
    if _corpus_sha256(generated) != GENERATED_CORPUS_SHA256:
        pytest.skip("bench.corpus.generate output changed (see test_generated_corpus_is_the_recorded_one)")
    assert _digests(generated, jobs=jobs) == (GENERATED_LINES, GENERATED_SHA256, GENERATED_PROBLEMS_SHA256)


def test_parallel_extraction_matches_serial(generated):
    """Forked extraction (>= 400 articles) gives the same lines as the serial path."""
    articles, _ = read_content(generated, jobs=1)
    many = articles + [a for a in articles]  # duplicates give the same lines; enough to fork
    serial = extract_lines(many, Vocabulary(), jobs=1)
    forked = extract_lines(many, Vocabulary(), jobs=2)
    assert serial[0] == forked[0]
    assert sorted(map(str, serial[1])) == sorted(map(str, forked[1]))


@pytest.mark.parametrize("text", ["التسويق الفيروسي", "Viral Marketing", "", " a\n\"b\"\\ ", "٢٠٢٢؟"])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_fast_literal_is_rdflib_literal(text, lang):
    fast, slow = lang_literal(text, lang), Literal(text, lang=lang)
    assert type(fast) is Literal and fast == slow and hash(fast) == hash(slow)
    assert (str(fast), fast.language, fast.datatype, fast.value, fast.ill_typed) == (
        str(slow), slow.language, slow.datatype, slow.value, slow.ill_typed)
    assert nt_term(fast) == nt_term(slow)


def test_nt_term_escapes_like_translate():
    table = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
    rng = random.Random(0)
    for _ in range(2000):
        text = "".join(rng.choice('ab"\\\n\rس\t') for _ in range(rng.randint(0, 8)))
        assert nt_term(Literal(text, lang="ar")) == '"' + text.translate(table) + '"@ar'
        assert nt_term(Literal(text)) == '"' + text.translate(table) + '"'


def test_is_arabic_split_class_matches_the_full_class():
    from graph.arabic import _ARABIC_LETTER, is_arabic

    for code in (*range(0x0500, 0x0800), *range(0x0860, 0x0910), *range(0xFB40, 0xFF10), *range(0x10E80, 0x10F10),
                 *range(0x1EDF0, 0x1EF10), 0x41, 0x20, 0x0640):
        char = chr(code)
        expected = _ARABIC_LETTER.search(char) is not None
        assert is_arabic(char) is expected and is_arabic(f"abc {char} 1") is expected, hex(code)


def test_squash_spaces_matches_split_and_join():
    from graph.parse.content import squash_spaces

    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert all(not c.isprintable() for c in spaces if c != " ")  # what the fast path relies on
    rng = random.Random(2)
    alphabet = [*spaces, "a", "س", "\u200c", "\u200f", "  ", "x"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        assert squash_spaces(text) == " ".join(text.split()), repr(text)
