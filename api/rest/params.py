"""The request side of the REST API: parameter validation, label language, and how a node is shown.

Every parameter error is a 400 problem naming the parameter. Label language: ``lang`` (a BCP 47 tag),
else Accept-Language, then ar, then en, then any; every label says which language it is in
(``{"value": ..., "lang": ...}``).
"""

from __future__ import annotations

import functools
import re

from flask import request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from api.http import Problem, graph
from graph.readmodel.documents import href, pick_label, summary
from graph.readmodel.indexes import ReadModel

__all__ = ["href", "pick_label", "summary"]  # how a node is shown: graph.readmodel.documents

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000
_LANG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_SLUG_OK = re.compile(r"^[^\x00-\x1f]{1,300}$")


def bad_parameter(parameter: str, detail: str, **extra) -> Problem:
    """Return the 400 problem for an invalid request parameter."""
    return Problem(400, "invalid-parameter", "Invalid Parameter", f"{parameter}: {detail}", parameter=parameter,
                   **extra)


def single_param(name: str) -> str | None:
    """Return the query parameter's value (None when absent); reject it given twice."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise bad_parameter(name, "give this parameter at most once")
    return values[0] if values else None


def int_param(name: str, default: int, low: int, high: int) -> int:
    """Return an integer query parameter within [low, high], else `default` when absent."""
    raw = single_param(name)
    if raw is None:
        return default
    text = raw.strip(" \t")  # str.strip() would also drop controls such as \x1e, which int() refuses
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        raise bad_parameter(name, f"expected an integer between {low} and {high}, got {raw[:50]!r}", minimum=low,
                            maximum=high)
    value = int(text)
    if not low <= value <= high:
        raise bad_parameter(name, f"must be between {low} and {high}, got {value}", minimum=low, maximum=high)
    return value


def present_param(name: str) -> str | None:
    """Return the query parameter's value, None when absent; reject it given twice or empty (as the contract)."""
    raw = single_param(name)
    if raw == "":
        raise bad_parameter(name, "give a value, or leave the parameter out")
    return raw


def choice_param(name: str, default: str | None, choices: tuple[str, ...]) -> str | None:
    """Return a query parameter that must be one of `choices`, else `default` when absent."""
    raw = present_param(name)
    if raw is None:
        return default
    if raw not in choices:
        raise bad_parameter(name, f"expected one of {', '.join(choices)}, got {raw[:50]!r}", allowed=list(choices))
    return raw


def bool_param(name: str) -> bool | None:
    """Return a true/false query parameter, None when absent."""
    raw = present_param(name)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise bad_parameter(name, f"expected true or false, got {raw[:50]!r}", allowed=["true", "false"])


def lang_param() -> str | None:
    """Return the lowercased ``lang`` language tag, None when absent."""
    raw = present_param("lang")
    if raw is None:
        return None
    if not _LANG.match(raw):
        raise bad_parameter("lang", f"expected a language tag such as ar or en, got {raw[:50]!r}")
    return raw.lower()


def slug_param(name: str, value: str | None, required: bool = True) -> str | None:
    """Return `value` if it is a plausible slug, None when optional and absent."""
    if value is None or value == "":
        if required:
            raise bad_parameter(name, "this parameter is required")
        return None
    if not _SLUG_OK.match(value):
        raise bad_parameter(name, "expected a slug of 1-300 printable characters")
    return value


def language_preferences(lang: str | None) -> tuple[str, ...]:
    """Return the label languages to try, best first: lang, else Accept-Language; then ar, en, untagged.

    Only languages some label or definition of the graph is in are kept: the answer is the same, and the
    answers kept per node and preference (`kept`) stay as few as the graph's languages, whatever the headers.
    """
    accept_language = "" if lang else request.headers.get("Accept-Language", "")
    if len(accept_language) > 256:  # not kept: an unusual header must not fill the cache of common ones
        prefs = _parse_preferences(lang, accept_language)
    else:
        prefs = _preferences(lang, accept_language)
    idx = graph().model
    return _in_graph(prefs, idx.keep(("label-languages",), lambda: _label_languages(idx)))


def _label_languages(idx: ReadModel) -> frozenset[str]:
    """Return the languages of every label and definition in the indexes ("" for untagged ones)."""
    nodes = [*idx.concepts.values(), *idx.keywords.values(), *idx.organizations.values()]
    return frozenset(lang for node in nodes for lang in (*node.labels, *node.definitions))


def _in_graph(prefs: tuple[str, ...], languages: frozenset[str]) -> tuple[str, ...]:
    return tuple(pref for pref in prefs if pref in languages)


def _parse_preferences(lang: str | None, accept_language: str) -> tuple[str, ...]:
    """Return language_preferences for a lang parameter and an Accept-Language header (parsed once per pair)."""
    prefs: list[str] = []
    if lang:
        prefs.append(lang)
    else:
        for value, _quality in parse_accept_header(accept_language, LanguageAccept):
            if value != "*" and _LANG.match(value):
                prefs.append(value.lower())
    out: list[str] = []
    for pref in [*prefs, "ar", "en", ""]:
        for candidate in (pref, pref.split("-")[0]):
            if candidate not in out:
                out.append(candidate)
    return tuple(out)


_preferences = functools.lru_cache(maxsize=1024)(_parse_preferences)


def resolve_concept(idx: ReadModel, slug: str, parameter: str | None = None) -> str:
    """Return the canonical slug of a concept slug or alias, else raise 404 with suggestions."""
    found = idx.resolve(slug)
    if found is None:
        prefs = language_preferences(None)
        prefix, named = (f"{parameter}: ", {"parameter": parameter}) if parameter else ("", {})
        raise Problem(404, "concept-not-found", "Concept Not Found", f"{prefix}no concept has the slug {slug[:100]!r}",
                      **named, requested=slug[:300],
                      suggestions=[summary(idx, "concept", s, prefs) for s in idx.suggestions(slug)])
    return found[0]
