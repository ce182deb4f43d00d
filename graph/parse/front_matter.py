"""Read an article's YAML front matter: split it from the body, load it safely, check its fields.

Usage::

    meta, body_lines, body_line = split_front_matter(text)
    keywords(field(meta, text, "keywords", many=True))   # ('Business', 'Marketing Essentials')
    timestamp(meta, "date")                               # (datetime.date(2023, 5, 1), None)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import unquote

import yaml

from graph.vocab import canonical_slug

KNOWN_FIELDS = frozenset({
    "title", "description", "keywords", "tags", "categories", "slug", "aliases", "date", "lastmod",
    "author", "authors", "draft", "published",
})
"""The front-matter fields the build reads; any other is ignored and listed once per build."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, except that a timestamp that is not a real date stays text (reported, not a crash)."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:  # 2023-02-30: YAML's pattern matched, the calendar did not
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


class Rejected(Exception):
    """Raise to reject a file with a line, a problem code and what to fix."""

    def __init__(self, line: int | None, code: str, message: str) -> None:
        super().__init__(message)
        self.line, self.code, self.message = line, code, message


def split_front_matter(text: str) -> tuple[dict, list[str], int]:
    """Return (front matter mapping, body lines, 1-based line where the body starts)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise Rejected(1, "no-front-matter", "no YAML front matter: start the file with a `---` line")
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise Rejected(1, "front-matter-unclosed", "front matter is never closed: add a `---` line after it")
    try:
        data = yaml.load("\n".join(lines[1:end]), Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise Rejected(line, "yaml", f"invalid YAML front matter ({problem}): fix the syntax") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Rejected(2, "yaml", "front matter is not a mapping: write `key: value` lines")
    return data, lines[end + 1 :], end + 2


def front_matter_line(text: str, key: str) -> int:
    """Return the 1-based line where front matter `key` is set (1 if not found)."""
    for number, line in enumerate(text.split("\n")[:200], start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def field(meta: dict, text: str, key: str, *, many: bool = False) -> object:
    """Return meta[key] if it is text (or, with many=True, a list of texts); reject anything nested."""
    value = meta.get(key)
    items = value if many and isinstance(value, list) else [value]
    if not all(item is None or isinstance(item, str | int | float | date) for item in items):
        # a mapping, a set, bytes or a nested list: str() of it is not a title, and an alias bomb
        # (billion laughs) would expand exponentially when stringified
        raise Rejected(front_matter_line(text, key), "front-matter-type",
                        f"front matter `{key}` is not plain text: write `{key}: <text>`")
    return value


def keywords(value: object) -> tuple[str, ...]:
    """Return the trimmed, de-duplicated keywords of a comma-separated string or a list."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    seen: dict[str, str] = {}
    for item in items:
        keyword = " ".join(str(item).split())
        if keyword and keyword.casefold() not in seen:
            seen[keyword.casefold()] = keyword
    return tuple(seen.values())


def flag(meta: dict, text: str, key: str) -> bool | None:
    """Return a true/false field (`draft: true`, `published: false`), None when absent; reject anything else."""
    value = meta.get(key)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    raise Rejected(front_matter_line(text, key), "front-matter-type",
                   f"front matter `{key}` is {str(value)[:40]!r}, not true or false: write `{key}: true` or "
                   f"`{key}: false`")


def timestamp(meta: dict, key: str) -> tuple[date | datetime | None, str | None]:
    """Return (the date or date-time of a field, None) or (None, what is wrong with it); (None, None) if absent."""
    value = meta.get(key)
    if value is None or isinstance(value, date):  # datetime is a date too
        return value, None
    if isinstance(value, str):
        written = value.strip()
        try:
            if len(written) == 10:
                return date.fromisoformat(written), None
            return datetime.fromisoformat(written[:-1] + "+00:00" if written.endswith(("Z", "z")) else written), None
        except ValueError:
            pass
    return None, (f"front matter `{key}` {str(value)[:40]!r} is not a date: write YYYY-MM-DD or "
                  "YYYY-MM-DDTHH:MM:SS+03:00; the article is kept without it")


def texts(meta: dict, key: str) -> tuple[tuple[str, ...], str | None]:
    """Return (the texts of a field written as one text or a list, None) or ((), what is wrong with it).

    A mapping with a `name` (Jekyll's `author: {name: ..., email: ...}`) gives its name.
    """
    value = meta.get(key)
    if value is None:
        return (), None
    found: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            item = item["name"]
        if not isinstance(item, str | int | float):
            return (), f"front matter `{key}` is not text or a list of texts: write `{key}: <text>`; ignored"
        text = " ".join(str(item).split())
        if text and text not in found:
            found.append(text)
    return tuple(found), None


def alias_slug(written: str) -> str:
    """Return the slug of a Hugo URL alias: `/old/url/` -> 'old-url', `/old.html` -> 'old' ('' if none)."""
    path = unquote(written.split("#", 1)[0].split("?", 1)[0]).strip().strip("/")
    for suffix in ("/index.html", ".html", ".htm"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)]
    return canonical_slug(path.replace("/", "-"))


def unknown_fields(meta: dict, text: str) -> tuple[tuple[str, int], ...]:
    """Return (field, line) of each front-matter field the build does not read, in file order."""
    names = [str(key) for key in meta if str(key) not in KNOWN_FIELDS]
    return tuple(sorted(((name, front_matter_line(text, name)) for name in names), key=lambda item: item[1]))


@dataclass(frozen=True, slots=True)
class OptionalFields:
    """The optional fields real sites write: dates, authors, URL aliases, and what could not be read."""

    created: date | None = None  # `date`
    modified: date | None = None  # `lastmod`
    authors: tuple[str, ...] = ()  # `author` and `authors`
    aliases: tuple[str, ...] = ()  # slugs of the `aliases`
    wrong: tuple[tuple[int, str, str], ...] = ()  # (line, problem code, message) of each value left out


def optional_fields(meta: dict, text: str) -> OptionalFields:
    """Read the optional fields; a value that cannot be read is left out with a (line, code, message)."""
    if len(meta) <= 3:  # title, description and keywords (or tags, or categories): nothing else
        return OptionalFields()
    wrong: list[tuple[int, str, str]] = []
    dates = []
    for key in ("date", "lastmod"):
        value, problem = timestamp(meta, key)
        if problem:
            wrong.append((front_matter_line(text, key), "bad-date", problem))
        dates.append(value)
    authors: list[str] = []
    for key in ("author", "authors"):
        found, problem = texts(meta, key)
        if problem:
            wrong.append((front_matter_line(text, key), "front-matter-type", problem))
        authors += [a for a in found if a not in authors]
    written, problem = texts(meta, "aliases")
    if problem:
        wrong.append((front_matter_line(text, "aliases"), "front-matter-type", problem))
    aliases: list[str] = []
    for alias in written:
        slug = alias_slug(alias)
        if not slug:
            wrong.append((front_matter_line(text, "aliases"), "bad-alias",
                          f"alias {alias!r} has no letters or digits: ignored"))
        elif slug not in aliases:
            aliases.append(slug)
    return OptionalFields(dates[0], dates[1], tuple(authors), tuple(aliases), tuple(wrong))
