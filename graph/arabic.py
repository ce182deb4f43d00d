"""Normalise Arabic/Unicode text for concept resolution and search (standard library only).

Usage::

    normalize("التَّسويقُ  الفيروسيّ ٢٠٢٢؟")     # 'التسويق الفيروسي 2022?'
    match_key("التسويق الفيروسي")               # 'تسويق فيروسي'
    match_key("تسويق فيروسيّ") == match_key("التـسويق الفيروسي")   # True
    tokens("إدارة علاقات العملاء (CRM)")        # ['اداره', 'علاقات', 'العملاء', 'crm']
    is_arabic("SMM هو")                         # True
    LATIN_ACRONYM.findall("(SMM) و B-to-C")     # ['SMM', 'B-to-C']

Run ``LATIN_ACRONYM`` on the raw text: ``normalize`` casefolds Latin.
Measured (CPython 3.11, one 100-char article sentence): ``normalize`` ~4-5 µs (~7 µs fully
vocalised), ``tokens`` ~7 µs, ``match_key`` ~10-13 µs, ``is_arabic`` ~0.2 µs; import ~3 ms.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["LATIN_ACRONYM", "Folded", "fold", "fold_with_offsets", "is_arabic", "match_key", "normalize", "strip_article", "tokens"]


def _build_tables() -> tuple[re.Pattern[str], tuple[tuple[str, str], ...]]:
    """Build the removal regex and the (char, replacement) pairs applied after NFKC and casefold."""
    removed = [*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE), *range(0x0610, 0x061B)]
    removed += [0x0640]  # tatweel
    removed += [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x061C]  # zero-width / bidi marks
    removed += [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]  # bidi embeddings and isolates
    pairs = [(c, "ا") for c in "أإآٱ"] + [("ى", "ي"), ("ة", "ه"), ("ؤ", "و"), ("ئ", "ي")]
    pairs += [("ی", "ي"), ("ک", "ك")]  # Persian yeh / keheh typed on Persian keyboards
    pairs += [(chr(base + i), str(i)) for base in (0x0660, 0x06F0) for i in range(10)]
    pairs += [("؟", "?"), ("،", ","), ("؛", ";"), ("٪", "%")]
    return re.compile("[" + "".join(map(chr, removed)) + "]"), tuple(pairs)


# No target is itself a source, so sequential str.replace equals one simultaneous mapping;
# on Arabic text it is ~3x faster than str.translate with a dict (non-ASCII translate is per-char).
_REMOVE, _REPLACE = _build_tables()
_WORD = re.compile(r"[^\W_]+")  # a run of Unicode letters/digits
_ARTICLE = re.compile(r"(?:[وبفك]?ال|لل)(?=[^\W\d_]{2})")  # article + at least 2 letters after it
_ARTICLES = re.compile(r"(?<![^\W_])" + _ARTICLE.pattern)  # the same, at the start of every word
# Latin ligatures, Arabic presentation forms, vertical, small and half-/full-width forms: what NFKC rewrites in
# typed Arabic and Latin text (a regex search is ~100x faster than max() over a long text)
_COMPATIBILITY = re.compile("[\ufb00-\ufdff\ufe10-\ufe1f\ufe30-\ufeff\uff00-\uffef]")


def _arabic_letters() -> re.Pattern[str]:
    """Build a character class of every Arabic-script letter (tatweel excluded: it is Common)."""
    blocks = ((0x0600, 0x0700), (0x0750, 0x0780), (0x0870, 0x0900), (0xFB50, 0xFE00), (0xFE70, 0xFF00))
    blocks += ((0x10EC0, 0x10F00), (0x1EE00, 0x1EF00))
    chars = (chr(cp) for lo, hi in blocks for cp in range(lo, hi) if cp != 0x0640)
    letters = (
        c for c in chars if unicodedata.category(c)[0] == "L" and unicodedata.name(c, "").startswith("ARABIC")
    )
    return re.compile("[" + "".join(letters) + "]")


_ARABIC_LETTER = _arabic_letters()
# The same class split in two: re compiles a class of BMP characters to a bitmap, but a class
# that also holds astral ones to a list of ranges scanned per character (~30x slower on Latin text).
_ARABIC_LETTER_BMP = re.compile("[" + "".join(c for c in _ARABIC_LETTER.pattern[1:-1] if c <= "\uffff") + "]")
_ARABIC_LETTER_ASTRAL = re.compile("[" + "".join(c for c in _ARABIC_LETTER.pattern[1:-1] if c > "\uffff") + "]")

# A Latin-script acronym, matched as a whole hyphen-joined token of 2-10 characters:
#   accepts  SMM  CRM  ROI  AI  B2B  B-to-C  COVID-19  KPIs  3Vs  eWOM  iOS
#   rejects  Facebook  YouTube  MySpace  eBay  the  A  Vs  Is  2022  3-to-4  word-of-mouth
# Rule: an optional single lowercase prefix letter before >= 2 capitals (eWOM = electronic WOM);
# then capitals/digits with at least one capital and at least 2 such characters, in parts
# joined by "-" or by the lowercase connector "-to-"; then an optional plural "s".
# Non-Latin neighbours do not count as part of the token, so "بـSMM" yields "SMM".
LATIN_ACRONYM = re.compile(
    r"""
    (?<![A-Za-z0-9-])
    (?=[A-Za-z0-9-]{2,10}(?![A-Za-z0-9-]))   # whole token is 2-10 characters
    (?:[a-z](?=[A-Z]{2}))?                   # eWOM, iOS
    (?=[0-9]*[A-Z])                          # at least one capital before any lowercase
    (?=[A-Z0-9]{2}|[A-Z0-9]+-)               # at least two capitals/digits
    [A-Z0-9]+(?:-(?:to-)?[A-Z0-9]+)*         # SMM, B2B, COVID-19, B-to-C
    s?                                       # KPIs, 3Vs
    (?![A-Za-z0-9-])
    """,
    re.VERBOSE,
)


def _pass(text: str) -> str:
    """Apply every normalisation step once."""
    out = _REMOVE.sub("", unicodedata.normalize("NFKC", text).casefold())
    for char, replacement in _REPLACE:
        if char in out:
            out = out.replace(char, replacement)
    return " ".join(out.split())


def normalize(text: str) -> str:
    """Return the NFKC, casefolded, diacritic-free, letter-unified, whitespace-collapsed form."""
    out = _pass(text)
    if out.isascii() or unicodedata.is_normalized("NFKC", out):
        return out  # NFKC-stable and (casefold being idempotent) casefold-stable: a fixed point
    for _ in range(4):  # rare: casefold decomposed (ǰ -> j + U+030C) or a removed mark unblocked NFKC
        nxt = _pass(out)
        if nxt == out:
            break
        out = nxt
    return out


def fold(text: str) -> str:
    """Return `text` with Arabic marks, tatweel and invisible marks removed and letter variants unified.

    The cheap part of ``normalize`` for long texts (the full-text index, link suggestions): no case
    folding and no whitespace collapsing, and NFKC only for text holding compatibility characters
    (presentation forms, ligatures, full-width letters). Every kept character stays where it was, so
    without a removed mark or NFKC the result has the offsets of `text`.
    """
    if _COMPATIBILITY.search(text) is not None:
        text = unicodedata.normalize("NFKC", text)
    out = _REMOVE.sub("", text)
    for char, replacement in _REPLACE:
        if char in out:
            out = out.replace(char, replacement)
    return out


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded text and where its characters are in the text it was folded from."""

    text: str
    removed: tuple[int, ...] = ()  # per removed character, the position in `text` it was removed before
    exact: bool = True  # False when NFKC changed the text: its characters then have no single place

    def place(self, position: int) -> int | None:
        """Return where the character at `position` of the folded text is in the original text."""
        return position + bisect.bisect_right(self.removed, position) if self.exact else None


def fold_with_offsets(text: str) -> Folded:
    """Return fold(text) with where its characters are in `text` (see Folded)."""
    folded = fold(text)
    if len(folded) == len(text):
        return Folded(folded)
    if _COMPATIBILITY.search(text) is not None:
        return Folded(folded, exact=False)
    return Folded(folded, tuple(m.start() - n for n, m in enumerate(_REMOVE.finditer(text))))


def strip_article(word: str) -> str:
    """Remove a leading Arabic definite article (ال وال بال فال كال لل) from one normalised word."""
    m = _ARTICLE.match(word)
    return word[m.end() :] if m else word


def tokens(text: str) -> list[str]:
    """Return the letter/digit words of `normalize(text)`."""
    return _WORD.findall(normalize(text))


def match_key(text: str) -> str:
    """Return the key under which two labels count as the same name."""
    return " ".join(_WORD.findall(_ARTICLES.sub("", normalize(text))))  # = strip_article per token


def is_arabic(text: str) -> bool:
    """Return True when the text contains at least one Arabic-script letter."""
    if _ARABIC_LETTER_BMP.search(text) is not None:
        return True
    return not text.isascii() and max(text) > "\uffff" and _ARABIC_LETTER_ASTRAL.search(text) is not None
