"""Execute the book's chapters in parallel, into the execution cache the build reads.

    cd _ext && ../.venv/bin/python -m book_site.execute ..     (``make book`` runs this)

myst-nb executes notebooks one after another while Sphinx reads them. This script runs
first and executes, a few at a time, every chapter the cache has no result for, then
stores each result in the same jupyter-cache the build uses
(``_build/.jupyter_cache-<hash of mini>``, see ``cache_path``). The build then finds
every chapter in the cache and executes nothing. A chapter is read exactly as myst-nb
reads it (its reader, with the book's MyST extensions), so its cache key is the one the
build looks up; `make benchmark` checks that the build executes no notebook afterwards.

A chapter that fails is not cached: the build executes it again and reports the error
the usual way (under ``-W``, a failed build).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

from . import CACHE_PREFIX, cache_path
from .notebooks import BUILD_FLAG


def book_notebooks(root: Path) -> list[Path]:
    """The table of contents' pages that are MyST notebooks (have a kernelspec)."""
    from myst_nb.core.read import is_myst_markdown_notebook

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    files += [chapter["file"] for chapter in toc.get("chapters", [])]
    paths = [root / (name if name.endswith(".md") else f"{name}.md") for name in files]
    return [path for path in paths if path.is_file() and is_myst_markdown_notebook(path.read_text("utf-8"))]


def read_notebook(path: Path, extensions: list[str]):
    """The notebook myst-nb builds from a MyST file (the same cells, so the same cache key)."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    config = MdParserConfig(enable_extensions=set(extensions))
    return read_myst_markdown_notebook(
        path.read_text(encoding="utf-8"), config=config, add_source_map=True, path=str(path)
    )


def earlier_times(build_dir: Path, current: Path) -> dict[str, float]:
    """Execution seconds per notebook path recorded in the other (stale) caches."""
    from jupyter_cache import get_cache

    seconds: dict[str, float] = {}
    for folder in build_dir.glob(f"{CACHE_PREFIX}*"):
        if folder == current or not folder.is_dir():
            continue
        try:
            for record in get_cache(str(folder)).list_cache_records():
                if record.data.get("execution_seconds"):
                    seconds[record.uri] = float(record.data["execution_seconds"])
        except Exception:  # an unreadable old cache is only a missed hint
            continue
    return seconds


def execute_one(path: str, extensions: list[str], timeout: int):
    """Run one chapter in a fresh kernel, in its own folder as the build does (worker process)."""
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = read_notebook(Path(path), extensions)
    # Once the last cell has reported idle every output is in; the kernel is then stopped
    # at once. A polite shutdown request sometimes stalls for 3.4 s in ipykernel 7.4 (its
    # control thread waits on a flush of an output stream that has already closed), and
    # the chapter's worker waited with it: on 2 of 12 runs of an empty notebook.
    result = single_nb_execution(
        notebook,
        cwd=str(Path(path).parent),
        timeout=timeout,
        allow_errors=False,
        shutdown_kernel="immediate",
    )
    return path, result.nb, result.time, result.exc_string


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", default=".", help="the book's root folder")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=int(os.environ.get("BOOK_EXECUTE_JOBS", 0)) or os.cpu_count() or 1,
        help="chapters executed at once (default: BOOK_EXECUTE_JOBS, or the number of cores)",
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    execute = config.get("execute", {})
    if execute.get("execute_notebooks", "auto") != "cache":
        print("[book_site] execute_notebooks is not 'cache': nothing to pre-execute", flush=True)
        return 0
    timeout = int(execute.get("timeout", 30))
    extensions = list(config.get("parse", {}).get("myst_enable_extensions", []))

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_path(root / "_build", root)))
    pending = []
    for path in book_notebooks(root):
        try:
            cache.match_cache_notebook(read_notebook(path, extensions))
        except KeyError:
            pending.append(path)
    if not pending:
        print(f"[book_site] every chapter is in {Path(cache.path).name}: nothing to execute", flush=True)
        return 0

    # Longest first, so that no long chapter starts last while the other workers idle: by
    # the time a chapter took in an earlier cache (still there until the build deletes it,
    # e.g. after a change to mini), else by the size of its source.
    seconds = earlier_times(root / "_build", Path(cache.path))
    pending.sort(key=lambda path: (seconds.get(str(path), -1.0), path.stat().st_size), reverse=True)
    jobs = max(1, min(args.jobs, len(pending)))
    print(
        f"[book_site] executing {len(pending)} chapters, {jobs} at a time, into {Path(cache.path).name}",
        flush=True,
    )
    # The kernels run as the build's would: mini.book.publish must not display figures
    # under their cells (the page places them). With several chapters at once, one BLAS
    # thread per kernel keeps them from competing for the same cores.
    os.environ[BUILD_FLAG] = "1"
    if jobs > 1:
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(variable, "1")
    start, failed = time.perf_counter(), []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(execute_one, str(path), extensions, timeout) for path in pending]
        for future in as_completed(futures):
            path, notebook, seconds, error = future.result()
            name = Path(path).relative_to(root)
            if error:
                failed.append(name)
                print(
                    f"[book_site] {name} FAILED after {seconds:.1f} s (the build will report it)", flush=True
                )
                continue
            # Stored from this process only: one writer for the cache's database.
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, path, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            print(f"[book_site] executed {name} in {seconds:.1f} s", flush=True)
    print(
        f"[book_site] {len(pending) - len(failed)} chapters executed in {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
