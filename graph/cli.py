"""The `mkg` command: thin wrappers that parse flags, call the pipeline and print.

Usage::

    mkg build --content content --out build
    mkg validate build/graph.ttl --format json
    mkg export --format turtle --out dist/
    mkg query "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    mkg links --suggest          # content/viral-marketing.md:14: suggest [وسائل التواصل الاجتماعي](/social-media)
    mkg serve --port 8000
    mkg push sparql+http://127.0.0.1:7878/
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.config import ConfigError, Settings, load_settings
from graph.export import FORMATS, convert, ntriples_bytes, ontology_files, split_by_concept
from graph.pipeline.corpus import read_content
from graph.pipeline.progress import terminal_progress
from graph.push import PushFailed, push_build
from graph.readmodel.text.linking import markdown_link
from graph.sources import open_source
from graph.vocab import Vocabulary

SHOWN_INFO = ("ignored", "draft", "unread-field")
"""The info problems `mkg build` prints: what was left out of the graph (the others are in report.json)."""


def _shacl_line(result) -> str:
    """Return one SHACL result as `file: severity: message (focus …, path …)`."""
    return (f"{result.source or result.focus}: {result.severity.lower()}: {result.message} "
            f"(focus {result.focus}{', path ' + result.path if result.path else ''})")


def _print_problems(report, stream=None, *, warnings: bool = True) -> None:
    """Print the input errors and SHACL violations, then the warnings and what was left out unless told not to."""
    stream = stream or sys.stderr
    shacl = report.validation.results if report.validation is not None else []
    for problem in report.problems:
        if problem.severity == "error" or (warnings and (problem.severity == "warning"
                                                         or problem.code in SHOWN_INFO)):
            print(problem, file=stream)
    for result in shacl:
        if result.severity == "Violation" or (warnings and result.severity == "Warning"):
            print(_shacl_line(result), file=stream)
    infos = sum(1 for r in shacl if r.severity == "Info") + sum(
        1 for p in report.problems if p.severity == "info" and p.code not in SHOWN_INFO)
    if warnings and infos:
        print(f"({infos} info result(s), such as red links: listed in report.json and on /validation)", file=stream)


def _warning_count(report) -> int:
    """Return the number of warnings of a build: input problems and SHACL results."""
    shacl = report.validation.counts()["Warning"] if report.validation is not None else 0
    return shacl + sum(1 for p in report.problems if p.severity == "warning")


def _built_graph(settings: Settings, args: argparse.Namespace) -> Path | None:
    """Return the graph a reading command uses: --graph, else the build as it is (None after printing why not)."""
    if settings.graph_file is not None:
        if not settings.graph_file.is_file():
            print(f"mkg {args.command}: graph file {settings.graph_file} does not exist", file=sys.stderr)
            return None
        return settings.graph_file
    from graph.built import BuildUnusable, built_graph

    try:
        return built_graph(settings.build_dir, Path(args.content_dir) if args.content_dir else None,
                           settings.content_dir)
    except BuildUnusable as exc:
        print(f"mkg {args.command}: {exc}", file=sys.stderr)
        return None


def cmd_build(settings: Settings, args: argparse.Namespace) -> int:
    from graph.pipeline.build import (
        build,  # imports pyshacl (a second): only the commands that build pay for it
    )

    with terminal_progress(sys.stderr, quiet=args.quiet) as progress:
        report = build(
            settings.content_dir, settings.build_dir, vocab=Vocabulary(settings.base_iri),
            keep_going=args.keep_going, strict=args.strict, jobs=settings.build_jobs,
            max_file_bytes=settings.max_file_bytes, ontology_dir=settings.ontology_dir, progress=progress,
            engine=settings.validation_engine, include_drafts=settings.include_drafts, full=args.full,
            keep_versions=settings.keep_versions,
        )
    strict_failed = args.strict and not report.written and report.conforms and _warning_count(report) > 0
    _print_problems(report, warnings=not args.quiet or strict_failed)  # a --strict failure is always explained
    summary = (f"{report.articles} articles, {report.triples} triples, "
               + ", ".join(f"{k} {v}" for k, v in report.counts.items())
               + (f"; SHACL {report.validation.counts()}" if report.validation else "")
               + "; " + ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items()))
    if report.rejected:
        print(f"rejected files: {', '.join(report.rejected)}", file=sys.stderr)
    if not report.written:
        print(f"mkg build: FAILED ({report.failure}); {settings.build_dir} left untouched\n{summary}",
              file=sys.stderr)
        return 1
    how = ("full build" if report.reparsed is None else
           f"incremental: {report.reparsed} file(s) parsed, {report.reextracted} article(s) extracted again")
    print(f"mkg build: wrote {settings.build_dir}/ (version {report.version}, {how}): {summary}")
    return _push(settings, args.push, None) if args.push else 0


def _push(settings: Settings, url: str, graph_file: str | None, version: str | None = None) -> int:
    try:
        result = push_build(settings, url, Path(graph_file) if graph_file else None, version)
    except (PushFailed, ValueError) as exc:
        print(f"mkg push: FAILED: {exc}", file=sys.stderr)
        return 1
    dropped = f"; dropped {len(result.dropped)} old version(s)" if result.dropped else ""
    print(f"mkg push: serving version {result.version} ({result.triples} triples, {result.method}, "
          f"{result.seconds:.2f}s){dropped}")
    return 0


def cmd_diff(settings: Settings, args: argparse.Namespace) -> int:
    from graph import changes

    vocab = Vocabulary(settings.base_iri)
    try:
        if args.format in ("json", "text"):
            found = changes.report(settings.build_dir, args.old, args.new, vocab)
        else:  # the patch itself: no per-concept summary to make
            old, new = changes.endpoints(settings.build_dir, args.old, args.new)
            removed, added = changes.between(settings.build_dir, old, new)
    except changes.UnknownVersion as exc:
        print(f"mkg diff: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(found, ensure_ascii=False, indent=1))
    elif args.format == "text":
        sys.stdout.write(changes.as_text(found))
    elif args.format == "turtle":
        sys.stdout.buffer.write(changes.as_turtle(removed, added, vocab))
    else:
        sys.stdout.buffer.write(b"".join(added if args.format == "added" else removed))
    return 0


def cmd_push(settings: Settings, args: argparse.Namespace) -> int:
    return _push(settings, args.url or settings.store, args.graph, args.version)


def cmd_validate(settings: Settings, args: argparse.Namespace) -> int:
    from graph.pipeline.build import (  # imports pyshacl (a second): only when validating
        extract_lines,
        validate_lines,
    )

    vocab = Vocabulary(settings.base_iri)
    target = Path(args.path) if args.path else settings.content_dir
    problems = []
    if target.is_dir():
        articles, problems = read_content(target, max_bytes=settings.max_file_bytes, jobs=settings.build_jobs,
                                          include_drafts=settings.include_drafts)
        lines, more = extract_lines(articles, vocab, settings.build_jobs)
        problems += more
        body = "".join(lines).encode()
    else:
        try:
            body = ntriples_bytes(target)
        except (SyntaxError, OSError) as exc:
            print(f"{target}: error: cannot read the RDF ({exc}): fix the syntax", file=sys.stderr)
            return 1
    report, _, _ = validate_lines(body, body.count(b"\n"), vocab, settings.ontology_dir,
                                  settings.validation_engine)
    errors = [p for p in problems if p.severity == "error"]
    if args.format == "json":
        print(json.dumps({**report.to_json(), "problems": [p.as_dict() for p in problems]},
                         ensure_ascii=False, indent=2))
    elif args.format == "turtle":
        assert report.report_graph is not None
        sys.stdout.write(report.report_graph.serialize(format="turtle"))
    else:
        for problem in problems:
            print(problem)
        print(report.to_text())
    return 0 if report.conforms and not errors else 1


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    vocab = Vocabulary(settings.base_iri)
    source = _built_graph(settings, args)
    if source is None:
        return 1
    _, extension, _ = FORMATS[args.format]
    data = convert(source, args.format, vocab) if not args.split else b""
    out = Path(args.out) if args.out else None
    if out is None and not args.split:
        sys.stdout.buffer.write(data)
        return 0
    if out is None:
        print("mkg export: --split needs --out DIR", file=sys.stderr)
        return 2
    if out.suffix and not args.split:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        print(f"wrote {out}")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if args.split:
        concepts = out / "concepts"
        concepts.mkdir(exist_ok=True)
        for key, body in sorted(split_by_concept(source, vocab).items()):
            (concepts / f"{key}.ttl").write_bytes(body)
        written.append(f"{concepts}/ (one Turtle file per concept)")
    else:
        (out / f"graph{extension}").write_bytes(data)
        written.append(str(out / f"graph{extension}"))
    for name, body in ontology_files(vocab, settings.ontology_dir).items():
        (out / name).write_bytes(body)
        written.append(str(out / name))
    print("wrote " + ", ".join(written))
    return 0


def cmd_query(settings: Settings, args: argparse.Namespace) -> int:
    vocab = Vocabulary(settings.base_iri)
    source = _built_graph(settings, args)
    if source is None:
        return 1
    store = ox.Store()
    store.bulk_load(path=str(source), format=ox.RdfFormat.N_TRIPLES if source.suffix == ".nt"
                    else ox.RdfFormat.TURTLE)
    try:
        result = store.query(args.query, prefixes=vocab.prefixes())
    except SyntaxError as exc:
        print(f"mkg query: syntax error: {exc}", file=sys.stderr)
        return 2
    if isinstance(result, ox.QueryBoolean):
        print(json.dumps({"boolean": bool(result)}) if args.format == "json" else str(bool(result)).lower())
        return 0
    if isinstance(result, ox.QueryTriples):
        sys.stdout.buffer.write(ox.serialize(result, format=ox.RdfFormat.TURTLE, prefixes=vocab.prefixes()))
        return 0
    if args.format in ("json", "csv"):
        fmt = ox.QueryResultsFormat.JSON if args.format == "json" else ox.QueryResultsFormat.CSV
        sys.stdout.buffer.write(result.serialize(format=fmt))
        if args.format == "json":
            print()
        return 0
    names = [v.value for v in result.variables]
    rows = [[_short(solution[name], vocab) for name in names] for solution in result]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    print(" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(f"({len(rows)} rows)")
    return 0


def cmd_links(settings: Settings, args: argparse.Namespace) -> int:
    """Print internal-link suggestions (--suggest) or the links to concepts without an article, as file:line."""
    vocab = Vocabulary(settings.base_iri)
    if _built_graph(settings, args) is None:  # the build as it is, never rebuilt (as query and export)
        return 1
    version = open_source(dataclasses.replace(settings, query_workers=0, graph_file=None), vocab)
    try:
        found = _link_suggestions(version.model, settings) if args.suggest else _red_links(version.model, settings)
    finally:
        version.close()
    if found is None:
        print("mkg links: this build has no article text; run `mkg build` again", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(found, ensure_ascii=False, indent=1))
    else:
        for item in found:
            what = "suggest" if args.suggest else "red link"
            note = f" (linked later, line {item['linked_at']})" if item.get("linked_at") else ""
            note += ": no article has this slug yet" if not args.suggest else ""
            print(f"{item['file']}:{item['line']}: {what} {item['markdown']}{note}")
        print(f"mkg links: {len(found)} {'suggestion' if args.suggest else 'red link'}"
              f"{'' if len(found) == 1 else 's'}", file=sys.stderr)
    return 0


def _link_suggestions(model, settings: Settings) -> list[dict] | None:
    """Return every article's link suggestions, by file and rank, with the file's path under the content dir."""
    text = model.text_index()
    if text is None:
        return None
    return [{"file": str(settings.content_dir / path), "line": item["line"], "concept": slug,
             "target": item["target"], "text": item["text"], "markdown": markdown_link(item["text"], item["target"]),
             "mentions": item["mentions"], "linked_at": item["linked_at"], "score": item["score"]}
            for slug, path, items in text.every_suggestion() for item in items]


def _red_links(model, settings: Settings) -> list[dict]:
    """Return each link to a concept without an article, by file and line."""
    found = []
    for slug in model.sorted_slugs:
        source = model.concepts[slug].source
        for edge in model.out.get(("concept", slug), ()):
            target = model.concepts.get(edge.target)
            if edge.relation != "linksTo" or source is None or target is None or target.has_article:
                continue
            for anchor in edge.anchors:
                found.append({"file": str(settings.content_dir / source), "line": anchor["line"] or 0,
                              "concept": slug, "target": edge.target, "text": anchor["text"] or edge.target,
                              "markdown": markdown_link(anchor["text"] or edge.target, edge.target)})
    return sorted(found, key=lambda item: (item["file"], item["line"], item["target"]))


def _short(term: Any, vocab: Vocabulary) -> str:
    if term is None:
        return ""
    value = getattr(term, "value", str(term))
    for prefix, ns in vocab.prefixes().items():
        if type(term).__name__ == "NamedNode" and value.startswith(ns):
            return f"{prefix}:{value[len(ns):]}"
    return value


def parser() -> argparse.ArgumentParser:
    """Build the argument parser of `mkg`."""
    main = argparse.ArgumentParser(prog="mkg", description="Marketing knowledge graph: build, check, serve.")
    main.add_argument("--config", type=Path, help="TOML config file (default: ./mkg.toml or $MKG_CONFIG)")
    main.add_argument("--base-iri", dest="base_iri", help="base IRI of concepts, keywords and ontology")
    commands = main.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--content", dest="content_dir", help="articles directory (default content/)")
        sub.add_argument("--out", "--build-dir", dest="build_dir", help="build directory (default build/)")

    b = commands.add_parser("build", help="parse, extract and validate; write graph.ttl and report.json")
    common(b)
    b.add_argument("--keep-going", action="store_true", help="skip rejected files and build the rest")
    b.add_argument("--strict", action="store_true", help="fail on warnings too")
    b.add_argument("-q", "--quiet", action="store_true",
                   help="print errors and violations only: no warnings, no progress bar (shown on a terminal only)")
    b.add_argument("--jobs", dest="build_jobs", type=int, help="parser processes (default: one per CPU)")
    b.add_argument("--engine", dest="validation_engine", choices=("auto", "shacl", "pyshacl"),
                   help="SHACL engine (default auto: shacl, in Rust; pyshacl is the slower reference)")
    b.add_argument("--include-drafts", dest="include_drafts", action="store_true", default=None,
                   help="publish drafts too (`draft: true`, `published: false`): a preview build")
    b.add_argument("--full", action="store_true",
                   help="rebuild everything (default: reuse the previous build where its files did not change)")
    b.add_argument("--push", metavar="URL", help="then push the graph to this remote store (sparql+http://…)")
    b.set_defaults(func=cmd_build)

    p = commands.add_parser("push", help="load the built graph into a remote SPARQL store and serve it")
    p.add_argument("url", nargs="?", help="the store, sparql+http://host:port/… (default: the store setting)")
    p.add_argument("--graph", help="push this N-Triples file instead of build/graph.nt")
    p.add_argument("--build-dir", dest="build_dir", help="build directory (default build/)")
    p.add_argument("--version", help="version name (default: the build's version, else the file's hash)")
    p.add_argument("--keep-versions", dest="keep_versions", type=int, help="versions kept in the store (default 3)")
    p.set_defaults(func=cmd_push)

    d = commands.add_parser("diff", help="what changed between two kept versions: per concept, and as triples")
    d.add_argument("old", nargs="?", help="the older version (default: the one before NEW)")
    d.add_argument("new", nargs="?", help="the newer version (default: the current build)")
    d.add_argument("--build-dir", dest="build_dir", help="build directory (default build/)")
    d.add_argument("--format", choices=("text", "json", "turtle", "added", "removed"), default="text",
                   help="text (default), json, turtle (both sides, for reading), or the added / removed "
                        "N-Triples lines (to apply)")
    d.set_defaults(func=cmd_diff)

    v = commands.add_parser("validate", help="validate content/ or a Turtle file against the shapes")
    v.add_argument("path", nargs="?", help="content directory or .ttl/.nt file (default content/)")
    v.add_argument("--format", choices=("text", "json", "turtle"), default="text")
    v.add_argument("--engine", dest="validation_engine", choices=("auto", "shacl", "pyshacl"))
    v.add_argument("--include-drafts", dest="include_drafts", action="store_true", default=None,
                   help="validate drafts too")
    v.set_defaults(func=cmd_validate)

    e = commands.add_parser("export", help="write the graph as Turtle, N-Triples or JSON-LD")
    e.add_argument("--format", choices=("turtle", "ntriples", "jsonld"), default="turtle")
    e.add_argument("--out", help="output file, or directory (graph + ontology + shapes)")
    e.add_argument("--split", action="store_true", help="one Turtle file per concept under OUT/concepts/")
    e.add_argument("--content", dest="content_dir", help="fail if the build is older than these articles "
                   "(default: the directory it was built from)")
    e.add_argument("--build-dir", dest="build_dir", help="export this build, as it is (default build/)")
    e.add_argument("--graph", dest="graph_file", help="export this N-Triples file instead of the build")
    e.set_defaults(func=cmd_export)

    q = commands.add_parser("query", help="run a SPARQL query on the built graph")
    q.add_argument("query")
    q.add_argument("--format", choices=("table", "json", "csv"), default="table")
    q.add_argument("--content", dest="content_dir", help="fail if the build is older than these articles "
                   "(default: the directory it was built from)")
    q.add_argument("--build-dir", dest="build_dir", help="query this build, as it is (default build/)")
    q.add_argument("--graph", dest="graph_file", help="query this graph file instead of the build")
    q.set_defaults(func=cmd_query)

    li = commands.add_parser("links", help="internal links: the red links, or (--suggest) the unlinked mentions "
                                           "of other concepts, as file:line")
    li.add_argument("--suggest", action="store_true", help="list where an article names another concept without "
                                                            "linking it: file:line: suggest [anchor](/slug)")
    li.add_argument("--format", choices=("text", "json"), default="text")
    li.add_argument("--content", dest="content_dir", help="fail if the build is older than these articles "
                    "(default: the directory it was built from)")
    li.add_argument("--build-dir", dest="build_dir", help="read this build, as it is (default build/)")
    li.set_defaults(func=cmd_links)

    _add_serve_command(commands)
    return main


def _add_serve_command(commands) -> None:
    """Register the `serve` sub-command, whose work is done by the HTTP layer (api.serving.gunicorn)."""
    serve = commands.add_parser("serve", help="serve the graph over SPARQL, REST and Linked Data")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    graph = serve.add_mutually_exclusive_group()
    graph.add_argument("--content", dest="content_dir", help="articles to build and serve (default content/)")
    graph.add_argument("--graph", dest="graph_file",
                       help="serve this .nt/.ttl/.jsonld file (imported once into cache_dir) instead of building")
    serve.add_argument("--build-dir", dest="build_dir")
    serve.add_argument("--cache-dir", dest="cache_dir", help="where --graph files are imported (default: "
                                                            "$XDG_CACHE_HOME/marketing-kg)")
    serve.add_argument("--workers", type=int, help="gunicorn worker processes (default 2)")
    serve.add_argument("--threads", type=int, help="threads per worker (default 4)")
    serve.add_argument("--query-workers", dest="query_workers", type=int,
                       help="killable SPARQL processes per worker (default 2)")
    serve.add_argument("--access-log", dest="access_log",
                       help="write an access log line per request: - for stdout, or a file (default: none)")
    serve.add_argument("--sparql-sandbox", dest="sparql_sandbox", choices=("required", "off"),
                       help="required (default): SPARQL queries run only in processes that cannot open network "
                            "sockets, and are refused where that is impossible; off: opt out")
    serve.add_argument("--public-url", dest="public_url",
                       help="the URL clients reach this service at, for the SPARQL service description")
    serve.add_argument("--dev", action="store_true", help="Flask development server (single process)")
    serve.add_argument("--store", help="embedded (default) or a remote SPARQL store: sparql+http://host:port/…")
    serve.add_argument("--watch", action="store_true", default=None,
                       help="rebuild when content/ changes and reload without dropping a request "
                            "(with a remote --store: rebuild and push)")
    serve.set_defaults(func=_cmd_serve)


def _cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve with the HTTP layer, found by name: graph/ sits below api/ and never imports it."""
    return importlib.import_module("api.serving.gunicorn").cmd_serve(settings, args)


_NOT_SETTINGS = {"command", "func", "config", "keep_going", "strict", "full", "quiet", "format", "out", "split", "query",
                 "path", "dev", "push", "url", "graph", "version", "suggest", "old", "new"}


def main(argv: list[str] | None = None) -> int:
    """Run `mkg` with argv and return its exit code."""
    args = parser().parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if k not in _NOT_SETTINGS}
    try:
        settings = load_settings(args.config, cli=flags)
        return int(args.func(settings, args) or 0)
    except ConfigError as exc:
        print(f"mkg: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
