"""The command line: options in, library calls, a printer out.

Exit status follows grep: 0 something matched, 1 nothing matched, 2 error.
Errors a user can cause are one line on stderr, never a traceback; results
alone go to stdout.  Library modules are imported inside the commands, so a
command pays only for what it uses.
"""

from __future__ import annotations

import functools
import os
import signal
import sys

from searchkit import __version__
from searchkit._lean_imports import import_click

import_click()
import click  # noqa: E402

EXIT_MATCH, EXIT_NO_MATCH, EXIT_ERROR = 0, 1, 2

# Set by a command that only reads an index and writes to stdout and stderr:
# its process may end without the interpreter's teardown (main, _leave).
_read_only_command = False


def _mark_read_only() -> None:
    global _read_only_command
    _read_only_command = True


class Terminated(BaseException):
    """SIGTERM, turned into an exception so that cleanup code runs."""


class UserError(click.ClickException):
    """One line on stderr, exit status 2."""

    exit_code = EXIT_ERROR

    def show(self, file=None):
        _error(self.message)


class _Stopped(click.ClickException):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None):
        _error(self.message)


class SearchkitGroup(click.Group):
    """Turns what can go wrong while a command runs into grep-like exits."""

    def invoke(self, ctx):
        from searchkit.errors import SearchkitError

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except SearchkitError as e:
            raise UserError(str(e)) from None
        except BrokenPipeError:
            # The reader went away (| head -1): stop quietly, like grep.
            _silence_stdout()
            ctx.exit(EXIT_MATCH)
        except KeyboardInterrupt:
            raise _Stopped("interrupted", 130) from None
        except Terminated:
            raise _Stopped("terminated", 143) from None
        except Exception as e:
            if os.environ.get("SEARCHKIT_DEBUG"):
                raise
            raise UserError(f"internal error: {e.__class__.__name__}: {e} "
                            "(SEARCHKIT_DEBUG=1 shows where)") from None


def index_option(f):
    return click.option(
        "--index", "index_dir", envvar="SEARCHKIT_INDEX", default="index", show_default=True,
        metavar="DIR", help="Index folder (or set SEARCHKIT_INDEX).")(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True,
                        help="JSON output (JSON Lines for search).")(f)


def cluster_option(f):
    return click.option(
        "--cluster", envvar="SEARCHKIT_CLUSTER", metavar="ADDRESS",
        help="A Dask scheduler (tcp://HOST:8786, or set SEARCHKIT_CLUSTER) whose workers "
             "build or search a sharded index; needs searchkit[cluster].")(f)


def _cluster(cluster, index_dir):
    """SEARCHKIT_CLUSTER applies to sharded indexes; --cluster must be meant."""
    from click.core import ParameterSource

    from searchkit.shards import is_sharded

    source = click.get_current_context().get_parameter_source("cluster")
    if cluster and source == ParameterSource.ENVIRONMENT and not is_sharded(index_dir):
        return None
    return cluster or None


def open_searcher(index_dir: str, cluster: str | None = None):
    """A sharded index's searcher, or (importing nothing of sharding) a plain one."""
    from searchkit.index import made_by_other_rules
    from searchkit.shards import layout

    if cluster or layout.is_sharded(index_dir):
        from searchkit.shards.search import open_searcher as open_any
        searcher = open_any(index_dir, cluster)
        # Each shard tells, where it is read (a cluster's worker).
        stale = searcher.totals.other_rules
    else:
        from searchkit.search import Searcher
        searcher = Searcher(index_dir)
        stale = made_by_other_rules(index_dir)
    if stale:
        from searchkit.output import stderr_line
        stderr_line(f"warning: the index at {index_dir} was made by another version of "
                    "searchkit's analysis and may miss some words' documents; rebuild it "
                    "with 'searchkit index --rebuild'")
    return searcher


def color_option(f):
    return click.option(
        "--color", type=click.Choice(["auto", "always", "never"]), default="auto",
        show_default=True, help="Highlight matches; auto: only on a terminal, and not when "
                                "NO_COLOR is set.")(f)


@click.group(cls=SearchkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="searchkit")
def cli():
    """Fast, accurate full-text search over Polish documents.

    \b
    searchkit index                     # index seeds/ into index/
    searchkit search "ODKB"             # ranked hits, best passages
    searchkit search "siły pokojowe" --json | jq -r 'select(.type == "hit") | .path'
    searchkit show 000_39aee3dc07359252.txt
    """


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path())
@index_option
@click.option("--rebuild", is_flag=True,
              help="Rebuild from scratch: the index will hold exactly PATHS.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: one per core).")
@click.option("--wait", type=click.FloatRange(0), default=10.0, show_default=True,
              help="Seconds to wait while another 'searchkit index' updates the same index.")
@click.option("--ocr", is_flag=True,
              help="Read PDF pages that have no text (scans) with Tesseract's Polish model.")
@click.option("--shards", type=click.IntRange(1, 1024), default=None, metavar="N",
              help="Split the index into N shards (built in parallel, searched as one); "
                   "changing N needs --rebuild.")
@cluster_option
def index_command(paths, index_dir, rebuild, jobs, wait, ocr, shards, cluster):
    """Index folders of documents (default: seeds/).

    Reads plain text and Markdown, PDF, DOCX, ODT, RTF, DOC (with antiword),
    HTML, EPUB, e-mail (.eml, .mbox, with their attachments) and JSON Lines
    collections (one object a line with "id", "title", "text", optionally
    "date"); the content decides the format, not the name.  Re-running it
    skips unchanged files, updates changed ones and removes the documents of
    deleted files.

    \b
    searchkit index                       # seeds/ into index/
    searchkit index notes/ --index ~/idx  # another folder, another index
    searchkit index archiwum/ --ocr       # scanned PDFs too (Tesseract)
    """
    from searchkit.index import update
    from searchkit.output import stderr_line
    from searchkit.shards import is_sharded

    paths = paths or ("seeds",)
    cluster = _cluster(cluster, index_dir)
    sharded = shards is not None or is_sharded(index_dir)
    if cluster and not sharded:
        raise UserError("--cluster builds sharded indexes: add --shards N")
    if sharded:
        from searchkit.shards.build import update as update_sharded
        update = functools.partial(update_sharded, shards=shards, cluster=cluster)
    progress = _Progress() if sys.stderr.isatty() else None

    def warn(where, message, skipped=False):
        if progress:
            progress.clear()
        stderr_line(f"{'skipped' if skipped else 'warning'}: {where}: {message}")

    summary = update(index_dir, paths, warn=warn, progress=progress, procs=jobs,
                     rebuild=rebuild, lock_timeout=wait, ocr=ocr)
    if progress:
        progress.clear()
    if summary.scanned:
        stderr_line(_scanned_note(summary.scanned, ocr))
    plural = "" if summary.documents == 1 else "s"
    stderr_line(
        f"indexed {', '.join(paths)} into {index_dir}: {summary.added} added, "
        f"{summary.updated} updated, {summary.removed} removed, {summary.unchanged} unchanged, "
        f"{summary.skipped} skipped; {summary.documents} document{plural} in the index"
        f"{_shards_note(index_dir) if sharded else ''} ({summary.seconds:.1f} s)")
    # Something could not be indexed: say so to scripts too (the index itself is fine).
    _exit(EXIT_NO_MATCH if summary.skipped else EXIT_MATCH)


def _shards_note(index_dir: str) -> str:
    from searchkit.shards import layout

    found = layout.read(index_dir)
    return f", in {found.count} shard{'s' if found.count > 1 else ''}" if found else ""


def _scanned_note(scanned: dict[str, int], ocr: bool) -> str:
    shown = [f"{path} ({pages} page{'s' if pages > 1 else ''})"
             for path, pages in list(scanned.items())[:5]]
    more = f" and {len(scanned) - 5} more" if len(scanned) > 5 else ""
    files = f"{len(scanned)} file{'s' if len(scanned) > 1 else ''}"
    if ocr:
        return f"note: OCR found no text on some pages of {files}: {', '.join(shown)}{more}"
    return (f"note: {files} with scanned pages (no text to index): {', '.join(shown)}{more}; "
            "'searchkit index --ocr' reads them with Tesseract "
            "(apt-get install tesseract-ocr tesseract-ocr-pol)")


class _Progress:
    """A progress bar on stderr, for terminals only."""

    def __init__(self):
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not total and done:  # a total not known yet (a first build walks as it goes)
            self.clear()
            sys.stderr.write(f"\r{stage}: {done} files")
            sys.stderr.flush()
            return
        if stage != self.stage:
            self.clear()
            self.stage = stage
            self.bar = click.progressbar(length=max(total, 1), label=stage, file=sys.stderr,
                                         show_eta=True, show_pos=True)
            self.bar.__enter__()
            self._done = 0
        self.bar.update(done - self._done)
        self._done = done

    def clear(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            sys.stderr.write("\r\x1b[K")
            self.bar = None
            self.stage = None


@cli.command()
@click.argument("query", required=False)
@index_option
@click.option("-n", "--limit", type=click.IntRange(1), default=10, show_default=True,
              help="Number of documents to show.")
@click.option("--passages", type=click.IntRange(0, 10), default=3, show_default=True,
              help="Passages per document (0: none).")
@json_option
@click.option("-l", "--files-with-matches", "ids_only", is_flag=True,
              help="Print only the ids of matching documents, one per line.")
@click.option("-0", "--null", is_flag=True, help="With -l: end each id with NUL, for xargs -0.")
@click.option("-c", "--count", is_flag=True, help="Print only the number of matching documents.")
@color_option
@click.option("--queries", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="Batch mode: run every line of FILE ('-' for stdin), 'id<TAB>query' or a "
                   "bare query; writes JSON Lines carrying each query's id.")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, metavar="N",
              help="Batch mode: queries answered by N processes at once [default: 0, one "
                   "per core].")
@cluster_option
def search(query, index_dir, limit, passages, as_json, ids_only, null, count, color, queries,
           jobs, cluster):
    """Search the index; best documents first, with the passages that match.

    \b
    Plain words find every inflected form: Kazachstanem finds Kazachstanu.
    "exact phrase"  -word (exclude)  +word (require)  a OR b  prefix*
    title:Rosja  author:Nowak  type:pdf  date:2022-01  date:[2021 TO 2022]

    \b
    searchkit search ODKB
    searchkit search "siły pokojowe" --json | jq -r 'select(.type == "hit") | .path'
    searchkit search -l zamieszki | xargs -n1 searchkit show
    """
    from searchkit import output

    cluster = _cluster(cluster, index_dir)
    if queries is None and cluster is None:
        _mark_read_only()
    if queries is not None:
        if query is not None:
            raise click.UsageError("give either QUERY or --queries, not both")
        with open_searcher(index_dir, cluster) as searcher:
            _exit(_batch(searcher, queries, limit, passages, sys.stdout, jobs))
    if query is None:
        raise click.UsageError("missing QUERY (or --queries FILE)")
    if null and not ids_only:
        raise click.UsageError("-0/--null goes with -l/--files-with-matches")
    if sum((as_json, ids_only, count)) > 1:
        raise click.UsageError("choose one of --json, -l and -c")
    out = sys.stdout
    if count:
        printer = output.CountPrinter(out)
    elif ids_only:
        printer = output.IdPrinter(out, null)
    elif as_json:
        printer = output.JsonPrinter(out)
    else:
        printer = output.TextPrinter(out, output.use_color(color, out))
    with open_searcher(index_dir, cluster) as searcher:
        result = searcher.search(query, limit=limit,
                                 passages=passages if (as_json or not (count or ids_only)) else 0,
                                 count=count or ("estimate" if as_json else False))
    printer.result(result)
    if not result.hits:
        if result.note:
            output.stderr_line(result.note)
        elif result.suggestion and not as_json:
            output.stderr_line(f"no matches; did you mean: {result.suggestion}")
    _exit(EXIT_MATCH if result.hits else EXIT_NO_MATCH)


def _batch(searcher, lines, limit, passages, out, jobs: int = 0) -> int:
    from searchkit import batch
    from searchkit.output import JsonPrinter
    from searchkit.query import QueryError
    from searchkit.search import Result

    printer = JsonPrinter(out)
    matched = failed = False

    def queries():
        for number, line in enumerate(lines, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            query_id, tab, text = line.partition("\t")
            yield (query_id, text) if tab else (str(number), line)

    for query_id, text, result in batch.answers(searcher, queries(), jobs, limit, passages):
        if isinstance(result, QueryError):
            printer.summary(Result(text, [], 0, 0.0), query_id, error=str(result))
            failed = True
            continue
        printer.result(result, query_id)
        matched = matched or bool(result.hits)
    return EXIT_ERROR if failed else EXIT_MATCH if matched else EXIT_NO_MATCH


@cli.command()
@click.argument("doc_id", metavar="ID")
@index_option
@click.option("-q", "--query", help="Highlight where this query matches.")
@click.option("-p", "--page", type=click.IntRange(1), metavar="N",
              help="Print only page N (of a PDF).")
@json_option
@color_option
def show(doc_id, index_dir, query, page, as_json, color):
    """Print one indexed document: its metadata and full text.

    \b
    searchkit show 000_39aee3dc07359252.txt --query zamieszki
    searchkit show raport.pdf --page 12
    """
    from searchkit import output

    _mark_read_only()
    with open_searcher(index_dir) as searcher:
        doc = searcher.document(doc_id)
        if doc is None:
            output.stderr_line(f"no document with id {doc_id!r} in {index_dir}")
            _exit(EXIT_NO_MATCH)
        spans = searcher.highlight(doc.text, query) if query else []
    if page is not None and not doc.pages:
        raise UserError(f"{doc_id} has no pages (only PDF documents do)")
    if page is not None and page > len(doc.pages):
        raise UserError(f"{doc_id} has {len(doc.pages)} page{'s' if len(doc.pages) > 1 else ''}, "
                        f"no page {page}")
    if as_json:
        sys.stdout.write(output.document_json(doc, spans, page))
    else:
        sys.stdout.write(output.document_text(doc, spans, output.use_color(color, sys.stdout),
                                              page))


@cli.command()
@index_option
@json_option
def info(index_dir, as_json):
    """Describe the index: location, documents, last update, analysis, size."""
    import json

    from searchkit.index import describe
    from searchkit.shards import is_sharded

    _mark_read_only()
    if is_sharded(index_dir):
        from searchkit.shards.build import describe
    facts = describe(index_dir)
    if as_json:
        sys.stdout.write(json.dumps(facts, ensure_ascii=False) + "\n")
    else:
        width = max(map(len, facts))
        for key, value in facts.items():
            if isinstance(value, dict):  # documents per type
                value = ", ".join(f"{name} {count}" for name, count in value.items()) or "-"
            sys.stdout.write(f"{key.replace('_', ' '):<{width}}  {value}\n")


def main(argv: list[str] | None = None) -> None:
    """The ``searchkit`` command; ``argv``: run it from Python instead (the
    process then goes on after it)."""
    global _read_only_command
    _read_only_command = False
    # SIGTERM becomes an exception, so an interrupted index run cancels its
    # writer and leaves the previous index as it was.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli.main(args=argv, prog_name="searchkit")
    except BrokenPipeError:  # while Click itself was writing (--help | head)
        _silence_stdout()
        sys.exit(EXIT_MATCH)
    except SystemExit as e:  # how Click ends every command
        if argv is None and _read_only_command and (e.code is None or isinstance(e.code, int)):
            _leave(e.code or 0)
        raise


def _leave(code: int) -> None:
    """End the process now: the interpreter's teardown (every module and
    object freed one by one) took 20 ms, a sixth of a one-shot search, and a
    command that only read has nothing to close but its output."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away: grep's quiet end
        pass
    except OSError as e:  # > /dev/full
        _error(_cannot_write(e))
        code = EXIT_ERROR
    try:
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(code)


def _exit(code: int) -> None:
    try:
        sys.stdout.flush()  # a broken pipe shows here, inside the command
    except BrokenPipeError:
        raise
    except OSError as e:  # > /dev/full
        _silence_stdout()  # what is left would fail again at exit
        raise UserError(_cannot_write(e)) from None
    click.get_current_context().exit(code)


def _cannot_write(e: OSError) -> str:
    return f"cannot write the output: {e.strerror or e}"


def _terminate(signum, frame):
    raise Terminated()


def _error(message: str) -> None:
    from searchkit.output import safe
    try:
        sys.stderr.write(f"searchkit: error: {safe(message)}\n")
    except BrokenPipeError:
        pass


def _silence_stdout() -> None:
    # Python would complain again when flushing stdout at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
