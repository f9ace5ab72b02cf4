"""``unspun``: one command, with subcommands.

Exit codes (``unspun.errors``): 0 ok, 1 fatal, 2 usage (bad option, unknown story, missing
store), 3 partial (the run finished, but some inputs could not be read; see ``unspun errors``),
130 interrupted.
"""

from __future__ import annotations

import argparse
import glob
import ipaddress
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from .. import __version__
from ..engines import BatchEngine
from ..errors import EXIT_FATAL, EXIT_OK, EXIT_PARTIAL, ConfigError, NotFoundError, UnspunError
from ..export import FORMATS, export, story_export
from ..pipeline import STORY_MODELS, PipelineConfig, Progress, RunSummary, load_outputs, outlet_profiles, run
from ..records import RECORD_TYPES, dumps, json_schema, to_json
from ..render import brief_html, brief_markdown
from ..stages.cluster import ClusterConfig
from ..stages.dedup import DedupConfig
from ..stages.ingest import DEFAULT_MAX_BYTES, FetchOptions, IngestOptions, is_remote, is_url
from ..storage import Store, open_store
from .evaluate import add_eval_parser, cmd_eval

__all__ = ["main"]

DEFAULT_DB = os.environ.get("UNSPUN_DB", "unspun.db")


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=DEFAULT_DB, metavar="PATH",
                   help=f"the store: a SQLite file or a postgresql:// URL (default: {DEFAULT_DB}, or $UNSPUN_DB)")


def _parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="unspun",
        description="Turn a pile of scraped news into stories: clean, deduplicate, cluster, trace who "
                    "copied whom, cross-check facts, and write cited briefs.",
        epilog="Exit codes: 0 ok, 1 fatal error, 2 usage error, 3 partial (some inputs unreadable).",
    )
    top.add_argument("--version", action="version", version=f"unspun {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="process articles into the store (all stages)",
                       description="Read files, folders and URLs (text, HTML, JSON, JSONL, CSV, TSV, Parquet, "
                                   "WARC, RSS/Atom; http(s) pages and feeds), run every stage, and store stories "
                                   "and briefs.  Articles already in the store are skipped; new ones join "
                                   "existing stories.  Only the URLs given (and with --follow-links the links "
                                   "of feeds) are fetched.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or http(s) URLs to read")
    _db_option(p)
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                   help="refuse input files and fetched pages larger than this (default: %(default)s)")
    p.add_argument("--columns", default="", metavar="MAP",
                   help="field names of CSV/Parquet/JSON inputs, e.g. text=body,title=headline,url=link,id=guid")
    net = p.add_argument_group("fetching")
    net.add_argument("--follow-links", action="store_true",
                     help="fetch the page of each feed entry that carries only a teaser (feed files too)")
    net.add_argument("--allow-private", action="store_true",
                     help="allow fetching from private, loopback and link-local addresses (off: SSRF guard)")
    net.add_argument("--allow-net", action="append", default=[], metavar="CIDR",
                     help="allow one private network, e.g. 10.1.0.0/16 (repeatable)")
    net.add_argument("--min-interval", type=float, default=FetchOptions().min_interval, metavar="SECONDS",
                     help="least time between two requests to one host (default: %(default)s)")
    net.add_argument("--retries", type=int, default=FetchOptions().retries,
                     help="retries after a timeout, 429 or 5xx (default: %(default)s)")
    net.add_argument("--timeout", type=float, default=FetchOptions().timeout, metavar="SECONDS",
                     help="per-request timeout (default: %(default)s)")
    net.add_argument("--ignore-robots", action="store_true", help="do not honour robots.txt")
    p.add_argument("--dup-threshold", type=float, default=DedupConfig().threshold,
                   help="Jaccard similarity for near-duplicates, 0-1 (default: %(default)s)")
    p.add_argument("--no-semantic", action="store_true",
                   help="skip the sentence encoder: faster; copies found on wording only, stories on words, names "
                        "and time")
    p.add_argument("--no-parser", action="store_true",
                   help="skip spaCy: faster; quotes from quotation marks and cue patterns only, no entity channel")
    stories = p.add_argument_group("stories (defaults tuned on ECB+ topics 1-25; see ClusterConfig)")
    stories.add_argument("--story-threshold", type=float, default=ClusterConfig().threshold, metavar="SCORE",
                         help="mean pair score at which stories stop merging, 0-1 (default: %(default)s); higher "
                              "gives smaller, tighter stories")
    stories.add_argument("--min-shared-keys", type=int, default=ClusterConfig().min_shared_keys, metavar="N",
                         help="rare words two articles must share to be compared (default: %(default)s); 2 cuts the "
                              "work of a large corpus several times, at some recall")
    stories.add_argument("--max-block", type=int, default=ClusterConfig().max_block, metavar="N",
                         help="a word shared by more articles than this pairs nobody (default: %(default)s)")
    stories.add_argument("--story-model", choices=STORY_MODELS, default=PipelineConfig().story_model,
                         help="the dense channel of story clustering: minilm, the sentence encoder (default; "
                              "none with --no-semantic), or static, a model2vec distillation of it: thousands of "
                              "articles a second, somewhat less accurate (the million-article path)")
    stories.add_argument("--stories-only", action="store_true",
                         help="stop at stories and duplicates: no facts, provenance, cross-check or brief (for "
                              "building or deduplicating a corpus at scale)")
    eng = p.add_argument_group("engine")
    eng.add_argument("--engine", choices=("local", "spark"), default="local",
                     help="local: this process (default); spark: PySpark, results identical to local")
    eng.add_argument("--master", metavar="URL",
                     help="Spark master, e.g. spark://host:7077 (default: local[*], every core of this machine)")
    eng.add_argument("--partitions", type=int, metavar="N",
                     help="Spark partitions per step (default: the cluster's parallelism); never changes the result")
    eng.add_argument("--work", metavar="DIR",
                     help="where the Spark steps write their Parquet (a folder or an fsspec URL; default: "
                          "<db>.spark beside a SQLite store, else ./unspun-spark); a rerun skips finished steps")
    eng.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                     help="extra Spark setting, e.g. spark.executor.memory=8g (repeatable)")
    eng.add_argument("--no-load", action="store_true",
                     help="Spark: leave the outputs as Parquet in --work without loading them into --db (load them "
                          "later with `unspun load`); for corpora a single store is not meant to hold")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = sub.add_parser("load", help="load a Spark run's Parquet outputs into the store",
                       description="Put the outputs of `unspun run --engine spark` (its --work folder) into a "
                                   "store, e.g. a PostgreSQL server shared by a newsroom.  Into an empty store "
                                   "the cluster's stories go in as computed; into a store holding other articles "
                                   "the new ones join its stories as a local run would.  Loading again is harmless.")
    p.add_argument("work", metavar="DIR", help="the --work folder (or fsspec URL) of a Spark run")
    _db_option(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = sub.add_parser("stories", help="list the stories in the store", description="List stories, newest first.")
    _db_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("show", help="print a story's brief", description="Print one story's brief (Markdown by default).")
    p.add_argument("story", metavar="STORY", help="story id, or a unique prefix of one")
    _db_option(p)
    p.add_argument("--format", choices=("md", "json", "html"), default="md")

    p = sub.add_parser("export", help="write the store out as files",
                       description="Write stories, articles, facts and briefs; see the README for the format.")
    _db_option(p)
    p.add_argument("--format", choices=FORMATS, default="json")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write into")

    p = sub.add_parser("errors", help="list inputs that could not be read", description="List input error records.")
    _db_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("outlets", help="profile each outlet across stories",
                       description="Per outlet: articles, share derived from another article, share with scraping "
                                   "junk, share with altered quotes, and the content-farm signals seen.")
    _db_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("serve", help="serve the web UI and the REST API",
                       description="Serve the store: story list, story pages with the brief, timeline and copy "
                                   "graph, article and outlet pages (each with a JSON twin, ?format=json), and the "
                                   "REST API under /api/v1 (OpenAPI at /openapi.json).  Writes (POST "
                                   "/api/v1/articles) need the token; without one the server is read-only.")
    _db_option(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    p.add_argument("--workers", type=int, default=1, help="server processes (default: %(default)s)")
    p.add_argument("--token-file", metavar="FILE",
                   help="file holding the bearer token that allows writes (or set $UNSPUN_TOKEN)")

    p = sub.add_parser("schema", help="print the JSON Schema of a record",
                       description="Print the JSON Schema of a record type (all of them without a name).")
    p.add_argument("record", nargs="?", choices=[t.__name__ for t in RECORD_TYPES])

    add_eval_parser(sub)
    return top


def _open_existing(db: str) -> Store:
    if not db.startswith(("postgres", "sqlite:")) and not Path(db).exists():
        raise NotFoundError(f"no store at {db}: run `unspun run PATH --db {db}` first")
    return open_store(db)


def _tqdm_factory(quiet: bool) -> Callable[[str, int | None], Progress]:
    from tqdm import tqdm

    def make(desc: str, total: int | None) -> Progress:
        bar: Progress = tqdm(total=total, desc=desc, unit="", file=sys.stderr, disable=quiet, leave=False)
        return bar

    return make


def _print_summary(s: RunSummary) -> None:
    print(f"unspun: {s.new_articles} new article(s), {s.already_stored} already stored, "
          f"{len(s.errors)} unreadable, {len(s.skipped)} skipped; {s.duplicates} duplicate(s); "
          f"{s.stories} stor{'y' if s.stories == 1 else 'ies'} ({s.stories_updated} updated) in {s.seconds:.1f}s")
    print(f"store: {s.store}")


def _report_problems(s: RunSummary) -> None:
    """Unreadable and skipped inputs go to stderr whatever the output format."""
    for e in s.errors:
        print(f"unspun: error: {e.source}: {e.reason}: {e.detail}", file=sys.stderr)
    for source, reason in s.skipped:
        print(f"unspun: skipped: {source}: {reason}", file=sys.stderr)
    if s.errors:
        print(f"unspun: {len(s.errors)} input(s) could not be read; see `unspun errors`", file=sys.stderr)


def _columns(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, column = part.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise ConfigError(f"--columns wants FIELD=COLUMN pairs separated by commas, got {part!r}")
        out[name.strip()] = column.strip()
    return out


def _cmd_run(a: argparse.Namespace) -> int:
    missing = [p for p in a.paths if not is_url(p) and not is_remote(p) and not glob.glob(p)
               and not (Path(p).exists() or Path(p).is_symlink())]
    if missing:
        raise NotFoundError(f"no such file or directory: {', '.join(missing)}")
    for cidr in a.allow_net:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise ConfigError(f"--allow-net: {exc}") from None
    fetch = FetchOptions(allow_private=a.allow_private, allow_networks=tuple(a.allow_net),
                         min_interval=a.min_interval, retries=a.retries, timeout=a.timeout,
                         max_bytes=a.max_bytes, respect_robots=not a.ignore_robots)
    ingest = IngestOptions(max_bytes=a.max_bytes, columns=_columns(a.columns), fetch=fetch,
                           follow_feed_links=a.follow_links)
    if not 0.0 < a.dup_threshold <= 1.0:
        raise ConfigError("--dup-threshold must be in (0, 1]")
    if not 0.0 < a.story_threshold <= 1.0:
        raise ConfigError("--story-threshold must be in (0, 1]")
    if a.min_shared_keys < 1 or a.max_block < 2:
        raise ConfigError("--min-shared-keys must be at least 1 and --max-block at least 2")
    stories = replace(ClusterConfig(), threshold=a.story_threshold, min_shared_keys=a.min_shared_keys,
                      max_block=a.max_block)
    cfg = PipelineConfig(ingest=ingest, dedup=DedupConfig(threshold=a.dup_threshold), cluster=stories,
                         semantic=not a.no_semantic, parser=not a.no_parser, story_model=a.story_model,
                         briefs=not a.stories_only)
    engine = _spark_engine(a) if a.engine == "spark" else None
    if a.no_load:
        if engine is None:
            raise ConfigError("--no-load is for --engine spark: the local engine writes into the store as it goes")
        return _finish_batch(a, engine.run(a.paths, cfg))
    with open_store(a.db) as store:
        summary = run(a.paths, store, cfg, progress=_tqdm_factory(a.quiet), engine=engine)
    return _finish_run(a, summary)


def _spark_engine(a: argparse.Namespace) -> BatchEngine:
    from ..engines.spark import SparkEngine, SparkOptions

    conf = []
    for item in a.spark_conf:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--spark-conf wants KEY=VALUE, got {item!r}")
        conf.append((key.strip(), value.strip()))
    if a.partitions is not None and a.partitions < 1:
        raise ConfigError("--partitions must be at least 1")
    local_db = not a.db.startswith(("postgres", "sqlite:"))
    work = a.work or (f"{a.db}.spark" if local_db else "unspun-spark")
    return SparkEngine(SparkOptions(master=a.master, partitions=a.partitions, work_dir=work, conf=tuple(conf)))


def _finish_batch(a: argparse.Namespace, result: object) -> int:
    """A Spark run left unloaded: where its outputs are and what each step counted."""
    counts: dict[str, int] = dict(getattr(result, "counts", {}))
    report = {"work": getattr(result, "work_dir", ""), "counts": counts, "ran": list(getattr(result, "ran", [])),
              "skipped": list(getattr(result, "skipped", [])), "seconds": dict(getattr(result, "seconds", {}))}
    if a.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print(f"Spark outputs in {report['work']} (load them with `unspun load {report['work']} --db ...`)")
        for key in sorted(counts):
            print(f"  {key}: {counts[key]:,}")
    return EXIT_PARTIAL if counts.get("errors") else EXIT_OK


def _cmd_load(a: argparse.Namespace) -> int:
    from ..engines.spark import finished

    if not finished(a.work):
        raise NotFoundError(f"{a.work} holds no finished Spark run (run `unspun run --engine spark --work {a.work}`)")
    with open_store(a.db) as store:
        summary = load_outputs(a.work, store, progress=_tqdm_factory(a.quiet))
    return _finish_run(a, summary)


def _finish_run(a: argparse.Namespace, summary: RunSummary) -> int:
    _report_problems(summary)
    if a.json:
        print(dumps(summary.as_dict(), indent=2))
    else:
        _print_summary(summary)
    return EXIT_PARTIAL if summary.errors else EXIT_OK


def _find_story(store: Store, ref: str) -> str:
    ids = [s.id for s in store.stories() if s.id == ref or s.id.startswith(ref)]
    if len(ids) != 1:
        raise NotFoundError(f"no story matches {ref!r}" if not ids else f"{ref!r} matches {len(ids)} stories")
    return ids[0]


def _cmd_stories(a: argparse.Namespace) -> int:
    with _open_existing(a.db) as store:
        rows = sorted(store.stories(), key=lambda s: (s.last_published or "", s.id), reverse=True)
        if a.json:
            print(json.dumps([story_export(store, s.id) for s in rows], ensure_ascii=False, indent=2))
        else:
            for s in rows:
                print(f"{s.id}  {len(s.article_ids):3d} articles  {(s.last_published or '')[:10]:10s}  {s.title}")
    return EXIT_OK


def _cmd_show(a: argparse.Namespace) -> int:
    with _open_existing(a.db) as store:
        sid = _find_story(store, a.story)
        out = store.story_outputs(sid)
        if out is None:
            raise NotFoundError(f"story {sid} has no brief yet: run `unspun run` to finish it")
        if a.format == "json":
            print(json.dumps(to_json(out.brief), ensure_ascii=False, indent=2, sort_keys=True))
        elif a.format == "html":
            print(brief_html(out.brief))
        else:
            print(brief_markdown(out.brief))
    return EXIT_OK


def _cmd_export(a: argparse.Namespace) -> int:
    with _open_existing(a.db) as store:
        files = export(store, a.format, a.out)
    print(f"wrote {len(files)} file(s) to {a.out}")
    return EXIT_OK


def _cmd_errors(a: argparse.Namespace) -> int:
    with _open_existing(a.db) as store:
        errs = store.errors()
    if a.json:
        print(json.dumps(to_json(errs), ensure_ascii=False, indent=2))
    else:
        for e in errs:
            print(f"{e.source}: {e.reason}: {e.detail}")
    return EXIT_OK


def _cmd_outlets(a: argparse.Namespace) -> int:
    with _open_existing(a.db) as store:
        profiles = outlet_profiles(store, list(store.articles().values()), [s.id for s in store.stories()])
    if a.json:
        print(json.dumps(to_json(profiles), ensure_ascii=False, indent=2))
    else:
        print(f"{'outlet':30} {'articles':>8} {'derived':>8} {'junk':>6} {'altered':>8}  signals")
        for pr in profiles:
            print(f"{pr.outlet[:30]:30} {pr.articles:8d} {pr.derived_share:8.0%} {pr.junk_share:6.0%} "
                  f"{pr.altered_quote_share:8.0%}  {', '.join(pr.signals)}")
    return EXIT_OK


def _cmd_serve(a: argparse.Namespace) -> int:
    import uvicorn

    _open_existing(a.db).close()
    token = os.environ.get("UNSPUN_TOKEN") or None
    if a.token_file:
        try:
            token = Path(a.token_file).read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ConfigError(f"cannot read the token file: {exc}") from exc
    if token is not None and len(token) < 16:
        raise ConfigError("the token must be at least 16 characters")
    # Workers import the app anew, so the settings travel in the environment.
    os.environ["UNSPUN_SERVE_DB"] = a.db
    os.environ["UNSPUN_SERVE_TOKEN"] = token or ""
    print(f"unspun: serving {a.db} on http://{a.host}:{a.port}/ ({'writes need the token' if token else 'read-only'})",
          file=sys.stderr)
    uvicorn.run("unspun.web.app:app_from_env", factory=True, host=a.host, port=a.port, workers=a.workers,
                log_level="warning", access_log=False)
    return EXIT_OK


def _cmd_schema(a: argparse.Namespace) -> int:
    types = [t for t in RECORD_TYPES if a.record in (None, t.__name__)]
    schemas = {t.__name__: json_schema(t) for t in types}
    print(json.dumps(schemas[a.record] if a.record else schemas, indent=2, sort_keys=True))
    return EXIT_OK


COMMANDS = {"run": _cmd_run, "load": _cmd_load, "stories": _cmd_stories, "show": _cmd_show, "export": _cmd_export,
            "errors": _cmd_errors, "outlets": _cmd_outlets, "serve": _cmd_serve, "schema": _cmd_schema, "eval": cmd_eval}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 on a usage error, 0 on --help
    try:
        return COMMANDS[args.command](args)
    except UnspunError as exc:
        print(f"unspun: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("unspun: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("UNSPUN_DEBUG"):
            raise
        print(f"unspun: internal error: {type(exc).__name__}: {exc} (set UNSPUN_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return EXIT_FATAL


if __name__ == "__main__":
    sys.exit(main())
