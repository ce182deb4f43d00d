"""Read an article's YAML front matter: split it from the body, load it safely, check its fields."""

from __future__ import annotations

from datetime import date

import yaml

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        data = yaml.load("\n".join(lines[1:end]), Loader=_YAML_LOADER)
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
