"""How soon `sitegen serve` shows a one-page edit: runs the real preview server on a
site, edits the newest interview's text (or, with ``--title``, its title) several times,
and times each rebuild.

    python benchmarks/serve_edit.py SITE [--edits 7] [--title]

Prints one line of JSON: for each edit, ``rebuild`` (from the end of the quiet period
the server waits for an editor's burst of saves, ``QUIET_SECONDS``, to the moment open
tabs are told to reload: the changed files found, the site rebuilt, the output in
place) and ``save_to_reload`` (from the file's write, the quiet period and the
watcher's delay included). The build cache is written after the reload signal; its
time is reported as ``cache_write``. ``benchmarks/run.py`` runs this for its "serve
edit" row. Run by hand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from run import edit_one  # noqa: E402

from sitegen.serve import PreviewServer, Rebuilt, ServeOptions  # noqa: E402
from sitegen.warm import Warm  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--edits", type=int, default=7)
    parser.add_argument("--title", action="store_true", help="edit the title, not the text")
    args = parser.parse_args()

    rebuilt = threading.Event()
    marks: dict[str, float] = {}

    def on_rebuild(outcome: Rebuilt) -> None:
        marks["told"] = time.perf_counter()
        if outcome.report is None:
            print(outcome.problems or outcome.crash, file=sys.stderr)
        rebuilt.set()

    server = PreviewServer(args.site, ServeOptions(port=0), on_rebuild)
    wait = server.debouncer.wait

    def timed_wait(stop: threading.Event) -> bool:  # when the quiet period is over
        fired = wait(stop)
        marks["quiet_over"] = time.perf_counter()
        return fired
    server.debouncer.wait = timed_wait  # type: ignore[method-assign]

    class TimedWarm(Warm):  # the preview's warm state, timing its put-off cache writes
        __slots__ = ()

        def flush(self) -> None:
            started = time.perf_counter()
            Warm.flush(self)
            marks["cache_write"] = marks.get("cache_write", 0.0) + time.perf_counter() - started
    server.warm = TimedWarm()

    started = time.perf_counter()
    server.start()  # the first build (from the preview's cache, or from nothing)
    first = time.perf_counter() - started
    rebuilds, totals, writes = [], [], []
    try:
        for _ in range(args.edits):
            time.sleep(0.5)  # let the last cache write and the watcher settle
            rebuilt.clear()
            marks.clear()
            saved = time.perf_counter()
            edit_one(args.site, front_matter=args.title)
            if not rebuilt.wait(120):
                raise SystemExit("no rebuild within 120 s")
            time.sleep(0.3)  # the cache write that follows the reload signal
            rebuilds.append(marks["told"] - marks["quiet_over"])
            totals.append(marks["told"] - saved)
            writes.append(marks.get("cache_write", 0.0))
    finally:
        server.stop()
    print(json.dumps({
        "first_build": round(first, 3),
        "rebuild": [round(x, 3) for x in rebuilds],
        "rebuild_median": round(statistics.median(rebuilds), 3),
        "save_to_reload_median": round(statistics.median(totals), 3),
        "cache_write_median": round(statistics.median(writes), 3),
    }))


if __name__ == "__main__":
    main()
