"""Thread limits inside workers, so that N worker processes do not each start one thread per core.

polars, DuckDB and the BLAS/OpenMP libraries behind numpy each size a thread pool to the
machine. Several workers on one machine would then run cores x workers threads and fight over
the cores. Every worker therefore gets ``threads`` threads (1 by default, or cores // workers):

* environment variables (``POLARS_MAX_THREADS``, ``OMP_NUM_THREADS``, ...) set *before* the
  worker imports those libraries: the process pool's initializer and the Dask nanny's
  ``env`` do this;
* at run time, for libraries already loaded: BLAS/OpenMP pools through ``threadpoolctl``
  and DuckDB's default connection through ``SET threads``;
* and in the driver's own environment while it starts workers (:func:`worker_environment`):
  a spawned child may import polars before its initializer runs (it re-imports the parent's
  main script, e.g. a Streamlit page, or a notebook's helpers), and then only the inherited
  environment reaches it in time.

:func:`thread_report` says what a worker actually runs with, so the limit can be checked.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["THREAD_ENV", "limit_threads", "thread_report", "worker_env", "worker_environment"]

THREAD_ENV = (
    "POLARS_MAX_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_MAX_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
_DUCKDB_ENV = "ANALYTICS_DUCKDB_THREADS"  # read by limit_threads in the worker


def worker_env(threads: int = 1) -> dict[str, str]:
    """Environment variables that cap every library's pool at ``threads``."""
    n = str(max(1, int(threads)))
    return {**dict.fromkeys(THREAD_ENV, n), _DUCKDB_ENV: n}


@contextmanager
def worker_environment(threads: int = 1) -> Iterator[None]:
    """Carry the thread limits in this process's environment while workers are started, so
    every child inherits them before it imports anything; restored afterwards."""
    wanted = worker_env(threads)
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def limit_threads(threads: int = 1) -> None:
    """Cap this process's thread pools at ``threads`` (a worker's initializer)."""
    os.environ.update(worker_env(threads))
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(max(1, int(threads)))
    except ImportError:  # optional: the environment variables still apply to new pools
        pass
    if "duckdb" in sys.modules:
        _limit_duckdb(threads)


def _limit_duckdb(threads: int) -> None:
    import duckdb

    duckdb.execute(f"SET threads TO {max(1, int(threads))}")


def thread_report() -> dict[str, Any]:
    """What this process runs with: polars' pool, DuckDB's default connection, BLAS pools."""
    import duckdb
    import polars as pl

    want = os.environ.get(_DUCKDB_ENV)
    if want:
        _limit_duckdb(int(want))
    out: dict[str, Any] = {
        "pid": os.getpid(),
        "polars_threads": pl.thread_pool_size(),
        "duckdb_threads": int(duckdb.execute("SELECT current_setting('threads')").fetchone()[0]),
        "env": {k: os.environ.get(k) for k in THREAD_ENV},
    }
    try:
        from threadpoolctl import threadpool_info

        out["blas_threads"] = sorted({int(p["num_threads"]) for p in threadpool_info()})
    except ImportError:
        out["blas_threads"] = []
    return out
